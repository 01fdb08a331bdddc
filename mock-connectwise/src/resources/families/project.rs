//! The project family's actions: `POST /project/projectTemplates/createFromProject/{id}`
//! makes a project template from the named project, the body's `ProjectTemplate` fields over
//! its name and company (docs/assumptions.md A24.21). Copies (`…/copy`) and checks are
//! recognised for every family by name in [`super::generic`]; the family's other actions
//! answer a schema-valid body of their official response (A24.2).

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key` (a path as [`super::shape`] writes it), if the family
/// gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    match (method, key) {
        ("POST", "/project/projecttemplates/createfromproject/{}") => Some(Effect::Convert {
            from: at(reg, "/project/projects")?,
            to: at(reg, "/project/projectTemplates")?,
            name: "name",
        }),
        _ => None,
    }
}
