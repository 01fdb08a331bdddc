//! `apply`: makes the changes the API allows (integrator login, role, API member), performs
//! the UI-only steps through the mock console on mock-connectwise (key with "Save", role
//! levels), and prints exact UI instructions for them on a real server. Idempotent.
//!
//! Order matters: every value is validated ([`crate::validate`]) and everything is read first;
//! a setup naming the member whose keys the command runs with is refused (it would lock the
//! administrator out); then the key file is proven writable ([`keyfile::preflight`]) before
//! anything changes on the server, and each secret is written to it the moment it exists
//! ([`crate::keep`]), because a password or private key that is not on disk is lost for good.
//! An existing key file is never replaced without a timestamped backup, which the report names.

use std::path::PathBuf;

use rand::Rng;
use reqwest::Method;
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Value, json};

use crate::keep::{Progress, keep_password, login_entries, write_key_file};
use crate::keyfile::{self, KeyStatus};
use crate::plan::{assess, missing_levels};
use crate::records::{ApiMember, IntegratorLogin, SecurityRole};
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

/// What `apply` may repair beyond [`ApplyOptions`] (apart so that adding a repair does not
/// change the options every caller builds).
#[derive(Clone, Copy, Debug, Default)]
pub struct Repairs {
    /// Give an existing integrator login a new password when the key file does not keep its
    /// current one (the new one is in the key file before it is sent).
    pub new_password: bool,
}

/// How many times a create is tried when its answer is lost.
const CREATE_ATTEMPTS: usize = 4;

/// Creates a record unless one with `field = value` exists. A create whose answer is lost
/// (the write may have happened) is followed by a look before trying again, so a flaky
/// connection never makes duplicates.
async fn ensure<B: Serialize, T: DeserializeOwned>(
    client: &Client,
    path: &str,
    field: &str,
    value: &str,
    body: &B,
) -> Result<(T, bool), Error> {
    let mut lost = 0;
    loop {
        if let Some(found) = find(client, path, field, value).await? {
            // Found after a lost answer: our own create went through.
            return Ok((found, lost > 0));
        }
        match client.post(path, body).await {
            Ok(created) => return Ok((created, true)),
            // The create may have happened: look again before another try.
            Err(e @ (Error::Transport { .. } | Error::Timeout { .. })) => {
                lost += 1;
                if lost == CREATE_ATTEMPTS {
                    return Err(Error::NotCreated {
                        path: path.to_owned(),
                        value: value.to_owned(),
                        attempts: lost,
                        source: Box::new(e),
                    });
                }
            }
            Err(e) => return Err(e),
        }
    }
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
    apply_repairing(client, admin, setup, options, Repairs::default()).await
}

/// [`apply`], with the repairs asked for (`apply --new-password`).
pub async fn apply_repairing(
    client: &Client,
    admin: &Connection,
    setup: &Setup,
    options: &ApplyOptions,
    repairs: Repairs,
) -> Result<Report, Error> {
    crate::validate::setup(setup, admin)?;
    let state = State::read(client, setup).await?;
    refuse_self(client, admin, setup).await?;
    let key = keyfile::check(&options.key_file).await?;
    let new_login = setup.profile.integrator_login.is_some() && state.integrator.is_none();
    if key != KeyStatus::Works || new_login {
        // Nothing changes on the server before the secrets it makes can be kept.
        keyfile::preflight(&options.key_file)?;
    }
    let mut progress = Progress::default();
    ensure_integrator(client, admin, setup, (options, repairs), &state, &key, &mut progress).await?;
    let role_id = ensure_role(client, setup, &mut progress).await?;
    ensure_levels(client, setup, role_id, &mut progress).await?;
    ensure_member(client, setup, role_id, &mut progress).await?;
    let key_problem = ensure_key(client, admin, setup, options, &key, &mut progress).await?;
    report(client, setup, options, key_problem, progress).await
}

/// Refuses a setup whose API member is the one the command's own keys belong to: assigning
/// it the integration's role would lock the administrator out (issue #27, defect 13). The
/// caller is the `member` of its own `/system/mySecurity` rows (A27.50).
pub(crate) async fn refuse_self(client: &Client, admin: &Connection, setup: &Setup) -> Result<(), Error> {
    match crate::state::caller_member(client).await? {
        Some(me) if me.eq_ignore_ascii_case(&setup.member) => {
            Err(Error::SelfTakeover { member: setup.member.clone(), public_key: admin.public_key.clone() })
        }
        _ => Ok(()),
    }
}

