//! Runs the features: picks the target, filters by tag, writes reports on request and
//! returns the counts and the result of every step of the procedure.
//!
//! Tags: `@mock-only` scenarios need the mock console and are left out on a sandbox;
//! `@sandbox-only` ones run only there; `@destructive` ones write to the target and run on a
//! sandbox only with `CW_ALLOW_DESTRUCTIVE=1`; `@needs-admin` ones read the setup as a sandbox
//! administrator (`CW_ADMIN_*`) and fail without one unless `CW_SKIP_ADMIN=1` leaves them out;
//! `@default-profile` ones hold the default profile's table and run only for a profile with the
//! same rows; `@ui` scenarios belong to the browser runner.

use std::path::PathBuf;
use std::sync::RwLock;

use cucumber::gherkin::{Feature, Rule, Scenario};
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, writer};
use cw_model::{Action, Function, Profile, RoleLevels, Settings};
use provisioner::Connection;

use crate::CwWorld;
use crate::results::{self, StepResult, StepStatus};

/// What to run and where.
#[derive(Clone, Debug, Default)]
pub struct RunConfig {
    /// The sandbox's connection; `None` runs against a fresh embedded mock per scenario.
    pub sandbox: Option<Connection>,
    /// A sandbox administrator's identity beside the integration's, for the read-only checks
    /// of the steps the integration's own keys cannot see (S0–S4, S9, S9.1).
    pub admin: Option<Connection>,
    /// The operator chose to run without an administrator: `@needs-admin` scenarios are left
    /// out and their steps reported as skipped by the operator.
    pub skip_admin: bool,
    /// The integration profile; `None` is the default ([`Profile::seed`]).
    pub profile: Option<Profile>,
    /// Run `@destructive` scenarios on the sandbox too.
    pub allow_destructive: bool,
    /// On the mock: leave this level out of the integration identity's role (to prove the
    /// features catch it).
    pub drop_level: Option<(Function, Action)>,
    /// Only scenarios carrying one of these tags (without `@`); empty = all.
    pub only_tags: Vec<String>,
    /// Write `cucumber.json`, `junit.xml` and `index.html` into this directory.
    pub reports: Option<PathBuf>,
    /// The features directory.
    pub features: PathBuf,
    /// Print nothing but the counts (for runs that are expected to fail, in tests).
    pub quiet: bool,
}

/// The outcome of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed (a skipped step counts as a failure).
    pub failed: usize,
    /// Scenarios skipped (must be 0).
    pub skipped: usize,
    /// Parsing errors and hook failures.
    pub errors: usize,
    /// Every step ID of the procedure, in order, with what the run found.
    pub steps: Vec<StepResult>,
    /// What the integration's identity held, where a scenario read its effective rights.
    pub held: Option<RoleLevels>,
}

impl Summary {
    /// Whether everything passed.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.skipped == 0 && self.errors == 0
    }

    /// `(checked, all)`: step IDs that passed or failed, of all the procedure's.
    pub fn steps_checked(&self) -> (usize, usize) {
        (self.steps.iter().filter(|s| s.status.checked()).count(), self.steps.len())
    }

    /// The step with this ID.
    pub fn step(&self, id: &str) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The IDs of the steps with this status.
    pub fn steps_with(&self, status: StepStatus) -> Vec<&str> {
        self.steps.iter().filter(|s| s.status == status).map(|s| s.id.as_str()).collect()
    }

    /// `N passed, N failed; steps checked: N/M (...)`.
    pub fn counts_line(&self) -> String {
        let (checked, all) = self.steps_checked();
        let mut line = format!("{} passed, {} failed", self.passed, self.failed + self.skipped);
        if self.errors > 0 {
            line += &format!(", {} errors", self.errors);
        }
        line += &format!("; steps checked: {checked}/{all}");
        for (status, what) in [
            (StepStatus::Failed, "failed"),
            (StepStatus::NotChecked, "not checked (needs CW_ADMIN_PUBLIC_KEY and CW_ADMIN_PRIVATE_KEY)"),
            (StepStatus::SkippedByOperator, "skipped by the operator (CW_SKIP_ADMIN=1)"),
            (StepStatus::NotRun, "not run"),
        ] {
            let ids = self.steps_with(status);
            if !ids.is_empty() {
                line += &format!("; {what}: {}", ids.join(" "));
            }
        }
        line
    }
}

