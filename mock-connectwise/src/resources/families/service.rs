//! The service family's actions: a ticket's `attachChildren` makes the listed tickets its
//! children (their `parentTicketId`), and `merge` closes the listed tickets into it (their
//! `mergedParentTicket`), as the schemas `TicketBundle { childTicketIds }` and
//! `TicketMerge { mergeTicketIds, status }` describe.

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key`, if the family gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    let tickets = at(reg, "/service/tickets")?;
    match (method, key) {
        ("POST", "/service/tickets/{}/attachchildren") => {
            Some(Effect::Attach { res: tickets, list: "childTicketIds", field: "parentTicketId" })
        }
        ("POST", "/service/tickets/{}/merge") => Some(Effect::Merge { res: tickets, list: "mergeTicketIds" }),
        _ => None,
    }
}
