//! What a run found, step by step: every finished scenario is recorded (by an `after` hook),
//! then folded into one [`StepResult`] per step ID of the procedure (S0–S9.1 and the profile's
//! rows), which the counts line, the HTML report and the tests read.

use std::sync::Mutex;

use cucumber::event::{ScenarioFinished, StepError};
use cucumber::gherkin::{Feature, Rule, Scenario};
use cw_model::{Profile, RoleLevels};

use crate::CwWorld;

/// One finished scenario.
#[derive(Clone, Debug)]
pub struct ScenarioOutcome {
    /// `file.feature: Scenario name`.
    pub name: String,
    /// Tags without `@` (feature's, rule's, scenario's and its examples').
    pub tags: Vec<String>,
    /// `None` when it passed; else why it failed.
    pub failure: Option<String>,
    /// Checks made inside the scenario, by step ID (the profile-generic scenarios).
    pub checks: Vec<(String, Result<(), String>)>,
    /// What the integration's identity held, when the scenario read it.
    pub held: Option<RoleLevels>,
}

static OUTCOMES: Mutex<Vec<ScenarioOutcome>> = Mutex::new(Vec::new());

/// Forgets the outcomes of an earlier run.
pub(crate) fn reset() {
    OUTCOMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
}

/// The outcomes recorded since [`reset`].
pub(crate) fn take() -> Vec<ScenarioOutcome> {
    std::mem::take(&mut *OUTCOMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// The `after` hook: records the scenario's outcome.
pub(crate) fn record<'a>(
    feature: &'a Feature,
    rule: Option<&'a Rule>,
    scenario: &'a Scenario,
    finished: &'a cucumber::event::ScenarioFinished,
    world: Option<&'a mut CwWorld>,
) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>> {
    Box::pin(async move {
        let failure = match finished {
            ScenarioFinished::StepPassed => None,
            ScenarioFinished::StepSkipped => Some("a step has no definition (skipped)".to_owned()),
            ScenarioFinished::BeforeHookFailed(info) => Some(panic_text(info.as_ref())),
            ScenarioFinished::StepFailed(_, _, StepError::Panic(info)) => Some(panic_text(info.as_ref())),
            ScenarioFinished::StepFailed(_, _, e) => Some(e.to_string()),
        };
        let file = feature
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map_or_else(|| feature.name.clone(), |n| n.to_string_lossy().into_owned());
        let tags = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| r.tags.iter()))
            .chain(scenario.tags.iter())
            .cloned()
            .collect();
        let (checks, held) = world.map(|w| (std::mem::take(&mut w.checks), w.held.take())).unwrap_or_default();
        let outcome = ScenarioOutcome { name: format!("{file}: {}", scenario.name), tags, failure, checks, held };
        OUTCOMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(outcome);
    })
}

fn panic_text(info: &(dyn std::any::Any + Send)) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the step panicked".to_owned())
}

/// How one step of the procedure fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    /// Every scenario and check of the step passed.
    Passed,
    /// A scenario or check of the step failed.
    Failed,
    /// The operator left it out (`CW_SKIP_ADMIN=1`): not checked, not passed.
    SkippedByOperator,
    /// No scenario of the step was selected.
    NotRun,
}

impl StepStatus {
    /// Whether the step was checked (passed or failed).
    pub fn checked(self) -> bool {
        matches!(self, Self::Passed | Self::Failed)
    }

    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::SkippedByOperator => "skipped by the operator",
            Self::NotRun => "not run",
        }
    }
}

/// One step ID of the procedure and what the run found for it.
#[derive(Clone, Debug)]
pub struct StepResult {
    /// `S0` … `S9.8` (or a row's `Module > Function` where the profile gives no step ID).
    pub id: String,
    /// What the step is.
    pub title: String,
    /// Passed, failed, skipped by the operator, not run.
    pub status: StepStatus,
    /// Why it failed (one line per failing scenario or check).
    pub messages: Vec<String>,
    /// The scenarios that checked it.
    pub scenarios: Vec<String>,
}

/// The procedure's step IDs and titles for `profile`: S0–S9.1, then one per profile row.
pub fn procedure(profile: &Profile) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> =
        provisioner::plan::SETUP_STEPS.iter().map(|(id, title)| ((*id).to_owned(), (*title).to_owned())).collect();
    for row in &profile.rows {
        let levels: Vec<String> = row.actions().map(|(a, l)| format!("{a} = {l}")).collect();
        let id = row.step.clone().unwrap_or_else(|| row.function.label());
        let title = format!("{}: {}", row.function, levels.join(", "));
        match steps.iter_mut().find(|(s, _)| *s == id) {
            Some((_, t)) => *t = format!("{t}; {title}"),
            None => steps.push((id, title)),
        }
    }
    steps
}

/// Folds scenario outcomes (and scenarios the operator left out, by their tags) into one
/// result per step of the procedure.
pub(crate) fn fold(profile: &Profile, outcomes: &[ScenarioOutcome], left_out: &[Vec<String>]) -> Vec<StepResult> {
    procedure(profile)
        .into_iter()
        .map(|(id, title)| {
            let mut r =
                StepResult { id, title, status: StepStatus::NotRun, messages: Vec::new(), scenarios: Vec::new() };
            let (mut passed, mut failed) = (false, false);
            for o in outcomes {
                let tagged = o.tags.contains(&r.id);
                let checks: Vec<_> = o.checks.iter().filter(|(s, _)| *s == r.id).collect();
                if !tagged && checks.is_empty() {
                    continue;
                }
                r.scenarios.push(o.name.clone());
                for (_, c) in &checks {
                    match c {
                        Ok(()) => passed = true,
                        Err(m) => {
                            failed = true;
                            r.messages.push(m.clone());
                        }
                    }
                }
                if tagged {
                    match &o.failure {
                        None => passed = true,
                        Some(m) => {
                            failed = true;
                            r.messages.push(format!("{}: {m}", o.name));
                        }
                    }
                }
            }
            let skipped = left_out.iter().any(|tags| tags.contains(&r.id));
            r.status = if failed {
                StepStatus::Failed
            } else if skipped {
                StepStatus::SkippedByOperator
            } else if passed {
                StepStatus::Passed
            } else {
                StepStatus::NotRun
            };
            r
        })
        .collect()
}
