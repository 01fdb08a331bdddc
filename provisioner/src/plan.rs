//! `plan`: every step S0–S9.8 as done, to do, or UI-only, with what `apply` would change.
//! Changes nothing.

use std::path::Path;

use cw_model::{Profile, ProfileRow, Requirement};

use crate::keyfile::{self, KeyStatus};
use crate::report::{Report, Status, StepReport};
use crate::state::State;
use crate::{Client, Error, Setup};

/// The steps before S9.2, with their titles.
pub const SETUP_STEPS: [(&str, &str); 11] = [
    ("S0", "Integrator login exists"),
    ("S1", "Keys belong to a member, not a shared account"),
    ("S2", "API member added (System > Members > API Members, +)"),
    ("S3", "Member details saved"),
    ("S4", "Member opened from the list"),
    ("S5", "API Keys tab, + pressed"),
    ("S6", "Key description entered"),
    ("S7", "Saved with Save (not Save and Close)"),
    ("S8", "Public and private key recorded"),
    ("S9", "Security role for the integration exists"),
    ("S9.1", "Role assigned to the API member"),
];

fn row(id: &str, status: Status, detail: impl Into<String>) -> StepReport {
    let title = SETUP_STEPS.iter().find(|(s, _)| *s == id).map_or("", |(_, t)| t);
    StepReport { id: id.to_owned(), title: title.to_owned(), status, detail: detail.into() }
}

/// The report row of one profile row: its step ID (or its label) and its `Module > Function`.
pub(crate) fn profile_row(r: &ProfileRow, status: Status, detail: impl Into<String>) -> StepReport {
    let label = r.function.label();
    StepReport { id: r.step.clone().unwrap_or_else(|| label.clone()), title: label, status, detail: detail.into() }
}

/// The levels of the role that fall short.
pub fn missing_levels<'p>(state: &State, profile: &'p Profile) -> Vec<Requirement<'p>> {
    match &state.role_levels {
        Some(levels) => profile.missing(levels),
        None => profile.requirements().collect(),
    }
}

/// `UI only` on a real server, `to do` on the mock (whose console does the UI's part).
fn todo_or_ui(mock: bool) -> Status {
    if mock { Status::Todo } else { Status::UiOnly }
}

/// Assesses every step from what was read; `kept`: the key file keeps the integrator login's
/// password.
pub fn assess(state: &State, setup: &Setup, mock: bool, key: &KeyStatus, kept: bool) -> Vec<StepReport> {
    let mut steps = vec![integrator_step(state, setup, kept)];
    steps.extend(member_steps(state, setup));
    steps.extend(key_steps(state, setup, mock, key));
    steps.extend(role_steps(state, setup));
    steps.extend(level_steps(state, setup, mock));
    steps
}

/// S0. A login whose password no key file keeps is of no use to the integration, and
/// `apply` cannot recover the password: it fails, saying what a person must do.
fn integrator_step(state: &State, setup: &Setup, kept: bool) -> StepReport {
    let gaps = state.integrator_gaps(setup.profile.integrator_flags());
    if setup.profile.integrator_login.is_none() {
        row("S0", Status::Done, format!("the profile '{}' needs no integrator login", setup.profile.name))
    } else if state.integrator.is_some() && !kept {
        row(
            "S0",
            Status::Failed,
            format!(
                "integrator login '{}' exists but the key file does not keep its password (CW_INTEGRATOR_PASSWORD); \
                 `apply --new-password` gives it a new one (kept in the key file first), or set one in System > \
                 Integrator Login and add it to the key file",
                setup.integrator
            ),
        )
    } else if gaps.is_empty() {
        row("S0", Status::Done, format!("integrator login '{}' is active with the API flags", setup.integrator))
    } else {
        row("S0", Status::Todo, format!("integrator login '{}' {}", setup.integrator, gaps.join(", ")))
    }
}

/// S1–S4: the API member.
fn member_steps(state: &State, setup: &Setup) -> Vec<StepReport> {
    let member_row = |id: &str, done: String| {
        if state.member.is_some() {
            row(id, Status::Done, done)
        } else {
            row(id, Status::Todo, format!("create API member '{}'", setup.member))
        }
    };
    vec![
        member_row("S1", format!("keys are made for API member '{}'", setup.member)),
        member_row("S2", format!("API member '{}' exists", setup.member)),
        member_row("S3", format!("'{}' saved with name '{}'", setup.member, member_name(state))),
        member_row("S4", format!("'{}' is in the API member list", setup.member)),
    ]
}

