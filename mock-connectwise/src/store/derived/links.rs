//! Link collections: a child collection whose records are references to records of another
//! collection (`/service/tickets/{id}/configurations`, `ConfigurationReference`). A link is
//! keyed by the record it links: `POST {"id": 3}` makes link 3, listed as `{"id": 3, ...}`
//! and removed by `DELETE .../configurations/3` (assumption A15.4). Linking the same record
//! to the same parent again answers the existing link. A record's id is unique in its table,
//! so a record linked under one parent cannot also be linked under another: that is refused
//! with 409, naming the parent that holds it (see A15.4).

use serde_json::{Map, Value};

use super::{get, set};
use crate::resources::Res;
use crate::store::StoreError;
use crate::store::tenant::Tenant;
use crate::validate::{FieldError, FieldErrorCode};

/// The collection `res` links to, when `res` is a link collection.
fn link_target(res: Res) -> Option<Res> {
    let schema = res.schema();
    if res.info().parent.is_none() || !schema.is_reference() {
        return None;
    }
    Res::for_reference(&schema.name).map(|(t, _)| t).filter(|&t| t != res)
}

/// Where a new link goes.
pub(crate) enum Link {
    /// A new link, keyed by the linked record's id.
    New(u32),
    /// The record is linked to this parent already.
    Existing(u32),
}

impl Tenant {
    /// The key of a new link of `res` under `parent` naming `obj`'s record (by id, or by
    /// `identifier` or `name`); the link's display fields are filled from the record.
    pub(crate) fn link_key(
        &self,
        res: Res,
        parent: Option<u32>,
        obj: &mut Map<String, Value>,
    ) -> Result<Option<Link>, StoreError> {
        let Some(target) = link_target(res) else { return Ok(None) };
        let table = self.table(target);
        let by_id = get(obj, "id").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok());
        let found = match by_id {
            Some(id) => table.get(id).map(|r| r.id),
            None => ["identifier", "name"].iter().find_map(|f| {
                let want = get(obj, f)?.as_str()?;
                let field = if *f == "name" && table.schema.prop("name").is_none() { "description" } else { f };
                table
                    .iter()
                    .find(|r| r.doc.view(table.schema).str(field).is_some_and(|s| s.eq_ignore_ascii_case(want)))
                    .map(|r| r.id)
            }),
        };
        let Some(id) = found else {
            let shown = by_id.map_or_else(|| "(no id)".to_owned(), |i| i.to_string());
            return Err(StoreError::Invalid {
                noun: res.info().noun,
                errors: vec![FieldError::new(
                    FieldErrorCode::InvalidField,
                    "id",
                    format!("id: {} {shown} does not exist", target.info().title),
                )],
            });
        };
        if let Some(existing) = self.table(res).get(id) {
            if parent.is_none_or(|p| existing.meta.parent == p) {
                return Ok(Some(Link::Existing(id)));
            }
            let holder = res.info().parent.map_or("parent", |(p, _)| p.info().title);
            return Err(StoreError::Conflict(format!(
                "{} {id} is linked to {holder} {} already; the mock keys a link by the linked record, so it cannot be linked twice",
                target.info().title,
                existing.meta.parent
            )));
        }
        if let Value::Object(reference) = self.reference_to(target, id, res.schema()) {
            for (k, v) in reference {
                set(obj, &k, v);
            }
        }
        Ok(Some(Link::New(id)))
    }
}
