//! `apply`: makes the changes the API allows (integrator login, role, API member), performs
//! the UI-only steps through the mock console on mock-connectwise (key with "Save", role
//! levels), and prints exact UI instructions for them on a real server. Idempotent.

use std::path::PathBuf;

use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};

use crate::keyfile::{self, KeyStatus};
use crate::plan::{assess, missing_levels};
use crate::report::{Report, Status};
use crate::state::{State, find};
use crate::{Client, Connection, Error, Setup};
use cw_model::console::{self, KeyCreated, LevelChanges, NewKeyRequest, SaveAction};

/// How `apply` treats keys.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Where the integration's identity is written (dotenv, mode 0600).
    pub key_file: PathBuf,
    /// Make a new key even when the member already has one whose private half is not in the
    /// key file.
    pub new_key: bool,
}

/// Creates a record unless one with `field = value` exists. A create whose answer is lost
/// (the write may have happened) is followed by a look before trying again, so a flaky
/// connection never makes duplicates.
async fn ensure(client: &Client, path: &str, field: &str, value: &str, body: &Value) -> Result<(Value, bool), Error> {
    let mut last = None;
    for _ in 0..4 {
        if let Some(found) = find(client, path, field, value).await? {
            // Found after a lost answer: our own create went through.
            return Ok((found, last.is_some()));
        }
        match client.post(path, body).await {
            Ok(created) => return Ok((created, true)),
            Err(e @ Error::Transport { .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::Other(format!("could not create {value} at {path}"))))
}

fn password() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..24).map(|_| char::from(CHARS[(rng.next_u32() as usize) % CHARS.len()])).collect()
}

