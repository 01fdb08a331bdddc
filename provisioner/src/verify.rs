//! `verify`: with the integration's own keys, checks that they authenticate, that the
//! member's effective rights (`/system/mySecurity`) hold every level of S9.2–S9.8, and that
//! behaviour agrees (probes per level), and warns about privileges beyond the profile.
//!
//! Write probes change nothing: Add sends an empty body, which a permitted caller gets 400
//! for (validation) and a refused one 403; Edit writes a field's current value back.

use cw_model::{Action, Function, Profile, RoleLevels};
use serde_json::json;

use crate::report::{Report, Status, StepReport};
use crate::state::levels_from_rows;
use crate::{Client, Error};

/// What to probe.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions {
    /// Only reads: skip the Add and Edit probes.
    pub read_only: bool,
}

/// The field an Edit probe writes back unchanged, per probed collection.
fn edit_field(probe: &str) -> &'static str {
    match probe {
        "/service/tickets" => "summary",
        "/procurement/catalog" => "description",
        _ => "name",
    }
}

/// One behavioural probe of `action` on `function`'s collection that changes no data; `Err`
/// says what failed (for a refusal, the server's 403 message naming the missing level).
pub async fn probe(client: &Client, function: Function, action: Action) -> Result<String, String> {
    let Some(path) = function.info().probe else {
        return Ok(format!("{function} has no probe; checked through /system/mySecurity only"));
    };
    let refused = |e: &Error| format!("{} {path}: {e}", action.as_str());
    match action {
        Action::Inquire => match client.get(&format!("{path}?pageSize=1")).await {
            Ok(_) => Ok(format!("GET {path} answered")),
            Err(e) => Err(refused(&e)),
        },
        Action::Add => match client.post(path, &json!({})).await {
            Err(e) if e.status() == Some(400) => Ok(format!("POST {path} permitted (empty body refused as invalid)")),
            Err(e) => Err(refused(&e)),
            Ok(created) => Ok(format!("POST {path} created id {} (an empty body was accepted)", created["id"])),
        },
        Action::Edit => {
            let first = client.get(&format!("{path}?pageSize=1&orderBy=id")).await.map_err(|e| refused(&e))?;
            let Some(record) = first.as_array().and_then(|a| a.first()) else {
                return Ok(format!("no record at {path} to probe Edit on"));
            };
            let field = edit_field(path);
            let ops = json!([{ "op": "replace", "path": field, "value": record[field].clone() }]);
            match client.patch(&format!("{path}/{}", record["id"]), &ops).await {
                Ok(_) => Ok(format!("PATCH {path}/{} permitted (value unchanged)", record["id"])),
                Err(e) => Err(refused(&e)),
            }
        }
        Action::Delete => Ok(String::new()),
    }
}

/// Verifies the integration's identity `client` is connected as against `profile`.
pub async fn verify(client: &Client, profile: &Profile, options: VerifyOptions) -> Result<Report, Error> {
    let mut report =
        Report { command: "verify", server: client.api_root().to_owned(), mock: client.is_mock(), ..Report::default() };
    let title = |id: &str| {
        crate::plan::SETUP_STEPS.iter().find(|(s, _)| *s == id).map_or_else(String::new, |(_, t)| (*t).to_owned())
    };
    if let Err(e) = client.get("/system/info").await {
        report.steps.push(StepReport {
            id: "S8".into(),
            title: title("S8"),
            status: Status::Failed,
            detail: format!("the keys do not authenticate: {e}"),
        });
        return Ok(report);
    }
    report.steps.push(StepReport {
        id: "S8".into(),
        title: title("S8"),
        status: Status::Done,
        detail: "the keys authenticate".into(),
    });
    let rows = client.get_all("/system/mySecurity").await?;
    let levels: RoleLevels = levels_from_rows(&rows);
    report.steps.push(StepReport {
        id: "S9.1".into(),
        title: title("S9.1"),
        status: if rows.is_empty() { Status::Failed } else { Status::Done },
        detail: if rows.is_empty() {
            "the member has no security role".into()
        } else {
            format!("the member's role grants {} setting rows", rows.len())
        },
    });
    for row in &profile.rows {
        let mut failures = Vec::new();
        let mut notes = Vec::new();
        for r in profile.requirements().filter(|r| r.function == row.function) {
            let has = levels.get(r.function, r.action);
            if has < r.level {
                failures.push(format!("{r} missing (has {has})"));
            }
        }
        for (action, _) in row.actions() {
            if action == Action::Delete || (options.read_only && action != Action::Inquire) {
                continue;
            }
            match probe(client, row.function, action).await {
                Ok(note) => notes.push(note),
                Err(e) => failures.push(format!("probe failed: {e}")),
            }
        }
        let status = if failures.is_empty() { Status::Done } else { Status::Failed };
        report.steps.push(crate::plan::profile_row(
            row,
            status,
            if failures.is_empty() { notes.join("; ") } else { failures.join("; ") },
        ));
    }
    for (function, action, level) in profile.excess(&levels) {
        let needed = profile.row(function).map_or(cw_model::PermissionLevel::None, |r| r.level(action));
        report.warnings.push(format!(
            "{function}: {action} Level = {level} is more than the integration needs (least privilege: {needed})"
        ));
    }
    report.ok = report.steps.iter().all(|s| s.status == Status::Done);
    Ok(report)
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
