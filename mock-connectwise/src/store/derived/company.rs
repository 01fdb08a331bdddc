//! Companies and configurations: a company's default `status` and `types`, its main `site`
//! and `billingSite` (the site the server makes with it, A13.5); a configuration's default
//! status, named by its description.

use serde_json::{Map, Value, json};

use super::{MAIN_SITE, has, set};
use crate::resources::Res;
use crate::store::tenant::Tenant;

impl Tenant {
    pub(super) fn derive_company(&self, obj: &mut Map<String, Value>) {
        if !has(obj, "status") {
            if let Some(status) = Res::at_path("/company/companies/statuses").and_then(|r| self.default_of(r, None)) {
                set(obj, "status", status);
            }
        }
        if !has(obj, "types") {
            let types = Res::at_path("/company/companies/types").and_then(|r| self.default_of(r, None));
            set(obj, "types", Value::Array(types.into_iter().collect()));
        }
        if !has(obj, "site") {
            set(obj, "site", json!({ "name": MAIN_SITE }));
        }
        // The main site is also where the company is billed unless another is named
        // (assumption A25.5): the real server returns `billingSite` beside `site`.
        if !has(obj, "billingSite") {
            if let Some(site) = obj.get("site").cloned() {
                set(obj, "billingSite", site);
            }
        }
    }

    /// A configuration's `status` reference is named by its status's `description` (a
    /// configuration status has no `name`); a new configuration gets the default status.
    pub(super) fn derive_configuration(&self, obj: &mut Map<String, Value>) {
        let Some(statuses) = Res::at_path("/company/configurations/statuses") else { return };
        if !has(obj, "status") {
            if let Some(status) = self.default_of(statuses, None) {
                set(obj, "status", json!({ "id": status["id"] }));
            }
        }
        let description = self.referenced(statuses, obj.get("status")).and_then(|s| s.get("description").cloned());
        if let (Some(Value::Object(status)), Some(d)) = (obj.get_mut("status"), description) {
            status.insert("name".into(), d);
        }
    }
}