/// Applies the setup as `admin`; the key file receives the integration's identity.
pub async fn apply(
    client: &Client,
    admin: &Connection,
    setup: &Setup,
    options: &ApplyOptions,
) -> Result<Report, Error> {
    let mut changes = Vec::new();
    let mut instructions = Vec::new();
    let state = State::read(client, setup).await?;

    // S0: the integrator login, with a generated password that goes to the key file.
    let mut integrator_secret = None;
    let flags = setup.profile.integrator_flags();
    if setup.profile.integrator_login.is_none() {
        // The profile's page needs no integrator login.
    } else if let Some(login) = &state.integrator {
        if !state.integrator_gaps(flags).is_empty() {
            let mut ops = vec![json!({ "op": "replace", "path": "inactiveFlag", "value": false })];
            for flag in std::iter::once("canAccessAllRecordsFlag").chain(flags.iter().map(String::as_str)) {
                ops.push(json!({ "op": "replace", "path": flag, "value": true }));
            }
            client.patch(&format!("/system/integratorlogins/{}", login["id"]), &Value::Array(ops)).await?;
            changes.push(format!("S0: set the API flags of integrator login '{}'", setup.integrator));
        }
    } else {
        let secret = password();
        let mut body = json!({ "username": setup.integrator, "password": secret, "canAccessAllRecordsFlag": true });
        for flag in flags {
            body[flag.as_str()] = Value::Bool(true);
        }
        let (_, created) = ensure(client, "/system/integratorlogins", "username", &setup.integrator, &body).await?;
        if created {
            integrator_secret = Some(secret);
            changes.push(format!("S0: created integrator login '{}'", setup.integrator));
        }
    }

    // S9: the role.
    let (role, created) =
        ensure(client, "/system/securityroles", "name", &setup.role, &json!({ "name": setup.role })).await?;
    let role_id = role["id"].as_u64().ok_or_else(|| Error::Other("the security role has no id".into()))?;
    if created {
        changes.push(format!("S9: created security role '{}'", setup.role));
    }

    // S9.2-S9.8: levels change only in the UI; the mock's console stands in for it.
    let levels_now = State { role_levels: Some(crate::state::role_levels(client, role_id).await?), ..State::default() };
    let missing = missing_levels(&levels_now, &setup.profile);
    let items = levels_now.role_levels.as_ref().map(|l| setup.profile.missing_items(l)).unwrap_or_default();
    if !missing.is_empty() || !items.is_empty() {
        if client.is_mock() {
            let mut update = LevelChanges::default();
            for r in &missing {
                update = update.level(r.function, r.action, r.level);
            }
            for r in setup.profile.rows.iter().filter(|r| items.iter().any(|(f, _)| *f == r.function)) {
                update = update.customize(r.function, r.customize.clone());
            }
            let path = console::path::role_levels(client.company(), &role_id.to_string());
            client.console(Method::PATCH, &path, Some(&update.to_json())).await?;
            for r in &missing {
                changes.push(format!("{}: set {r} (mock console)", r.step_or_label()));
            }
            for (f, item) in &items {
                changes.push(format!("{f}: Customize now includes {item} (mock console)"));
            }
        } else {
            for r in &missing {
                instructions.push(format!(
                    "{}: System > Security Roles > '{}' > {} > {}: set {} Level to {}, then Save",
                    r.step_or_label(),
                    setup.role,
                    r.function.info().module,
                    r.function.info().function,
                    r.action,
                    r.level
                ));
            }
            for (f, item) in &items {
                instructions.push(format!(
                    "System > Security Roles > '{}' > {f}: Customize, tick {item}, then Save",
                    setup.role
                ));
            }
        }
    }

    // S2-S4, S9.1: the API member holding the role.
    let body = json!({ "identifier": setup.member, "name": setup.member_name, "securityRole": { "id": role_id } });
    let (member, created) = ensure(client, "/system/apiMembers", "identifier", &setup.member, &body).await?;
    if created {
        changes.push(format!("S2-S4: created API member '{}' with role '{}'", setup.member, setup.role));
    } else if member["securityRole"]["id"].as_u64() != Some(role_id) {
        let ops = json!([{ "op": "replace", "path": "securityRole", "value": { "id": role_id } }]);
        client.patch(&format!("/system/apiMembers/{}", member["id"]), &ops).await?;
        changes.push(format!("S9.1: assigned role '{}' to '{}'", setup.role, setup.member));
    }

    // S5-S8: the key. Written to the key file before anything is printed.
    let key = keyfile::check(&options.key_file).await;
    let mut key_problem = None;
    match (&key, client.is_mock()) {
        (KeyStatus::Works, _) => {
            if let Some(secret) = &integrator_secret {
                let (conn, mut extra) = keyfile::read(&options.key_file)?;
                extra.retain(|(k, _)| !k.starts_with("CW_INTEGRATOR_"));
                let mut pairs: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                pairs.push(("CW_INTEGRATOR_USERNAME", &setup.integrator));
                pairs.push(("CW_INTEGRATOR_PASSWORD", secret));
                keyfile::write_atomic(&options.key_file, &conn.to_dotenv(&pairs)?, true)?;
            }
        }
        (_, true) => {
            let state = State::read(client, setup).await?;
            let (shown, _) = state.keys_by_kind();
            if !shown.is_empty() && key == KeyStatus::Missing && !options.new_key {
                key_problem = Some(format!(
                    "'{}' already has {} key(s) whose private half is not in {}; pass --new-key to make another",
                    setup.member,
                    shown.len(),
                    options.key_file.display()
                ));
            } else {
                let path = console::path::member_keys(client.company(), &setup.member);
                let request = NewKeyRequest { description: setup.key_description.clone(), action: SaveAction::Save };
                let request = serde_json::to_value(request).map_err(|e| Error::Other(e.to_string()))?;
                let made: KeyCreated =
                    serde_json::from_value(client.console(Method::POST, &path, Some(&request)).await?)
                        .map_err(|e| Error::Other(format!("the mock console's new key is not a key: {e}")))?;
                let private_key = made
                    .private_key
                    .ok_or_else(|| Error::Other("the key was saved but its private half was not shown".into()))?;
                let conn = Connection {
                    url: admin.url.clone(),
                    company: admin.company.clone(),
                    public_key: made.key.public_key,
                    private_key,
                    client_id: admin.client_id.clone(),
                };
                let mut extra = vec![("CW_INTEGRATOR_USERNAME", setup.integrator.as_str())];
                if let Some(secret) = &integrator_secret {
                    extra.push(("CW_INTEGRATOR_PASSWORD", secret));
                }
                keyfile::write_atomic(&options.key_file, &conn.to_dotenv(&extra)?, key != KeyStatus::Missing)?;
                changes.push(format!(
                    "S5-S8: made API key {} for '{}' with Save; identity written to {}",
                    conn.public_key,
                    setup.member,
                    options.key_file.display()
                ));
            }
        }
        (_, false) => {
            for (id, text) in [
                ("S2-S4", format!("System > Members > API Members: open '{}'", setup.member)),
                ("S5", "open the API Keys tab and click +".to_owned()),
                ("S6", format!("Description: \"{}\"", setup.key_description)),
                ("S7", "click Save - NOT Save and Close (that loses the private key for good)".to_owned()),
                (
                    "S8",
                    format!(
                        "copy both keys into {} as CW_PUBLIC_KEY= and CW_PRIVATE_KEY= (with CW_URL, CW_COMPANY, CW_CLIENT_ID), mode 0600",
                        options.key_file.display()
                    ),
                ),
            ] {
                instructions.push(format!("{id}: {text}"));
            }
        }
    }

    let state = State::read(client, setup).await?;
    let key = keyfile::check(&options.key_file).await;
    let mut steps = assess(&state, setup, client.is_mock(), &key);
    if let Some(problem) = key_problem {
        for s in steps.iter_mut().filter(|s| ["S5", "S6", "S7", "S8"].contains(&s.id.as_str())) {
            s.status = Status::Failed;
            s.detail.clone_from(&problem);
        }
    }
    Ok(Report {
        command: "apply",
        ok: steps.iter().all(|s| s.status != Status::Failed),
        server: client.api_root().to_owned(),
        mock: client.is_mock(),
        steps,
        changes,
        instructions,
        warnings: Vec::new(),
    })
}
