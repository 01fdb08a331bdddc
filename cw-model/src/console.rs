//! The mock console's protocol (`/__mock`): its paths and the typed bodies of its requests and
//! answers. The mock serves them, and the provisioner, the tests' harness and the features
//! call them, all through these types, so the protocol is written once.

use std::collections::{BTreeMap, BTreeSet};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::function::Function;
use crate::level::{Action, PermissionLevel};

/// Where the console lives on the mock's site.
pub const PREFIX: &str = "/__mock";

/// The console's paths, relative to [`PREFIX`].
pub mod path {
    /// Every API key of a company.
    pub fn keys(company: &str) -> String {
        format!("/companies/{company}/keys")
    }
    /// One API key.
    pub fn key(company: &str, id: u32) -> String {
        format!("/companies/{company}/keys/{id}")
    }
    /// A member's API keys (GET lists, POST makes one).
    pub fn member_keys(company: &str, member: &str) -> String {
        format!("/companies/{company}/members/{member}/keys")
    }
    /// A role's levels (by id or name).
    pub fn role_levels(company: &str, role: &str) -> String {
        format!("/companies/{company}/roles/{role}/levels")
    }
    /// Soft mode.
    pub const SOFT_MODE: &str = "/soft-mode";
    /// The permission journal.
    pub const PERMISSION_JOURNAL: &str = "/permission-journal";
}

/// "Save" (the record stays open and the private key is displayed once) or "Save and Close"
/// (the tab closes; the key exists but its private half is never displayed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SaveAction {
    /// Save: the private key is shown in the response, once.
    #[serde(alias = "Save")]
    Save,
    /// Save and Close: the private key is never shown.
    #[serde(alias = "SaveAndClose", alias = "save-and-close")]
    SaveAndClose,
}

/// `POST` [`path::member_keys`]: make an API key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewKeyRequest {
    /// The key's description (S6), 1 to 100 characters.
    pub description: String,
    /// Which button was clicked (S7).
    pub action: SaveAction,
}

/// An API key as the console lists it: never the private half.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// The key's id.
    pub id: u32,
    /// The member's id.
    pub member_id: u32,
    /// The member's identifier.
    pub member_identifier: String,
    /// The description.
    pub description: String,
    /// The public half.
    pub public_key: String,
    /// When it was made (`yyyy-MM-ddTHH:mm:ssZ`).
    pub created_at: String,
    /// Whether anyone was shown the private half ("Save", not "Save and Close").
    pub private_key_shown: bool,
    /// Deactivated.
    pub inactive_flag: bool,
}

/// The answer to [`NewKeyRequest`]: the key, and its private half for "Save" only.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCreated {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKey,
    /// The private half, shown this once.
    pub private_key: Option<SecretString>,
}

/// `PATCH` [`path::key`]: (de)activate a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPatch {
    /// Deactivated.
    pub inactive_flag: bool,
}

/// `GET`/`PUT` [`path::SOFT_MODE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftMode {
    /// Nothing is refused for want of a level; would-be refusals are journaled.
    pub soft_mode: bool,
}

/// What a levels document asks to change: levels, and Customize lists (`None` lifts one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LevelChanges {
    /// Levels to set.
    pub levels: Vec<(Function, Action, PermissionLevel)>,
    /// Customize lists to set.
    pub customize: Vec<(Function, Option<BTreeSet<String>>)>,
}

impl LevelChanges {
    /// Sets one level.
    pub fn level(mut self, function: Function, action: Action, level: PermissionLevel) -> Self {
        self.levels.push((function, action, level));
        self
    }

    /// Sets (or with `None` lifts) a row's Customize list.
    pub fn customize(mut self, function: Function, items: Option<BTreeSet<String>>) -> Self {
        self.customize.push((function, items));
        self
    }

    /// What a role holds, as changes from a role that holds nothing: every level above `None`
    /// and every Customize list.
    pub fn of(role: &crate::RoleLevels) -> Self {
        Self {
            levels: role.granted().collect(),
            customize: Function::ALL.iter().filter_map(|&f| role.customize(f).map(|i| (f, Some(i.clone())))).collect(),
        }
    }

    /// Makes the changes to `role`.
    pub fn apply(&self, role: &mut crate::RoleLevels) {
        for &(f, a, l) in &self.levels {
            role.set(f, a, l);
        }
        for (f, items) in &self.customize {
            role.set_customize(*f, items.clone());
        }
    }