/// S0: the integrator login, with a generated password that is in the key file before the
/// login is created.
async fn ensure_integrator(
    client: &Client,
    admin: &Connection,
    setup: &Setup,
    (options, repairs): (&ApplyOptions, Repairs),
    state: &State,
    key: &KeyStatus,
    progress: &mut Progress,
) -> Result<(), Error> {
    if setup.profile.integrator_login.is_none() {
        return Ok(());
    }
    let flags = setup.profile.integrator_flags();
    let all_flags = || std::iter::once("canAccessAllRecordsFlag").chain(flags.iter().map(String::as_str));
    if let Some(login) = &state.integrator {
        let kept = keyfile::kept_password(&options.key_file, &setup.integrator).is_some();
        if !kept && repairs.new_password {
            let secret = password();
            keep_password(&options.key_file, admin, setup, key, &secret, progress)?;
            let ops = [json!({ "op": "replace", "path": "password", "value": secret })];
            let _: IgnoredAny = client.patch(&format!("/system/integratorlogins/{}", login.id), &ops).await?;
            progress.changes.push(format!("S0: gave integrator login '{}' a new password", setup.integrator));
        }
        if !state.integrator_gaps(flags).is_empty() {
            let mut ops = vec![json!({ "op": "replace", "path": "inactiveFlag", "value": false })];
            ops.extend(all_flags().map(|f| json!({ "op": "replace", "path": f, "value": true })));
            let _: IgnoredAny = client.patch(&format!("/system/integratorlogins/{}", login.id), &ops).await?;
            progress.changes.push(format!("S0: set the API flags of integrator login '{}'", setup.integrator));
        }
        return Ok(());
    }
    let secret = password();
    // On disk before the create is sent: a create whose answer is lost, or a run killed after
    // it, still leaves the password where the operator will look.
    keep_password(&options.key_file, admin, setup, key, &secret, progress)?;
    let mut body = json!({ "username": setup.integrator, "password": secret });
    for flag in all_flags() {
        body[flag] = Value::Bool(true);
    }
    let (_, created): (IntegratorLogin, bool) =
        ensure(client, "/system/integratorlogins", "username", &setup.integrator, &body).await?;
    if created {
        progress.changes.push(format!("S0: created integrator login '{}'", setup.integrator));
    }
    Ok(())
}

/// S9: the role; returns its id.
async fn ensure_role(client: &Client, setup: &Setup, progress: &mut Progress) -> Result<u64, Error> {
    let body = json!({ "name": setup.role });
    let (role, created): (SecurityRole, bool) =
        ensure(client, "/system/securityroles", "name", &setup.role, &body).await?;
    if created {
        progress.changes.push(format!("S9: created security role '{}'", setup.role));
    }
    Ok(role.id)
}

/// S9.2–S9.8: levels change only in the UI; the mock's console stands in for it.
async fn ensure_levels(client: &Client, setup: &Setup, role_id: u64, progress: &mut Progress) -> Result<(), Error> {
    let levels = if client.is_mock() {
        // The API reports only that a row is customised (`customFlag`); the console shows the list.
        let path = console::path::role_levels(client.company(), &role_id.to_string());
        client.console::<(), console::RoleLevelsView>(Method::GET, &path, None).await?.to_levels()
    } else {
        crate::state::role_levels(client, role_id).await?
    };
    // Rows whose Customize list is not exactly the profile's (least privilege both ways).
    let lists: Vec<&cw_model::ProfileRow> = setup
        .profile
        .rows
        .iter()
        .filter(|r| r.customize.is_some() && levels.customize(r.function) != r.customize.as_ref())
        .collect();
    let now = State { role_levels: Some(levels), ..State::default() };
    let missing = missing_levels(&now, &setup.profile);
    let items = now.role_levels.as_ref().map(|l| setup.profile.missing_items(l)).unwrap_or_default();
    if missing.is_empty() && items.is_empty() && (lists.is_empty() || !client.is_mock()) {
        return Ok(());
    }
    if !client.is_mock() {
        for r in &missing {
            let info = r.function.info();
            progress.instructions.push(format!(
                "{}: System > Security Roles > '{}' > {} > {}: set {} Level to {}, then Save",
                r.step_or_label(),
                setup.role,
                info.module,
                info.function,
                r.action,
                r.level
            ));
        }
        for (f, item) in &items {
            progress
                .instructions
                .push(format!("System > Security Roles > '{}' > {f}: Customize, tick {item}, then Save", setup.role));
        }
        return Ok(());
    }
    let mut update = LevelChanges::default();
    for r in &missing {
        update = update.level(r.function, r.action, r.level);
    }
    for r in &lists {
        update = update.customize(r.function, r.customize.clone());
    }
    let path = console::path::role_levels(client.company(), &role_id.to_string());
    let _: IgnoredAny = client.console(Method::PATCH, &path, Some(&update.to_json())).await?;
    progress.changes.extend(missing.iter().map(|r| format!("{}: set {r} (mock console)", r.step_or_label())));
    progress.changes.extend(lists.iter().map(|r| {
        let items: Vec<&str> = r.customize.iter().flatten().map(String::as_str).collect();
        format!("{}: Customize list set to {} (mock console)", r.function, items.join(", "))
    }));
    Ok(())
}

