//! Projects: `closedFlag` follows the project's status (its default comes from the
//! generic default references, A25.2).

use serde_json::{Map, Value};

use super::set;
use crate::store::tenant::Tenant;

impl Tenant {
    pub(super) fn derive_project(&self, obj: &mut Map<String, Value>) {
        let Some(statuses) = crate::resources::Res::at_path("/project/statuses") else { return };
        if let Some(status) = self.referenced(statuses, obj.get("status")) {
            let closed = status.get("closedFlag").and_then(Value::as_bool).unwrap_or(false);
            set(obj, "closedFlag", Value::Bool(closed));
        }
    }
}
