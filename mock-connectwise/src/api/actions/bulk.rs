//! `…/bulk`: many records of one collection created (`POST`, a list of records), replaced
//! (`PUT`, a list of records with their ids) or deleted (`DELETE`, `IdCollection { ids }`) in
//! one call, each on its own: one record's refusal does not undo the others. The answer is
//! the official `BulkResult { payload: [ResultInfo] }`, one entry per item in the order sent
//! (A24.33).

use serde_json::{Value, json};

use crate::api::endpoints::{Call, Reply};
use crate::api::error::ApiError;
use crate::resources::Res;
use crate::store::records::WriteCtx;
use crate::validate::Mode;

/// At most this many items in one call: a bounded request, as every resource is.
const MAX_ITEMS: usize = 1_000;

/// Carries out a bulk `method` on `res` under `parent`.
pub(super) fn bulk(call: &Call<'_>, method: &str, res: Res, parent: Option<u32>) -> Result<Reply, ApiError> {
    let noun = res.info().noun;
    let body = call.body();
    let items: Vec<Value> = match (method, &body) {
        ("DELETE", Value::Object(o)) => o.get("ids").and_then(Value::as_array).cloned().unwrap_or_default(),
        (_, Value::Array(items)) => items.clone(),
        _ => {
            let want = if method == "DELETE" { "an IdCollection { ids }" } else { "a list of records" };
            return Err(ApiError::bad_request(noun, "body", format!("the body must be {want}")));
        }
    };
    if items.len() > MAX_ITEMS {
        return Err(ApiError::bad_request(noun, "body", format!("at most {MAX_ITEMS} items in one bulk call")));
    }
    let payload: Vec<Value> =
        items.into_iter().enumerate().map(|(i, item)| one(call, method, res, parent, i, item)).collect();
    Ok(Reply::value(&json!({ "payload": payload })))
}

/// One item: its `ResultInfo`.
fn one(call: &Call<'_>, method: &str, res: Res, parent: Option<u32>, i: usize, item: Value) -> Value {
    let (store, company, base, access) = (&call.app.store, call.company(), call.base(), call.access());
    let noun = res.info().noun;
    let id = match method {
        "POST" => None,
        "DELETE" => item.as_u64(),
        _ => item.get("id").and_then(Value::as_u64),
    }
    .and_then(|n| u32::try_from(n).ok());
    let outcome = match (method, id) {
        ("POST", _) => store
            .write_tenant(company, |t, keys, now| {
                t.create(res, parent, item, &WriteCtx { access, now, keys, base: &base })
            })
            .map(|one| (201, serde_json::from_slice(&one.body).unwrap_or(Value::Null))),
        ("DELETE", Some(id)) => {
            store.write_tenant(company, |t, _, _| t.delete(res, parent, id, access)).map(|_| (200, json!({ "id": id })))
        }
        (_, Some(id)) => store
            .write_tenant(company, |t, keys, now| {
                t.update(res, parent, id, item, Mode::Replace, &WriteCtx { access, now, keys, base: &base })
            })
            .map(|one| (200, serde_json::from_slice(&one.body).unwrap_or(Value::Null))),
        (_, None) => {
            let e = ApiError::bad_request(noun, "id", format!("item {i} names no {noun} id"));
            return failed(i, &e);
        }
    };
    match outcome {
        Ok((status, data)) => json!({ "success": true, "originalIndex": i, "statusCode": status, "data": data }),
        Err(e) => failed(i, &call.fail(e, noun, None)),
    }
}

fn failed(i: usize, e: &ApiError) -> Value {
    let error: Value = serde_json::from_slice(&e.body()).unwrap_or(Value::Null);
    json!({ "success": false, "originalIndex": i, "statusCode": e.status.as_u16(), "error": error })
}
