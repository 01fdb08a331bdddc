//! The typed records the provisioner reads, in ConnectWise's own casing. Only the fields the
//! procedure uses are declared; everything else in an answer is ignored.

use cw_model::{Action, PermissionLevel};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `GET /login/companyinfo/{company}`: where the API lives.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CompanyInfo {
    /// `v4_6_release/`: the path segment before `apis/3.0`.
    #[serde(rename = "Codebase")]
    pub codebase: Option<String>,
    /// The company's display name.
    #[serde(rename = "CompanyName")]
    pub company_name: Option<String>,
}

/// A reference to another record (`{"id": 3, "name": "API Integration"}`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Reference {
    /// The record's id.
    pub id: u64,
    /// Its name, where the server gives one.
    pub name: Option<String>,
}

/// An integrator login (S0): its id, username and flags.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegratorLogin {
    /// The record's id.
    pub id: u64,
    /// The username.
    pub username: String,
    /// Deactivated.
    #[serde(default)]
    pub inactive_flag: bool,
    /// The other fields; the API flags (`companyApiFlag`, ...) are looked up by name because
    /// each profile names its own.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl IntegratorLogin {
    /// Whether the flag `name` is set (`canAccessAllRecordsFlag`, `companyApiFlag`, ...).
    pub fn flag(&self, name: &str) -> bool {
        self.other.get(name).and_then(Value::as_bool) == Some(true)
    }
}

/// A security role (S9).
#[derive(Clone, Debug, Deserialize)]
pub struct SecurityRole {
    /// The record's id.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// An API member (S2–S4) and the role it holds (S9.1).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiMember {
    /// The record's id.
    pub id: u64,
    /// The identifier (at most 15 characters).
    pub identifier: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The security role.
    #[serde(default)]
    pub security_role: Option<Reference>,
    /// Deactivated.
    #[serde(default)]
    pub inactive_flag: bool,
}

/// One row of a role's settings (`/system/securityRoles/{id}/settings`) or of a member's
/// effective rights (`/system/mySecurity`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingRow {
    /// The module (`Finance`).
    #[serde(default)]
    pub module_name: String,
    /// The function (`Agreements`).
    #[serde(default)]
    pub module_function_name: String,
    /// Add Level.
    #[serde(default)]
    pub add_level: Option<String>,
    /// Edit Level.
    #[serde(default)]
    pub edit_level: Option<String>,
    /// Delete Level.
    #[serde(default)]
    pub delete_level: Option<String>,
    /// Inquire Level.
    #[serde(default)]
    pub inquire_level: Option<String>,
}

impl SettingRow {
    /// `Module > Function`, as the Security Roles screen names the row.
    pub fn label(&self) -> String {
        format!("{} > {}", self.module_name, self.module_function_name)
    }

    /// The level of one column; a missing or unknown level counts as `None`.
    pub fn level(&self, action: Action) -> PermissionLevel {
        let raw = match action {
            Action::Add => &self.add_level,
            Action::Edit => &self.edit_level,
            Action::Delete => &self.delete_level,
            Action::Inquire => &self.inquire_level,
        };
        raw.as_deref().and_then(|l| l.parse().ok()).unwrap_or(PermissionLevel::None)
    }
}

/// A record of any collection, as the verify probes see it: its id and its other fields.
#[derive(Clone, Debug, Deserialize)]
pub struct AnyRecord {
    /// The record's id (report rows have none).
    #[serde(default)]
    pub id: Option<u64>,
    /// Everything else.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A `count` answer.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Count {
    /// How many records match.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_row_reads_its_levels_and_unknown_ones_are_none() {
        let row: SettingRow = serde_json::from_value(serde_json::json!({
            "moduleName": "Finance", "moduleFunctionName": "Agreements",
            "addLevel": "All", "editLevel": "My", "inquireLevel": "Bogus", "sortOrder": 3
        }))
        .unwrap();
        assert_eq!(row.label(), "Finance > Agreements");
        assert_eq!(row.level(Action::Add), PermissionLevel::All);
        assert_eq!(row.level(Action::Edit), PermissionLevel::My);
        assert_eq!(row.level(Action::Inquire), PermissionLevel::None);
        assert_eq!(row.level(Action::Delete), PermissionLevel::None);
    }

    #[test]
    fn an_integrator_login_reads_any_flag_by_name() {
        let login: IntegratorLogin = serde_json::from_value(serde_json::json!({
            "id": 4, "username": "Sync", "companyApiFlag": true, "ticketApiFlag": false
        }))
        .unwrap();
        assert!(login.flag("companyApiFlag"));
        assert!(!login.flag("ticketApiFlag") && !login.flag("missingFlag") && !login.inactive_flag);
    }
}
