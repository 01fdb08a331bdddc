//! `verify`: with the integration's own keys, checks that they authenticate, that the
//! member's effective rights (`/system/mySecurity`) hold every level of the profile, and that
//! behaviour agrees (probes per level), and warns about privileges beyond the profile.
//!
//! Each profile row is one report step: a row the role falls short on fails, naming every
//! missing level (`Finance > Agreements: Add Level = All missing (has None)`); each level
//! beyond the profile is a warning naming the profile.
//!
//! Write probes change nothing: Add sends an empty body, which a permitted caller gets 400
//! for (validation) and a refused one 403; Edit writes a field's current value back.

use cw_model::{Action, Function, PermissionLevel, Profile, ProfileRow, RoleLevels};
use serde::de::IgnoredAny;
use serde_json::json;

use crate::records::{AnyRecord, SettingRow};
use crate::report::{Report, Status, StepReport};
use crate::state::levels_from_settings;
use crate::{Client, Error};

/// What to probe.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions {
    /// Only reads: skip the Add and Edit probes.
    pub read_only: bool,
}

/// A behavioural probe that was refused or failed: which call, and the server's answer
/// (for a refusal, its 403 naming the missing level).
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct ProbeFailure {
    /// The action probed.
    pub action: Action,
    /// The collection probed.
    pub path: &'static str,
    /// What the server or the transport said.
    #[source]
    pub source: Error,
}

/// The fields an Edit probe may write back unchanged, in order of preference; the first the
/// record holds as a string is used.
const EDIT_FIELDS: [&str; 6] = ["name", "summary", "description", "firstName", "username", "identifier"];

/// The field an Edit probe writes back unchanged, per probed collection (for documentation).
fn edit_field(probe: &str) -> &'static str {
    match probe {
        "/service/tickets" => "summary",
        "/procurement/catalog" => "description",
        "/system/members" => "firstName",
        "/system/integratorlogins" => "username",
        _ => "name",
    }
}

/// 405: the endpoint takes no such method at all, so the probe says nothing about levels.
fn unsupported(e: &Error) -> bool {
    e.status() == Some(405)
}

/// One behavioural probe of `action` on `function`'s collection that changes no data; `Ok`
/// says what was seen.
pub async fn probe(client: &Client, function: Function, action: Action) -> Result<String, ProbeFailure> {
    let Some(path) = function.info().probe else {
        return Ok(format!("{function} has no probe; checked through /system/mySecurity only"));
    };
    let failed = |source| ProbeFailure { action, path, source };
    match action {
        Action::Inquire => {
            let _: IgnoredAny = client.get(&format!("{path}?pageSize=1")).await.map_err(failed)?;
            Ok(format!("GET {path} answered"))
        }
        Action::Add => match client.post::<_, IgnoredAny>(path, &json!({})).await {
            Err(e) if e.status() == Some(400) => Ok(format!("POST {path} permitted (empty body refused as invalid)")),
            Err(e) if unsupported(&e) => Ok(format!("{path} takes no POST; Add checked through /system/mySecurity")),
            Err(e) => Err(failed(e)),
            Ok(_) => Ok(format!("POST {path} accepted an empty body")),
        },
        Action::Edit => probe_edit(client, path).await.map_err(failed),
        Action::Delete => Ok(String::new()),
    }
}

/// The Edit probe: the first record's field written back with its own value.
async fn probe_edit(client: &Client, path: &'static str) -> Result<String, Error> {
    let first: Vec<AnyRecord> = client.get(&format!("{path}?pageSize=1&orderBy=id")).await?;
    let Some((id, record)) = first.first().and_then(|r| Some((r.id?, r))) else {
        return Ok(format!("no record with an id at {path} to probe Edit on"));
    };
    let found = EDIT_FIELDS.iter().find_map(|f| record.fields.get(*f).filter(|v| v.is_string()).map(|v| (*f, v)));
    let Some((field, value)) = found else {
        return Ok(format!("{path}/{id} has no plain field to write back; Edit checked through /system/mySecurity"));
    };
    let ops = json!([{ "op": "replace", "path": field, "value": value }]);
    match client.patch::<_, IgnoredAny>(&format!("{path}/{id}"), &ops).await {
        Ok(_) => Ok(format!("PATCH {path}/{id} permitted ({field} unchanged)")),
        Err(e) if unsupported(&e) => Ok(format!("{path} takes no PATCH; Edit checked through /system/mySecurity")),
        Err(e) => Err(e),
    }
}

