//! What the server holds now, read as the administrator: the integrator login, the role and
//! its levels, the API member, and (on the mock) the member's API keys.

use cw_model::{Action, Function, PermissionLevel, RoleLevels};
use serde_json::Value;

use crate::{Client, Error, Setup};

/// The records of the setup as found.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// The integrator login (S0).
    pub integrator: Option<Value>,
    /// The security role (S9).
    pub role: Option<Value>,
    /// The role's levels, from `/system/securityRoles/{id}/settings`.
    pub role_levels: Option<RoleLevels>,
    /// The API member (S2–S4).
    pub member: Option<Value>,
    /// The member's API keys, on the mock only (the real API has no key endpoint).
    pub keys: Option<Vec<Value>>,
}

fn quoted(s: &str) -> String {
    let cond = format!("\"{}\"", s.replace('"', "\\\""));
    percent_encoding::utf8_percent_encode(&cond, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The first record of a collection whose `field` equals `value`.
pub(crate) async fn find(client: &Client, path: &str, field: &str, value: &str) -> Result<Option<Value>, Error> {
    let found = client.get(&format!("{path}?conditions={field}={}&pageSize=1", quoted(value))).await?;
    Ok(found.as_array().and_then(|a| a.first()).cloned())
}

/// Reads a role's levels from its settings.
pub async fn role_levels(client: &Client, role_id: u64) -> Result<RoleLevels, Error> {
    let rows = client.get_all(&format!("/system/securityRoles/{role_id}/settings")).await?;
    Ok(levels_from_rows(&rows))
}

/// Levels from setting rows (`/settings` or `/system/mySecurity`); unknown rows are ignored.
pub fn levels_from_rows(rows: &[Value]) -> RoleLevels {
    let mut levels = RoleLevels::none();
    for row in rows {
        let label = format!(
            "{} > {}",
            row["moduleName"].as_str().unwrap_or_default(),
            row["moduleFunctionName"].as_str().unwrap_or_default()
        );
        let Some(function) = Function::find(&label) else { continue };
        for action in Action::ALL {
            let level = row[action.setting_field()].as_str().and_then(|l| l.parse().ok());
            levels.set(function, action, level.unwrap_or(PermissionLevel::None));
        }
    }
    levels
}

impl State {
    /// Reads everything the plan needs.
    pub async fn read(client: &Client, setup: &Setup) -> Result<Self, Error> {
        let integrator = find(client, "/system/integratorlogins", "username", &setup.integrator).await?;
        let role = find(client, "/system/securityroles", "name", &setup.role).await?;
        let role_levels = match role.as_ref().and_then(|r| r["id"].as_u64()) {
            Some(id) => Some(role_levels(client, id).await?),
            None => None,
        };
        let member = find(client, "/system/apiMembers", "identifier", &setup.member).await?;
        let keys = if client.is_mock() && member.is_some() {
            let path = format!("/companies/{}/members/{}/keys", client.company(), setup.member);
            let keys = client.console(reqwest::Method::GET, &path, None).await?;
            Some(keys.as_array().cloned().unwrap_or_default())
        } else {
            None
        };
        Ok(Self { integrator, role, role_levels, member, keys })
    }

    /// The role's id.
    pub fn role_id(&self) -> Option<u64> {
        self.role.as_ref().and_then(|r| r["id"].as_u64())
    }

    /// What is wrong with the integrator login, if anything.
    pub fn integrator_gaps(&self, flags: &[String]) -> Vec<String> {
        let Some(login) = &self.integrator else { return vec!["does not exist".into()] };
        let mut gaps = Vec::new();
        if login["inactiveFlag"].as_bool() == Some(true) {
            gaps.push("is inactive".into());
        }
        for flag in std::iter::once("canAccessAllRecordsFlag").chain(flags.iter().map(String::as_str)) {
            if login[flag].as_bool() != Some(true) {
                gaps.push(format!("{flag} is not set"));
            }
        }
        gaps
    }

    /// Whether the member holds the role (S9.1).
    pub fn member_has_role(&self) -> bool {
        let held = self.member.as_ref().and_then(|m| m["securityRole"]["id"].as_u64());
        held.is_some() && held == self.role_id()
    }

    /// Active keys whose private half was shown once ("Save"), and those lost to "Save and Close".
    pub fn keys_by_kind(&self) -> (Vec<&Value>, Vec<&Value>) {
        let active = self.keys.iter().flatten().filter(|k| k["inactiveFlag"].as_bool() != Some(true));
        active.partition(|k| k["privateKeyShown"].as_bool() == Some(true))
    }
}
