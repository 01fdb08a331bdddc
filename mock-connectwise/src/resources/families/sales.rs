//! The sales family's actions: an opportunity's `convertToProject`, `convertToServiceTicket`,
//! `convertToSalesOrder` and `convertToAgreement` make the record their response schema names
//! from the opportunity (`OpportunityTo…Conversion { name | summary, … }`; docs/assumptions.md
//! A24.21), and an order's `convertToServiceTicket` a ticket from the order. The family's other actions answer a schema-valid body of their official response
//! (A24.2).

use super::{Effect, at};
use crate::resources::registry::Registry;

/// The effect of `method` on `key`, if the family gives it one.
pub(super) fn effect(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    if method != "POST" {
        return None;
    }
    if key == "/sales/orders/{}/converttoserviceticket" {
        return Some(Effect::Convert {
            from: at(reg, "/sales/orders")?,
            to: at(reg, "/service/tickets")?,
            name: "summary",
        });
    }
    let (to, name) = match key.strip_prefix("/sales/opportunities/{}/")? {
        "converttoproject" => ("/project/projects", "name"),
        "converttoserviceticket" => ("/service/tickets", "summary"),
        "converttosalesorder" => ("/sales/orders", "description"),
        "converttoagreement" => ("/finance/agreements", "name"),
        _ => return None,
    };
    Some(Effect::Convert { from: at(reg, "/sales/opportunities")?, to: at(reg, to)?, name })
}