/// S5–S8: the key, as the key file and the member's keys show it.
fn key_steps(state: &State, setup: &Setup, mock: bool, key: &KeyStatus) -> Vec<StepReport> {
    let (shown, lost) = state.keys_by_kind();
    let (status, detail) = match key {
        KeyStatus::Works => (Status::Done, "the key file holds a key that authenticates".to_owned()),
        KeyStatus::Broken(why) => {
            (todo_or_ui(mock), format!("the key file's key does not work ({why}); make a new key"))
        }
        KeyStatus::Missing if !shown.is_empty() => (
            Status::Failed,
            format!(
                "'{}' has {} key(s) but no key file holds the private half; `apply --new-key` makes another",
                setup.member,
                shown.len()
            ),
        ),
        KeyStatus::Missing => (todo_or_ui(mock), "no key yet: API Keys tab, +, description, Save".to_owned()),
    };
    let lost_note = (!lost.is_empty()).then(|| {
        format!("; {} key(s) were saved with Save and Close: their private half is lost, delete them", lost.len())
    });
    ["S5", "S6", "S7", "S8"]
        .into_iter()
        .map(|id| {
            let extra = if id == "S7" { lost_note.as_deref().unwrap_or_default() } else { "" };
            row(id, status, format!("{detail}{extra}"))
        })
        .collect()
}

/// S9 and S9.1: the role, and the member holding it.
fn role_steps(state: &State, setup: &Setup) -> [StepReport; 2] {
    let role = match state.role_id() {
        Some(id) => row("S9", Status::Done, format!("security role '{}' (id {id})", setup.role)),
        None => row("S9", Status::Todo, format!("create security role '{}'", setup.role)),
    };
    let held = match (&state.member, state.member_has_role()) {
        (Some(_), true) => row("S9.1", Status::Done, format!("'{}' holds role '{}'", setup.member, setup.role)),
        (Some(m), false) => {
            let now = m.security_role.as_ref().and_then(|r| r.name.as_deref()).unwrap_or("no role");
            row("S9.1", Status::Todo, format!("'{}' holds '{now}'; assign '{}'", setup.member, setup.role))
        }
        (None, _) => row("S9.1", Status::Todo, format!("assign '{}' to the new member", setup.role)),
    };
    [role, held]
}

/// One step per profile row: its levels and Customize items.
fn level_steps(state: &State, setup: &Setup, mock: bool) -> Vec<StepReport> {
    let missing = missing_levels(state, &setup.profile);
    let items = state.role_levels.as_ref().map(|l| setup.profile.missing_items(l)).unwrap_or_default();
    setup
        .profile
        .rows
        .iter()
        .map(|r| {
            let levels = missing.iter().filter(|m| m.function == r.function).map(ToString::to_string);
            let customize =
                items.iter().filter(|(f, _)| *f == r.function).map(|(f, i)| format!("{f}: Customize must include {i}"));
            let gaps: Vec<String> = levels.chain(customize).collect();
            if gaps.is_empty() {
                profile_row(r, Status::Done, levels_text(r))
            } else {
                profile_row(r, todo_or_ui(mock), format!("set {}", gaps.join("; ")))
            }
        })
        .collect()
}

/// `Add, Edit, Inquire Level = All` (or each level where they differ).
pub(crate) fn levels_text(r: &ProfileRow) -> String {
    let actions: Vec<_> = r.actions().collect();
    if actions.iter().all(|(_, l)| *l == cw_model::PermissionLevel::All) {
        let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
        format!("{} Level = All", names.join(", "))
    } else {
        actions.iter().map(|(a, l)| format!("{a} Level = {l}")).collect::<Vec<_>>().join(", ")
    }
}

fn member_name(state: &State) -> String {
    state.member.as_ref().and_then(|m| m.name.clone()).unwrap_or_default()
}

/// Reads the server and the key file and reports every step. Changes nothing.
pub async fn plan(client: &Client, setup: &Setup, key_file: &Path) -> Result<Report, Error> {
    crate::validate::names(setup)?;
    let state = State::read(client, setup).await?;
    let key = keyfile::check(key_file).await?;
    let kept = keyfile::kept_password(key_file, &setup.integrator).is_some();
    let steps = assess(&state, setup, client.is_mock(), &key, kept);
    Ok(Report {
        command: "plan",
        ok: steps.iter().all(|s| s.status != Status::Failed),
        server: client.api_root().to_owned(),
        mock: client.is_mock(),
        profile: setup.profile.name.clone(),
        steps,
        ..Report::default()
    })
}
