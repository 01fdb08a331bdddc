//! The expense family's actions: an expense report's `submit`, `approve`, `reject` and
//! `reverse` move its `status` as a time sheet's do ([`super::time::transition`]).

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key`, if the family gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    let rest = key.strip_prefix("/expense/reports/{}/")?;
    let value = super::time::transition(rest).filter(|_| method == "POST")?;
    Some(Effect::SetStatus { res: at(reg, "/expense/reports")?, field: "status", value })
}
