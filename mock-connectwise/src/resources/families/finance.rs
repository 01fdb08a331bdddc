//! The finance family's actions: `POST /finance/agreements/{id}/invoice` makes an invoice of
//! type `Agreement` for the named agreement's company, applying to it, and answers the new
//! invoice's id (docs/assumptions.md A24.21). Copies (`…/copy`) and checks are recognised for
//! every family by name in [`super::generic`]; the family's other actions answer a
//! schema-valid body of their official response (A24.2).

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key` (a path as [`super::shape`] writes it), if the family
/// gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    match (method, key) {
        ("POST", "/finance/agreements/{}/invoice") => Some(Effect::Convert {
            from: at(reg, "/finance/agreements")?,
            to: at(reg, "/finance/invoices")?,
            name: "reference",
        }),
        _ => None,
    }
}
