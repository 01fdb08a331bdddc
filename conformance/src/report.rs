//! `index.html` of `CONFORMANCE_REPORTS=DIR`: the report people read. The procedure step by
//! step with the result and the failing messages, the profile's permission table beside what
//! the target's identity actually holds, and when and where the run went. Rendered with maud,
//! which escapes every value by construction; one self-contained page (no scripts, inline CSS).

use cw_model::{Action, PermissionLevel};
use maud::{DOCTYPE, Markup, html as page};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::results::{ScenarioOutcome, StepStatus};
use crate::{RunConfig, Summary};

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2430; }
h1 { margin-bottom: .2rem; } .meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0 2rem; width: 100%; }
th, td { border: 1px solid #ccd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
tr.passed td.status { background: #dff3e3; color: #185c2b; font-weight: 600; }
tr.failed td.status { background: #fbe1e1; color: #8a1414; font-weight: 600; }
tr.skipped td.status, tr.notrun td.status { background: #fff3d6; color: #6b4e00; font-weight: 600; }
td.ok { background: #dff3e3; } td.short { background: #fbe1e1; font-weight: 600; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; font-size: .85rem; }
td.by { font-size: .85rem; color: #444; width: 22rem; }
.counts { font-size: 1.1rem; font-weight: 600; }
";

fn class(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "passed",
        StepStatus::Failed | StepStatus::NotChecked => "failed",
        StepStatus::SkippedByOperator => "skipped",
        StepStatus::NotRun => "notrun",
    }
}

/// The page for one run that started at `started`.
pub fn html(run: &RunConfig, summary: &Summary, outcomes: &[ScenarioOutcome], started: OffsetDateTime) -> Markup {
    let profile = run.profile();
    let (checked, all) = summary.steps_checked();
    let when = started.format(&Rfc3339).unwrap_or_else(|_| started.to_string());
    let shown = started
        .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC"))
        .unwrap_or_else(|_| when.clone());
    let mut outcomes: Vec<&ScenarioOutcome> = outcomes.iter().collect();
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    page! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Conformance: " (profile.name) }
                style { (STYLE) }
            }
            body {
                h1 { "Initial setup in ConnectWise: " (profile.name) }
                p.meta data-test="meta" {
                    "Run at " time datetime=(when) { (shown) } " against " code data-test="target" { (run.target()) }
                    " with the profile " strong { (profile.name) }
                    @if let Some(source) = &profile.source { " (" a href=(source) { "source" } ")" }
                }
                p.counts data-test="counts" {
                    "Steps checked: " (checked) "/" (all) ". Scenarios: " (summary.passed) " passed, "
                    (summary.failed + summary.skipped) " failed."
                }
                h2 { "The procedure, step by step" }
                table data-test="steps" {
                    thead { tr { th { "step" } th { "what" } th { "result" } th { "why it failed" } th { "checked by" } } }
                    tbody {
                        @for s in &summary.steps {
                            tr class=(class(s.status)) data-test={ "step-" (s.id) } {
                                td { strong { (s.id) } }
                                td { (s.title) }
                                td.status { (s.status.label()) }
                                td { @for m in &s.messages { pre { (m) } } }
                                td.by {
                                    @if !s.scenarios.is_empty() {
                                        details {
                                            summary { (s.scenarios.len()) @if s.scenarios.len() == 1 { " scenario" } @else { " scenarios" } }
                                            @for n in &s.scenarios { div { (n) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Permissions: what the profile needs and what the target holds" }
                @if summary.held.is_none() {
                    p { "No scenario read the identity's effective rights in this run." }
                }
                table data-test="permissions" {
                    thead { tr { th { "step" } th { "module > function" } @for a in Action::ALL { th { (a) } } } }
                    tbody {
                        @for row in &profile.rows {
                            tr data-test={ "row-" (row.step.clone().unwrap_or_else(|| row.function.label())) } {
                                td { (row.step.clone().unwrap_or_default()) }
                                td { (row.function) }
                                @for a in Action::ALL {
                                    @let need = row.level(a);
                                    @let held = summary.held.as_ref().map(|h| h.get(row.function, a));
                                    @if need == PermissionLevel::None {
                                        td { "-" @if let Some(h) = held { @if h != PermissionLevel::None { " (holds " (h) ")" } } }
                                    } @else {
                                        @match held {
                                            Some(h) if h >= need => td.ok { "needs " (need) ", holds " (h) },
                                            Some(h) => td.short { "needs " (need) ", holds " (h) },
                                            None => td { "needs " (need) },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Scenarios" }
                table data-test="scenarios" {
                    thead { tr { th { "scenario" } th { "tags" } th { "result" } } }
                    tbody {
                        @for o in outcomes {
                            tr class=(if o.failure.is_some() { "failed" } else { "passed" }) {
                                td { (o.name) }
                                td { (o.tags.iter().map(|t| format!("@{t}")).collect::<Vec<_>>().join(" ")) }
                                td.status {
                                    @match &o.failure { None => "passed", Some(m) => { "failed" pre { (m) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{StepResult, fold};

    #[test]
    fn hostile_messages_and_names_are_escaped_in_the_report() {
        let hostile = "<script>alert('x')</script> & \"quotes\"";
        let outcome = ScenarioOutcome {
            name: format!("x.feature: {hostile}"),
            tags: vec!["S0".into()],
            failure: Some(hostile.into()),
            checks: Vec::new(),
            held: None,
        };
        let steps: Vec<StepResult> = fold(cw_model::Profile::seed(), std::slice::from_ref(&outcome), &[]);
        let summary = Summary { failed: 1, steps, ..Summary::default() };
        let run = RunConfig::default();
        let page = html(&run, &summary, &[outcome], OffsetDateTime::UNIX_EPOCH).into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert"), "{page}");
        assert!(page.contains(r#"<tr class="failed" data-test="step-S0">"#), "{page}");
        assert!(page.contains("Steps checked: 1/18"), "{page}");
        assert!(page.contains("1970-01-01 00:00:00 UTC"), "{page}");
    }
}
