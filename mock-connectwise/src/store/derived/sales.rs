//! Sales: an opportunity's expected close date and closing from its status (its default
//! status and an activity's default type come from the generic default references, A25.2).

use serde_json::{Map, Value, json};

use super::{has, set};
use crate::resources::Res;
use crate::store::tenant::Tenant;

/// How far ahead a new opportunity is expected to close unless given (assumption A25.8).
const EXPECTED_CLOSE_DAYS: i64 = 30;

impl Tenant {
    pub(super) fn derive_opportunity(&self, obj: &mut Map<String, Value>, now: i64) {
        if !has(obj, "expectedCloseDate") {
            let day = now - now.rem_euclid(86_400);
            set(obj, "expectedCloseDate", json!(crate::datetime::format(day + EXPECTED_CLOSE_DAYS * 86_400)));
        }
        let Some(statuses) = Res::at_path("/sales/opportunities/statuses") else { return };
        let Some(status) = self.referenced(statuses, obj.get("status")) else { return };
        let closed = status.get("closedFlag").and_then(Value::as_bool).unwrap_or(false);
        if closed && !has(obj, "closedDate") {
            set(obj, "closedDate", json!(crate::datetime::format(now)));
        } else if !closed {
            obj.retain(|k, _| !k.eq_ignore_ascii_case("closedDate") && !k.eq_ignore_ascii_case("closedBy"));
        }
    }
}