/// S2–S4, S9.1: the API member holding the role.
async fn ensure_member(client: &Client, setup: &Setup, role_id: u64, progress: &mut Progress) -> Result<(), Error> {
    let body = json!({ "identifier": setup.member, "name": setup.member_name, "securityRole": { "id": role_id } });
    let (member, created): (ApiMember, bool) =
        ensure(client, "/system/apiMembers", "identifier", &setup.member, &body).await?;
    if created {
        progress.changes.push(format!("S2-S4: created API member '{}' with role '{}'", setup.member, setup.role));
    } else if member.security_role.as_ref().map(|r| r.id) != Some(role_id) {
        let ops = json!([{ "op": "replace", "path": "securityRole", "value": { "id": role_id } }]);
        let _: IgnoredAny = client.patch(&format!("/system/apiMembers/{}", member.id), &ops).await?;
        progress.changes.push(format!("S9.1: assigned role '{}' to '{}'", setup.role, setup.member));
    }
    Ok(())
}

/// S5–S8: the key, written to the key file before anything is printed. Returns why no key
/// was made where one should have been.
async fn ensure_key(
    client: &Client,
    admin: &Connection,
    setup: &Setup,
    options: &ApplyOptions,
    key: &KeyStatus,
    progress: &mut Progress,
) -> Result<Option<String>, Error> {
    let file = &options.key_file;
    if *key == KeyStatus::Works {
        return Ok(None);
    }
    if !client.is_mock() {
        ui_key_steps(setup, file, progress);
        return Ok(None);
    }
    let state = State::read(client, setup).await?;
    let (shown, _) = state.keys_by_kind();
    if !shown.is_empty() && *key == KeyStatus::Missing && !options.new_key {
        return Ok(Some(format!(
            "'{}' already has {} key(s) whose private half is not in {}; pass --new-key to make another",
            setup.member,
            shown.len(),
            file.display()
        )));
    }
    // The login's password, kept earlier in this run or by an earlier one, is carried over.
    let login = login_entries(file, setup);
    let conn = new_key(client, admin, setup).await?;
    let extra: Vec<(&str, &str)> = login.iter().map(|(k, v)| (*k, v.as_str())).collect();
    write_key_file(file, &keyfile::render(file, &conn, &extra)?, progress)?;
    progress.changes.push(format!(
        "S5-S8: made API key {} for '{}' with Save; identity written to {}",
        conn.public_key,
        setup.member,
        file.display()
    ));
    Ok(None)
}

/// Makes a key with "Save" through the mock console; refuses keys that are not plausible.
async fn new_key(client: &Client, admin: &Connection, setup: &Setup) -> Result<Connection, Error> {
    let path = console::path::member_keys(client.company(), &setup.member);
    let request = NewKeyRequest { description: setup.key_description.clone(), action: SaveAction::Save };
    let made: KeyCreated = client.console(Method::POST, &path, Some(&request)).await?;
    let private_key = made.private_key.ok_or_else(|| Error::Unexpected {
        call: format!("POST /__mock{path}"),
        problem: "the key was saved but its private half was not shown".into(),
    })?;
    keyfile::plausible_key("public key", &made.key.public_key)?;
    keyfile::plausible_key("private key", secrecy::ExposeSecret::expose_secret(&private_key))?;
    Ok(Connection {
        url: admin.url.clone(),
        company: admin.company.clone(),
        public_key: made.key.public_key,
        private_key,
        client_id: admin.client_id.clone(),
    })
}

/// On a real server: the key steps as UI instructions (a new integrator login's password is
/// already in the key file, without keys until a person adds them).
fn ui_key_steps(setup: &Setup, file: &std::path::Path, progress: &mut Progress) {
    let steps = [
        ("S2-S4", format!("System > Members > API Members: open '{}'", setup.member)),
        ("S5", "open the API Keys tab and click +".to_owned()),
        ("S6", format!("Description: \"{}\"", setup.key_description)),
        ("S7", "click Save - NOT Save and Close (that loses the private key for good)".to_owned()),
        (
            "S8",
            format!(
                "copy both keys into {} as CW_PUBLIC_KEY= and CW_PRIVATE_KEY= (with CW_URL, CW_COMPANY, CW_CLIENT_ID), mode 0600",
                file.display()
            ),
        ),
    ];
    progress.instructions.extend(steps.into_iter().map(|(id, text)| format!("{id}: {text}")));
}

/// The report after the changes: every step assessed again from the server.
async fn report(
    client: &Client,
    setup: &Setup,
    options: &ApplyOptions,
    key_problem: Option<String>,
    progress: Progress,
) -> Result<Report, Error> {
    let state = State::read(client, setup).await?;
    let key = keyfile::check(&options.key_file).await?;
    let kept = keyfile::kept_password(&options.key_file, &setup.integrator).is_some();
    let mut steps = assess(&state, setup, client.is_mock(), &key, kept);
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
        profile: setup.profile.name.clone(),
        steps,
        changes: progress.changes,
        instructions: progress.instructions,
        warnings: Vec::new(),
    })
}
