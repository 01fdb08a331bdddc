//! The time family's actions: a time sheet's `submit`, `approve`, `reject` and `reverse`
//! move its `status` through the official enum (`Open`, `PendingApproval`,
//! `ApprovedByTierOne`, `Rejected`), and `POST /time/entries/defaults` answers a new time
//! entry's values.

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The status a time sheet or expense report takes on each transition.
pub(super) fn transition(last: &str) -> Option<&'static str> {
    match last {
        "submit" => Some("PendingApproval"),
        "approve" => Some("ApprovedByTierOne"),
        "reject" => Some("Rejected"),
        "reverse" => Some("Open"),
        _ => None,
    }
}

/// The effect of `method` on `key`, if the family gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    if (method, key) == ("POST", "/time/entries/defaults") {
        return at(reg, "/time/entries").map(Effect::Defaults);
    }
    let rest = key.strip_prefix("/time/sheets/{}/")?;
    let value = transition(rest).filter(|_| method == "POST")?;
    Some(Effect::SetStatus { res: at(reg, "/time/sheets")?, field: "status", value })
}