fn step(id: &str, status: Status, detail: impl Into<String>) -> StepReport {
    let title = crate::plan::SETUP_STEPS.iter().find(|(s, _)| *s == id).map_or("", |(_, t)| t);
    StepReport { id: id.to_owned(), title: title.to_owned(), status, detail: detail.into() }
}

/// Verifies the integration's identity `client` is connected as against `profile`.
pub async fn verify(client: &Client, profile: &Profile, options: VerifyOptions) -> Result<Report, Error> {
    let mut report = Report {
        command: "verify",
        server: client.api_root().to_owned(),
        mock: client.is_mock(),
        profile: profile.name.clone(),
        ..Report::default()
    };
    if let Err(e) = client.get::<IgnoredAny>("/system/info").await {
        report.steps.push(step("S8", Status::Failed, format!("the keys do not authenticate: {e}")));
        return Ok(report);
    }
    report.steps.push(step("S8", Status::Done, "the keys authenticate"));
    let rows: Vec<SettingRow> = client.get_all("/system/mySecurity").await?;
    let levels = levels_from_settings(&rows);
    report.steps.push(if rows.is_empty() {
        step("S9.1", Status::Failed, "the member has no security role")
    } else {
        step("S9.1", Status::Done, format!("the member's role grants {} setting rows", rows.len()))
    });
    for row in &profile.rows {
        report.steps.push(verify_row(client, profile, row, &levels, options).await);
    }
    report.warnings = beyond(profile, &levels);
    report.ok = report.steps.iter().all(|s| s.status == Status::Done);
    Ok(report)
}

/// One profile row: every level it needs held, and the probes of its actions agreeing.
async fn verify_row(
    client: &Client,
    profile: &Profile,
    row: &ProfileRow,
    levels: &RoleLevels,
    options: VerifyOptions,
) -> StepReport {
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for r in profile.requirements().filter(|r| r.function == row.function) {
        let has = levels.get(r.function, r.action);
        if has < r.level {
            failures.push(format!("{r} missing (has {has})"));
        }
    }
    // A Customize list without the probe's sub-item leaves it refused by design.
    let item = row.function.probe_item();
    if let (Some(item), Some(list)) = (item, &row.customize) {
        if !list.iter().any(|i| i.eq_ignore_ascii_case(item)) {
            notes.push(format!(
                "the Customize list leaves out {item}, the probe's table; checked through /system/mySecurity only"
            ));
            return row_report(row, failures, notes);
        }
    }
    for (action, _) in row.actions() {
        if action == Action::Delete || (options.read_only && action != Action::Inquire) {
            continue;
        }
        match probe(client, row.function, action).await {
            Ok(note) if !notes.contains(&note) => notes.push(note),
            Ok(_) => {}
            Err(e) => failures.push(format!("probe failed: {e}")),
        }
    }
    row_report(row, failures, notes)
}

/// A row's report: done with its notes, or failed with what failed.
fn row_report(row: &ProfileRow, failures: Vec<String>, notes: Vec<String>) -> StepReport {
    if failures.is_empty() {
        crate::plan::profile_row(row, Status::Done, notes.join("; "))
    } else {
        crate::plan::profile_row(row, Status::Failed, failures.join("; "))
    }
}

/// Levels the identity holds beyond the profile, one warning each, naming the profile.
fn beyond(profile: &Profile, levels: &RoleLevels) -> Vec<String> {
    profile
        .excess(levels)
        .into_iter()
        .map(|(function, action, level)| {
            let needed = profile.row(function).map_or(PermissionLevel::None, |r| r.level(action));
            format!(
                "{function}: {action} Level = {level} is beyond the profile '{}', which needs {needed} (least privilege)",
                profile.name
            )
        })
        .collect()
}

/// The probes as data, for documentation: `(step or label, action, what is called)`.
pub fn probe_table(profile: &Profile) -> Vec<(String, Action, String)> {
    let mut out = Vec::new();
    for row in &profile.rows {
        let Some(path) = row.function.info().probe else { continue };
        let id = row.step.clone().unwrap_or_else(|| row.function.label());
        for (action, _) in row.actions() {
            let call = match action {
                Action::Inquire => format!("GET {path}?pageSize=1"),
                Action::Add => format!("POST {path} with {{}} (400 = permitted)"),
                Action::Edit => format!("PATCH {path}/{{first id}} {} unchanged", edit_field(path)),
                Action::Delete => continue,
            };
            out.push((id.clone(), action, call));
        }
    }
    out
}
