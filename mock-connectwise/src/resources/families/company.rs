//! The company family's actions: `POST /company/companies/{id}/merge` merges the named
//! company into the one `CompanyMerge { toCompanyId }` names (docs/assumptions.md A24.20).
//! Copies (`…/copy`) and checks (`…/test…`, `…/validate…`) are recognised for every family by
//! name in [`super::generic`]; the family's other actions answer a schema-valid body of their
//! official response (A24.2).

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key` (a path as [`super::shape`] writes it), if the family
/// gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    match (method, key) {
        ("POST", "/company/companies/{}/merge") => {
            Some(Effect::MergeInto { res: at(reg, "/company/companies")?, into: "toCompanyId" })
        }
        _ => None,
    }
}