static CONFIG: RwLock<Option<RunConfig>> = RwLock::new(None);

/// The configuration of the current run.
pub(crate) fn config() -> RunConfig {
    CONFIG.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone().unwrap_or_default()
}

/// Whether a scenario runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Run,
    Out,
    /// Left out because the operator chose to run without an administrator.
    OperatorSkip,
}

impl RunConfig {
    /// From the environment: the sandbox when `CW_URL` … `CW_CLIENT_ID` are set, its
    /// administrator from `CW_ADMIN_PUBLIC_KEY`/`CW_ADMIN_PRIVATE_KEY`, `CW_SKIP_ADMIN=1`,
    /// `CW_PROFILE`, `CW_ALLOW_DESTRUCTIVE=1`, `CONFORMANCE_TAGS=S9.3,S0`, `CONFORMANCE_REPORTS=DIR`.
    pub fn from_env(features: PathBuf) -> Result<Self, String> {
        let settings = Settings::from_env();
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let any_site = settings.url.is_some()
            || settings.company.is_some()
            || settings.public_key.is_some()
            || settings.private_key.is_some()
            || settings.client_id.is_some();
        let sandbox =
            if any_site { Some(settings.integration().map_err(|e| format!("sandbox target: {e}"))?) } else { None };
        if settings.admin_public_key.is_some() != settings.admin_private_key.is_some() {
            return Err("sandbox administrator: set both CW_ADMIN_PUBLIC_KEY and CW_ADMIN_PRIVATE_KEY".into());
        }
        let profile = match &settings.profile {
            Some(p) => Some(Profile::load(p).map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(Self {
            admin: sandbox.as_ref().and_then(|_| settings.admin()),
            sandbox,
            skip_admin: var("CW_SKIP_ADMIN").is_some_and(|v| v == "1"),
            profile,
            allow_destructive: var("CW_ALLOW_DESTRUCTIVE").is_some_and(|v| v == "1"),
            drop_level: None,
            only_tags: var("CONFORMANCE_TAGS")
                .map(|t| t.split(',').map(|s| s.trim().trim_start_matches('@').to_owned()).collect())
                .unwrap_or_default(),
            reports: var("CONFORMANCE_REPORTS").map(PathBuf::from),
            features,
            quiet: false,
        })
    }

    /// The integration profile of the run.
    pub fn profile(&self) -> &Profile {
        self.profile.as_ref().unwrap_or_else(|| Profile::seed())
    }

    /// Where the run goes, for people.
    pub fn target(&self) -> String {
        self.sandbox.as_ref().map_or_else(|| "the embedded mock".to_owned(), |s| s.url.clone())
    }

    fn decide(&self, tags: &[&str]) -> Decision {
        let has = |t: &str| tags.contains(&t);
        if has("ui") || (has("default-profile") && self.profile().rows != Profile::seed().rows) {
            return Decision::Out;
        }
        let target_ok = match &self.sandbox {
            None => !has("sandbox-only"),
            Some(_) => !has("mock-only") && (self.allow_destructive || !has("destructive")),
        };
        if !target_ok || !(self.only_tags.is_empty() || self.only_tags.iter().any(|t| has(t))) {
            return Decision::Out;
        }
        if self.sandbox.is_some() && self.admin.is_none() && self.skip_admin && has("needs-admin") {
            return Decision::OperatorSkip;
        }
        Decision::Run
    }

    fn selects(&self, feature: &Feature, rule: Option<&Rule>, scenario: &Scenario) -> bool {
        let tags: Vec<&str> = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| r.tags.iter()))
            .chain(scenario.tags.iter())
            .chain(scenario.examples.iter().flat_map(|e| e.tags.iter()))
            .map(String::as_str)
            .collect();
        self.decide(&tags) == Decision::Run
    }

    /// The tags of every scenario the operator left out.
    fn left_out(&self) -> Vec<Vec<String>> {
        let all = crate::doc::scenarios(&self.features).unwrap_or_default();
        all.into_iter()
            .filter(|s| self.decide(&s.tags.iter().map(String::as_str).collect::<Vec<_>>()) == Decision::OperatorSkip)
            .map(|s| s.tags)
            .collect()
    }
}

