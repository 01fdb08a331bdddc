//! The configurations family's actions: `POST /company/configurations/types/copy` copies
//! the configuration type its body's `id` names under its body's `name`
//! (`ConfigurationTypeCopy { id, name }`).

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key`, if the family gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    match (method, key) {
        ("POST", "/company/configurations/types/copy") => at(reg, "/company/configurations/types").map(Effect::Copy),
        _ => None,
    }
}