    /// The levels document `PUT` [`path::role_levels`] takes:
    /// `{"Finance > Agreements": {"Add": "All"}, "System > Table Setup": {"customize": [...]}}`.
    pub fn to_json(&self) -> Value {
        let mut doc: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for (f, a, l) in &self.levels {
            doc.entry(f.label()).or_default().insert(a.as_str().to_owned(), Value::from(l.as_str()));
        }
        for (f, items) in &self.customize {
            let v = items.as_ref().map_or(Value::Null, |i| Value::from(i.iter().cloned().collect::<Vec<_>>()));
            doc.entry(f.label()).or_default().insert("customize".to_owned(), v);
        }
        Value::Object(doc.into_iter().map(|(k, v)| (k, Value::Object(v))).collect())
    }

    /// Reads a levels document: the object form of [`LevelChanges::to_json`] (columns by name
    /// or setting field, any case), or a list of rows in the settings' own shape
    /// (`[{"function": "Finance > Agreements", "addLevel": "All"}]`).
    pub fn from_json(doc: &Value) -> Result<Self, String> {
        let mut changes = Self::default();
        let function = |name: &str| {
            Function::find(name)
                .ok_or_else(|| format!("no security-role row named '{name}' (GET /__mock/permissions lists them)"))
        };
        let mut row = |f: Function, cols: &Map<String, Value>| -> Result<(), String> {
            for (key, v) in cols {
                if key.eq_ignore_ascii_case("customize") {
                    let items = match v {
                        Value::Null => None,
                        Value::Array(items) => Some(
                            items
                                .iter()
                                .map(|i| i.as_str().map(|s| s.trim().to_owned()))
                                .collect::<Option<BTreeSet<String>>>()
                                .ok_or_else(|| {
                                    format!(
                                        "{f}: customize must be a list of names such as \"Service / Service Board\""
                                    )
                                })?,
                        ),
                        _ => return Err(format!("{f}: customize must be a list of names or null")),
                    };
                    changes.customize.push((f, items));
                    continue;
                }
                if ["function", "moduleFunctionName", "moduleFunctionIdentifier", "module", "name"]
                    .contains(&key.as_str())
                {
                    continue;
                }
                let action = key.parse::<Action>().map_err(|e| format!("{f}: {e}"))?;
                let level = v
                    .as_str()
                    .ok_or_else(|| format!("{f}: {action} must be None, My or All"))?
                    .parse::<PermissionLevel>()
                    .map_err(|e| format!("{f}: {action}: {e}"))?;
                changes.levels.push((f, action, level));
            }
            Ok(())
        };
        match doc {
            Value::Object(table) => {
                for (name, cols) in table {
                    let cols = cols.as_object().ok_or_else(|| format!("{name}: expected {{\"Add\": \"All\", ...}}"))?;
                    row(function(name)?, cols)?;
                }
            }
            Value::Array(rows) => {
                for r in rows {
                    let cols = r.as_object().ok_or("each row must be an object")?;
                    let name = ["function", "moduleFunctionName", "moduleFunctionIdentifier"]
                        .iter()
                        .find_map(|k| cols.get(*k).and_then(Value::as_str))
                        .ok_or("each row needs a \"function\" such as \"Finance > Agreements\"")?;
                    row(function(name)?, cols)?;
                }
            }
            _ => return Err("expected {\"Module > Function\": {\"Add\": \"All\"}} or a list of rows".into()),
        }
        Ok(changes)
    }
}

/// One row of a role's levels as the console shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelsRow {
    /// `Module > Function`.
    pub function: String,
    /// The module.
    pub module: String,
    /// The function's name.
    pub name: String,
    /// Add.
    pub add_level: PermissionLevel,
    /// Edit.
    pub edit_level: PermissionLevel,
    /// Delete.
    pub delete_level: PermissionLevel,
    /// Inquire.
    pub inquire_level: PermissionLevel,
    /// The Customize list, where the row has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customize: Option<Vec<String>>,
}

/// `GET` [`path::role_levels`]: a role's levels, and how they compare with a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleLevelsView {
    /// The role's id.
    pub role_id: u32,
    /// Every row.
    pub levels: Vec<LevelsRow>,
    /// Whether the role meets the default profile.
    pub satisfies_integration_profile: bool,
    /// The default profile's requirements it misses: `S9.3 (Finance > Agreements: Add Level = All)`.
    pub missing_for_integration: Vec<String>,
    /// Levels beyond the default profile.
    pub beyond_integration_profile: Vec<String>,
}

