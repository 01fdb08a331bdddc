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
    /// Its scenarios failed only because no administrator identity was given: a failure, and
    /// not checked.
    NotChecked,
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
            Self::NotChecked => "not checked: needs CW_ADMIN_*",
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
            let unchecked = r.messages.iter().all(|m| m.contains(crate::world::NEEDS_ADMIN));
            r.status = if failed && unchecked {
                StepStatus::NotChecked
            } else if failed {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(tags: &[&str], failure: Option<&str>, checks: Vec<(&str, Result<(), String>)>) -> ScenarioOutcome {
        ScenarioOutcome {
            name: format!("x.feature: {}", tags.join(" ")),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            failure: failure.map(str::to_owned),
            checks: checks.into_iter().map(|(s, r)| (s.to_owned(), r)).collect(),
            held: None,
        }
    }

    fn status(steps: &[StepResult], id: &str) -> StepStatus {
        steps.iter().find(|s| s.id == id).map(|s| s.status).unwrap_or_else(|| panic!("no step {id}"))
    }

    #[test]
    fn the_default_procedure_has_the_eighteen_step_ids_in_order() {
        let ids: Vec<String> = procedure(Profile::seed()).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), 18);
        assert_eq!((ids[0].as_str(), ids[10].as_str(), ids[17].as_str()), ("S0", "S9.1", "S9.8"));
    }

    #[test]
    fn a_step_fails_on_any_failing_scenario_or_check_and_is_never_passed_when_the_operator_skipped_it() {
        let outcomes = vec![
            outcome(&["S0", "needs-admin"], None, vec![]),
            outcome(&["S5", "S6"], Some("S5-S8: the keys do not authenticate"), vec![]),
            outcome(&["S6"], None, vec![]),
            outcome(&["profile"], Some("S9.3: missing"), vec![("S9.2", Ok(())), ("S9.3", Err("S9.3: missing".into()))]),
        ];
        let left_out = vec![vec!["S9".to_owned(), "needs-admin".to_owned()]];
        let steps = fold(Profile::seed(), &outcomes, &left_out);
        assert_eq!(status(&steps, "S0"), StepStatus::Passed);
        assert_eq!(status(&steps, "S5"), StepStatus::Failed);
        assert_eq!(status(&steps, "S6"), StepStatus::Failed, "one of its two scenarios failed");
        assert_eq!(status(&steps, "S9"), StepStatus::SkippedByOperator);
        assert_eq!(status(&steps, "S9.2"), StepStatus::Passed, "a check of the generic scenario counts");
        assert_eq!(status(&steps, "S9.3"), StepStatus::Failed);
        assert_eq!(status(&steps, "S9.8"), StepStatus::NotRun);
        let s93 = steps.iter().find(|s| s.id == "S9.3").map(|s| s.messages.clone()).unwrap_or_default();
        assert_eq!(s93, ["S9.3: missing"]);
        assert!(!StepStatus::SkippedByOperator.checked() && !StepStatus::NotRun.checked());
    }

    #[test]
    fn a_step_failing_only_for_want_of_an_administrator_is_not_checked() {
        let needs = format!("x.feature: S9: {}", crate::world::NEEDS_ADMIN);
        let outcomes = vec![
            outcome(&["S9", "needs-admin"], Some(&needs), vec![]),
            outcome(&["S9.1", "needs-admin"], Some(&needs), vec![]),
            outcome(&["S9.1"], Some("S9.1: 'SophosSync' holds the security role \"Admin\""), vec![]),
        ];
        let steps = fold(Profile::seed(), &outcomes, &[]);
        assert_eq!(status(&steps, "S9"), StepStatus::NotChecked);
        assert!(!StepStatus::NotChecked.checked());
        assert_eq!(status(&steps, "S9.1"), StepStatus::Failed, "another failure was checked");
    }
}
