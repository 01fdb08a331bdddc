//! What the server holds now, read as the administrator: the integrator login, the role and
//! its levels, the API member, and (on the mock) the member's API keys, each a typed record.

use cw_model::console::{self, ApiKey};
use cw_model::{Action, Function, RoleLevels};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::records::{ApiMember, IntegratorLogin, SecurityRole, SettingRow};
use crate::{Client, Error, Setup};

/// The records of the setup as found.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// The integrator login (S0).
    pub integrator: Option<IntegratorLogin>,
    /// The security role (S9).
    pub role: Option<SecurityRole>,
    /// The role's levels, from `/system/securityRoles/{id}/settings`.
    pub role_levels: Option<RoleLevels>,
    /// The API member (S2–S4).
    pub member: Option<ApiMember>,
    /// The member's API keys, on the mock only (the real API has no key endpoint).
    pub keys: Option<Vec<ApiKey>>,
}

/// `conditions=field="value"` for a query string: the value quoted by the grammar's rules
/// ([`cw_model::conditions::quote`], the one quoting function), then percent-encoded.
pub(crate) fn conditions_equal(field: &str, value: &str) -> String {
    let cond = cw_model::conditions::equals(field, value);
    format!("conditions={}", percent_encoding::utf8_percent_encode(&cond, percent_encoding::NON_ALPHANUMERIC))
}

/// The first record of a collection whose `field` equals `value`.
pub(crate) async fn find<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    field: &str,
    value: &str,
) -> Result<Option<T>, Error> {
    let found: Vec<T> = client.get(&format!("{path}?{}&pageSize=1", conditions_equal(field, value))).await?;
    Ok(found.into_iter().next())
}

/// The identifier of the member the command's own keys belong to: every row of
/// `/system/mySecurity` names the caller's `member` (on a real server as on the mock); `None`
/// where the server does not say.
pub(crate) async fn caller_member(client: &Client) -> Result<Option<String>, Error> {
    let rows: Vec<Value> = client.get("/system/mySecurity?pageSize=1").await?;
    Ok(rows.first().and_then(|r| r["member"]["identifier"].as_str()).map(str::to_owned))
}

/// Reads a role's levels from its settings.
pub async fn role_levels(client: &Client, role_id: u64) -> Result<RoleLevels, Error> {
    let rows: Vec<SettingRow> = client.get_all(&format!("/system/securityRoles/{role_id}/settings")).await?;
    Ok(levels_from_settings(&rows))
}

/// Levels from typed setting rows (`/settings` or `/system/mySecurity`); unknown rows are
/// ignored.
pub fn levels_from_settings(rows: &[SettingRow]) -> RoleLevels {
    let mut levels = RoleLevels::none();
    for row in rows {
        let Some(function) = Function::find(&row.label()) else { continue };
        for action in Action::ALL {
            levels.set(function, action, row.level(action));
        }
    }
    levels
}

/// Levels from setting rows as JSON (what a test harness holds); rows that are not setting
/// rows are ignored.
pub fn levels_from_rows(rows: &[Value]) -> RoleLevels {
    let typed: Vec<SettingRow> = rows.iter().filter_map(|r| serde::Deserialize::deserialize(r).ok()).collect();
    levels_from_settings(&typed)
}

impl State {
    /// Reads everything the plan needs.
    pub async fn read(client: &Client, setup: &Setup) -> Result<Self, Error> {
        let integrator = find(client, "/system/integratorlogins", "username", &setup.integrator).await?;
        let role: Option<SecurityRole> = find(client, "/system/securityroles", "name", &setup.role).await?;
        let role_levels = match &role {
            Some(r) => Some(role_levels(client, r.id).await?),
            None => None,
        };
        let member = find(client, "/system/apiMembers", "identifier", &setup.member).await?;
        let keys = if client.is_mock() && member.is_some() {
            let path = console::path::member_keys(client.company(), &setup.member);
            Some(client.console::<(), Vec<ApiKey>>(reqwest::Method::GET, &path, None).await?)
        } else {
            None
        };
        Ok(Self { integrator, role, role_levels, member, keys })
    }

    /// The role's id.
    pub fn role_id(&self) -> Option<u64> {
        self.role.as_ref().map(|r| r.id)
    }

    /// What is wrong with the integrator login, if anything.
    pub fn integrator_gaps(&self, flags: &[String]) -> Vec<String> {
        let Some(login) = &self.integrator else { return vec!["does not exist".into()] };
        let mut gaps = Vec::new();
        if login.inactive_flag {
            gaps.push("is inactive".into());
        }
        for flag in std::iter::once("canAccessAllRecordsFlag").chain(flags.iter().map(String::as_str)) {
            if !login.flag(flag) {
                gaps.push(format!("{flag} is not set"));
            }
        }
        gaps
    }

    /// Whether the member holds the role (S9.1).
    pub fn member_has_role(&self) -> bool {
        let held = self.member.as_ref().and_then(|m| m.security_role.as_ref()).map(|r| r.id);
        held.is_some() && held == self.role_id()
    }

    /// Active keys whose private half was shown once ("Save"), and those lost to "Save and Close".
    pub fn keys_by_kind(&self) -> (Vec<&ApiKey>, Vec<&ApiKey>) {
        self.keys.iter().flatten().filter(|k| !k.inactive_flag).partition(|k| k.private_key_shown)
    }
}
