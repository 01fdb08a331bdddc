//! `plan`: every step S0–S9.8 as done, to do, or UI-only, with what `apply` would change.
//! Changes nothing.

use std::path::Path;

use mock_connectwise::permissions::{INTEGRATION_STEPS, Requirement, integration_requirements};

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

/// The title of a step of S9.2–S9.8: its module > function.
pub fn level_step_title(id: &str) -> &'static str {
    match id {
        "S9.2" => "Companies > Company Maintenance",
        "S9.3" => "Finance > Agreements",
        "S9.4" => "Procurement > Product Catalog",
        "S9.5" => "System > Table Setup",
        "S9.6" => "System > Member Maintenance",
        "S9.7" => "Service Desk > Service Tickets",
        "S9.8" => "System > API Reports",
        _ => "",
    }
}

fn row(id: &'static str, status: Status, detail: impl Into<String>) -> StepReport {
    let title = SETUP_STEPS.iter().find(|(s, _)| *s == id).map_or_else(|| level_step_title(id), |(_, t)| t);
    StepReport { id, title, status, detail: detail.into() }
}

/// The levels of the role that fall short, per step.
pub fn missing_levels(state: &State) -> Vec<Requirement> {
    match &state.role_levels {
        Some(levels) => levels.missing_for_integration(),
        None => integration_requirements().collect(),
    }
}

/// Assesses every step from what was read.
pub fn assess(state: &State, setup: &Setup, mock: bool, key: &KeyStatus) -> Vec<StepReport> {
    let todo_or_ui = |ui: bool| if ui { Status::UiOnly } else { Status::Todo };
    let mut steps = Vec::new();
    let gaps = state.integrator_gaps();
    steps.push(if gaps.is_empty() {
        row("S0", Status::Done, format!("integrator login '{}' is active with the API flags", setup.integrator))
    } else {
        row("S0", Status::Todo, format!("integrator login '{}' {}", setup.integrator, gaps.join(", ")))
    });
    let member = state.member.is_some();
    let member_row = |id: &'static str, done: &str| {
        if member {
            row(id, Status::Done, done.to_owned())
        } else {
            row(id, Status::Todo, format!("create API member '{}'", setup.member))
        }
    };
    steps.push(member_row("S1", &format!("keys are made for API member '{}'", setup.member)));
    steps.push(member_row("S2", &format!("API member '{}' exists", setup.member)));
    steps.push(member_row("S3", &format!("'{}' saved with name '{}'", setup.member, member_name(state))));
    steps.push(member_row("S4", &format!("'{}' is in the API member list", setup.member)));
    let (shown, lost) = state.keys_by_kind();
    let key_steps = match key {
        KeyStatus::Works => (Status::Done, "the key file holds a key that authenticates".to_owned()),
        KeyStatus::Broken(why) => {
            (todo_or_ui(!mock), format!("the key file's key does not work ({why}); make a new key"))
        }
        KeyStatus::Missing if !shown.is_empty() => (
            Status::Failed,
            format!(
                "'{}' has {} key(s) but no key file holds the private half; `apply --new-key` makes another",
                setup.member,
                shown.len()
            ),
        ),
        KeyStatus::Missing => (todo_or_ui(!mock), "no key yet: API Keys tab, +, description, Save".to_owned()),
    };
    for id in ["S5", "S6", "S7", "S8"] {
        steps.push(row(id, key_steps.0, key_steps.1.clone()));
    }
    if !lost.is_empty() {
        let s7 = steps.iter_mut().find(|s| s.id == "S7").expect("S7 is listed");
        s7.detail.push_str(&format!(
            "; {} key(s) were saved with Save and Close: their private half is lost, delete them",
            lost.len()
        ));
    }
    steps.push(match state.role_id() {
        Some(id) => row("S9", Status::Done, format!("security role '{}' (id {id})", setup.role)),
        None => row("S9", Status::Todo, format!("create security role '{}'", setup.role)),
    });
    steps.push(match (&state.member, state.member_has_role()) {
        (Some(_), true) => row("S9.1", Status::Done, format!("'{}' holds role '{}'", setup.member, setup.role)),
        (Some(m), false) => row(
            "S9.1",
            Status::Todo,
            format!(
                "'{}' holds '{}'; assign '{}'",
                setup.member,
                m["securityRole"]["name"].as_str().unwrap_or("no role"),
                setup.role
            ),
        ),
        (None, _) => row("S9.1", Status::Todo, format!("assign '{}' to the new member", setup.role)),
    });
    let missing = missing_levels(state);
    for step in INTEGRATION_STEPS {
        let gaps: Vec<String> = missing.iter().filter(|r| r.step == step.id).map(ToString::to_string).collect();
        steps.push(if gaps.is_empty() {
            row(step.id, Status::Done, format!("{} Level = All", actions(step)))
        } else {
            row(step.id, todo_or_ui(!mock), format!("set {}", gaps.join("; ")))
        });
    }
    steps
}

fn actions(step: &mock_connectwise::permissions::Step) -> String {
    step.actions.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
}

fn member_name(state: &State) -> String {
    state.member.as_ref().and_then(|m| m["name"].as_str()).unwrap_or_default().to_owned()
}

/// Reads the server and the key file and reports every step. Changes nothing.
pub async fn plan(client: &Client, setup: &Setup, key_file: &Path) -> Result<Report, Error> {
    let state = State::read(client, setup).await?;
    let key = keyfile::check(key_file).await;
    let steps = assess(&state, setup, client.is_mock(), &key);
    Ok(Report {
        command: "plan",
        ok: steps.iter().all(|s| s.status != Status::Failed),
        server: client.api_root().to_owned(),
        mock: client.is_mock(),
        steps,
        ..Report::default()
    })
}
