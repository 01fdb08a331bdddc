//! Finance and procurement: an agreement addition's prices from its catalog item; an
//! invoice's number, billing status, date and sites; a product's customer description.

use serde_json::{Map, Value, json};

use super::{get, has, money, number, ref_id, set};
use crate::resources::Res;
use crate::store::tenant::Tenant;

/// The first invoice number of a tenant with none (assumption A25.6).
const FIRST_INVOICE_NUMBER: u64 = 1001;

impl Tenant {
    pub(super) fn derive_addition(&self, obj: &mut Map<String, Value>) {
        let item = ref_id(obj, "product").and_then(|id| self.table(Res::Catalog).view(id));
        if let Some(item) = item {
            for (field, from) in [("unitPrice", "price"), ("unitCost", "cost")] {
                if !has(obj, field) {
                    let v = match item.get_named(from) {
                        Some(v) => v.to_json(),
                        None => Value::Null,
                    };
                    set(obj, field, if v.is_null() { json!(0.0) } else { v });
                }
            }
        }
        let quantity = number(obj, "quantity").unwrap_or(0.0);
        let included = number(obj, "lessIncluded").unwrap_or(0.0);
        let billed = (quantity - included).max(0.0);
        let price = number(obj, "unitPrice").unwrap_or(0.0);
        let cost = number(obj, "unitCost").unwrap_or(0.0);
        let (ext_price, ext_cost) = (price * billed, cost * quantity);
        set(obj, "extPrice", money(ext_price));
        set(obj, "extCost", money(ext_cost));
        set(obj, "margin", money(ext_price - ext_cost));
    }

    /// An invoice gets the next number (one past the highest numeric one), the default
    /// billing status (or the first, when none is flagged), and today's date (A25.6).
    pub(super) fn derive_invoice(&self, obj: &mut Map<String, Value>, now: i64) {
        let Some(invoices) = Res::at_path("/finance/invoices") else { return };
        if !has(obj, "invoiceNumber") {
            let table = self.table(invoices);
            let highest = table
                .iter()
                .filter_map(|r| {
                    r.doc.view(table.schema).str("invoiceNumber").and_then(|n| n.trim().parse::<u64>().ok())
                })
                .max();
            let next = highest.map_or(FIRST_INVOICE_NUMBER, |h| h + 1);
            set(obj, "invoiceNumber", json!(next.to_string()));
        }
        if !has(obj, "status") {
            if let Some(status) = Res::at_path("/finance/billingStatuses").and_then(|r| self.default_of(r, None)) {
                set(obj, "status", status);
            }
        }
        if !has(obj, "date") {
            set(obj, "date", json!(crate::datetime::format(now)));
        }
        // Billed and shipped to the company's billing site unless given (A25.6).
        let site = ref_id(obj, "company")
            .and_then(|c| self.table(Res::Companies).view(c).map(|d| d.to_json()))
            .and_then(|c| get(&c, "billingSite").or_else(|| get(&c, "site")).cloned());
        for field in ["billingSite", "shippingSite"] {
            if let (false, Some(s)) = (has(obj, field), &site) {
                set(obj, field, s.clone());
            }
        }
    }

    /// A product's `customerDescription` (required on updates) is its catalog item's
    /// description unless given.
    pub(super) fn derive_product(&self, obj: &mut Map<String, Value>) {
        if has(obj, "customerDescription") {
            return;
        }
        let item = ref_id(obj, "catalogItem").and_then(|id| self.table(Res::Catalog).view(id).map(|d| d.to_json()));
        let description = item
            .as_ref()
            .and_then(|i| get(i, "customerDescription").or_else(|| get(i, "description")))
            .or_else(|| get(obj, "description"))
            .cloned();
        if let Some(d) = description {
            set(obj, "customerDescription", d);
        }
    }
}