impl RoleLevelsView {
    /// The view of `levels` against `profile`.
    pub fn new(role_id: u32, levels: &crate::RoleLevels, profile: &crate::Profile) -> Self {
        let rows = Function::ALL
            .iter()
            .map(|&f| LevelsRow {
                function: f.label(),
                module: f.info().module.to_owned(),
                name: f.info().function.to_owned(),
                add_level: levels.get(f, Action::Add),
                edit_level: levels.get(f, Action::Edit),
                delete_level: levels.get(f, Action::Delete),
                inquire_level: levels.get(f, Action::Inquire),
                customize: levels.customize(f).map(|i| i.iter().cloned().collect()),
            })
            .collect();
        let missing: Vec<String> = profile
            .missing(levels)
            .iter()
            .map(|r| format!("{} ({r})", r.step_or_label()))
            .chain(profile.missing_items(levels).iter().map(|(f, item)| format!("{f}: Customize must include {item}")))
            .collect();
        let excess = profile.excess(levels).iter().map(|(f, a, l)| format!("{f}: {a} Level = {l}")).collect();
        Self {
            role_id,
            levels: rows,
            satisfies_integration_profile: missing.is_empty(),
            missing_for_integration: missing,
            beyond_integration_profile: excess,
        }
    }

    /// The levels back as a [`crate::RoleLevels`] (rows it does not know are skipped).
    pub fn to_levels(&self) -> crate::RoleLevels {
        let mut levels = crate::RoleLevels::none();
        for row in &self.levels {
            let Some(f) = Function::find(&row.function) else { continue };
            for (a, l) in [
                (Action::Add, row.add_level),
                (Action::Edit, row.edit_level),
                (Action::Delete, row.delete_level),
                (Action::Inquire, row.inquire_level),
            ] {
                levels.set(f, a, l);
            }
            levels.set_customize(f, row.customize.as_ref().map(|i| i.iter().cloned().collect()));
        }
        levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_round_trips_through_its_levels_document() {
        let mut role = crate::RoleLevels::none();
        role.set(Function::Agreements, Action::Edit, PermissionLevel::My);
        role.set_customize(Function::TableSetup, Some(BTreeSet::from(["Service / Priority".to_owned()])));
        let doc = LevelChanges::of(&role).to_json();
        let mut back = crate::RoleLevels::none();
        LevelChanges::from_json(&doc).unwrap_or_else(|e| panic!("{e}")).apply(&mut back);
        assert_eq!(back, role);
    }

    #[test]
    fn a_levels_document_round_trips() {
        let changes = LevelChanges::default()
            .level(Function::Agreements, Action::Add, PermissionLevel::All)
            .level(Function::TableSetup, Action::Inquire, PermissionLevel::All)
            .customize(Function::TableSetup, Some(BTreeSet::from(["Service / Service Board".to_owned()])));
        let doc = changes.to_json();
        assert_eq!(doc["System > Table Setup"]["customize"][0], "Service / Service Board");
        assert_eq!(LevelChanges::from_json(&doc), Ok(changes));
    }

    #[test]
    fn level_documents_in_the_settings_shape_and_bad_ones() {
        let rows = serde_json::json!([{ "function": "Finance > Agreements", "addLevel": "all", "inquireLevel": "My" }]);
        let c = LevelChanges::from_json(&rows).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.levels,
            [
                (Function::Agreements, Action::Add, PermissionLevel::All),
                (Function::Agreements, Action::Inquire, PermissionLevel::My)
            ]
        );
        let bad = LevelChanges::from_json(&serde_json::json!({ "Finance > Nothing": { "Add": "All" } }));
        assert!(bad.is_err_and(|e| e.contains("Finance > Nothing")));
        let bad = LevelChanges::from_json(&serde_json::json!({ "Finance > Agreements": { "Add": "Most" } }));
        assert!(bad.is_err_and(|e| e.contains("Most")));
    }

    #[test]
    fn a_new_key_answer_keeps_the_private_half_secret() {
        use secrecy::ExposeSecret;
        let answer: KeyCreated = serde_json::from_value(serde_json::json!({
            "id": 1, "memberId": 2, "memberIdentifier": "m", "description": "d", "publicKey": "p",
            "createdAt": "2025-01-01T00:00:00Z", "privateKeyShown": true, "inactiveFlag": false, "privateKey": "s3cret"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.private_key.as_ref().map(|s| s.expose_secret().to_owned()).as_deref(), Some("s3cret"));
        assert!(!format!("{answer:?}").contains("s3cret"));
    }
}