/// Runs the features with `config` and returns the counts and the step results.
pub async fn run(run: RunConfig) -> Summary {
    *CONFIG.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(run.clone());
    results::reset();
    let started = time::OffsetDateTime::now_utc();
    let filter = {
        let run = run.clone();
        move |f: &Feature, r: Option<&Rule>, s: &Scenario| run.selects(f, r, s)
    };
    // A sandbox is one shared server: one scenario at a time.
    let concurrency = if run.sandbox.is_some() { 1 } else { 16 };
    let (passed, failed, skipped, errors) = match &run.reports {
        None if run.quiet => {
            let w = CwWorld::cucumber()
                .after(results::record)
                .with_writer(writer::Basic::raw(std::io::sink(), writer::Coloring::Never, 0).normalized().summarized())
                .fail_on_skipped()
                .with_default_cli()
                .max_concurrent_scenarios(concurrency)
                .filter_run(&run.features, filter)
                .await;
            counts(w.scenarios_stats(), w.parsing_errors() + w.hook_errors())
        }
        None => {
            let w = CwWorld::cucumber()
                .after(results::record)
                .fail_on_skipped()
                // Settings come from `RunConfig`, never the command line: test harness flags
                // (`--quiet`, a test name) are not cucumber's.
                .with_default_cli()
                .max_concurrent_scenarios(concurrency)
                .filter_run(&run.features, filter)
                .await;
            counts(w.scenarios_stats(), w.parsing_errors() + w.hook_errors())
        }
        Some(dir) => {
            let _ = std::fs::create_dir_all(dir);
            let open = |name: &str| std::fs::File::create(dir.join(name)).expect("a report file");
            let out: Box<dyn std::io::Write> =
                if run.quiet { Box::new(std::io::sink()) } else { Box::new(std::io::stdout()) };
            let w = CwWorld::cucumber()
                .after(results::record)
                .with_writer(
                    writer::Basic::raw(out, writer::Coloring::Auto, 0)
                        .tee::<CwWorld, _>(
                            NoCli(writer::JUnit::raw(open("junit.xml"), 0))
                                .discard_stats_writes()
                                .discard_arbitrary_writes(),
                        )
                        .tee::<CwWorld, _>(writer::Json::for_tee(open("cucumber.json")))
                        .normalized()
                        .summarized(),
                )
                .fail_on_skipped()
                .with_default_cli()
                .max_concurrent_scenarios(concurrency)
                .filter_run(&run.features, filter)
                .await;
            counts(w.scenarios_stats(), w.parsing_errors() + w.hook_errors())
        }
    };
    let outcomes = results::take();
    let steps = results::fold(run.profile(), &outcomes, &run.left_out());
    let held = outcomes.iter().find_map(|o| o.held.clone());
    let summary = Summary { passed, failed, skipped, errors, steps, held };
    if let Some(dir) = &run.reports {
        let html = crate::report::html(&run, &summary, &outcomes, started);
        if let Err(e) = std::fs::write(dir.join("index.html"), html.into_string()) {
            eprintln!("conformance: cannot write {}: {e}", dir.join("index.html").display());
        }
    }
    *CONFIG.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    summary
}

fn counts(scenarios: &writer::summarize::Stats, errors: usize) -> (usize, usize, usize, usize) {
    (scenarios.passed, scenarios.failed, scenarios.skipped, errors)
}

/// Runs a writer with its default options and no command-line options of its own: JUnit's
/// options lack the `Colored` marker that combining writers with `tee` needs in cucumber 0.23.
struct NoCli<W>(W);

impl<W: cucumber::Writer<CwWorld>> cucumber::Writer<CwWorld> for NoCli<W>
where
    W::Cli: Default,
{
    type Cli = cucumber::cli::Empty;

    async fn handle_event(
        &mut self,
        event: cucumber::parser::Result<cucumber::Event<cucumber::event::Cucumber<CwWorld>>>,
        _: &Self::Cli,
    ) {
        self.0.handle_event(event, &W::Cli::default()).await;
    }
}

impl<W> writer::NonTransforming for NoCli<W> {}
