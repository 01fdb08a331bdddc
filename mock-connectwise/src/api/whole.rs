//! `PUT`, `PATCH` and `DELETE` on a child collection's own path, where the official table
//! gives them (an opportunity's forecast): the store's [`crate::store::whole`] writes.

use serde_json::Value;

use super::endpoints::{Call, Reply};
use super::error::ApiError;
use super::routes::Endpoint;
use crate::store::records::WriteCtx;
use crate::store::{One, patch};
use cw_model::Action;

/// The records written, as the JSON array the real server answers a list with.
fn array(written: &[One]) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, one) in written.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&one.body);
    }
    out.push(b']');
    out
}

/// Serves [`Endpoint::ReplaceAll`], [`Endpoint::PatchAll`] and [`Endpoint::DeleteAll`].
pub(super) fn serve(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    let (Endpoint::ReplaceAll(res) | Endpoint::PatchAll(res) | Endpoint::DeleteAll(res)) = endpoint else {
        return Err(ApiError::internal(&format!("{endpoint:?} is not a write to a whole collection")));
    };
    let (store, company, base, access) = (&call.app.store, call.company(), call.base(), call.access());
    let parent = call.parent(res)?;
    let noun = res.info().noun;
    let function = res.info().function;
    match endpoint {
        Endpoint::DeleteAll(_) => {
            let others = store
                .write_tenant(company, |t, _, _| t.delete_all(res, parent, access))
                .map_err(|e| call.fail(e, noun, Some((function, Action::Delete))))?;
            Ok(Reply::no_content(others))
        }
        Endpoint::PatchAll(_) => {
            let ops = patch::parse(&call.body()).map_err(|m| ApiError::bad_request(noun, "body", m))?;
            let written = store
                .write_tenant(company, |t, keys, now| {
                    t.patch_all(res, parent, &ops, &WriteCtx { access, now, keys, base: &base })
                })
                .map_err(|e| call.fail(e, noun, Some((function, Action::Edit))))?;
            Ok(Reply::ok(array(&written), written.iter().any(|o| o.others)))
        }
        _ => {
            let body: Value = call.body();
            let written = store
                .write_tenant(company, |t, keys, now| {
                    t.replace_all(res, parent, body, &WriteCtx { access, now, keys, base: &base })
                })
                .map_err(|e| call.fail(e, noun, Some((function, Action::Edit))))?;
            Ok(Reply::ok(array(&written), written.iter().any(|o| o.others)))
        }
    }
}
