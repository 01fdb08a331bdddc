//! Runs the features: picks the target, filters by tag, writes reports on request and
//! returns the counts for the `N passed, N failed` line.
//!
//! Tags: `@mock-only` scenarios need the mock console and are left out on a sandbox;
//! `@sandbox-only` ones run only there; `@destructive` ones write to the target and run on a
//! sandbox only with `CW_ALLOW_DESTRUCTIVE=1`; `@ui` scenarios belong to the browser runner.

use std::path::PathBuf;
use std::sync::RwLock;

use cucumber::gherkin::{Feature, Rule, Scenario};
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, writer};
use cw_model::{Action, Function};
use provisioner::Connection;
use secrecy::SecretString;

use crate::CwWorld;

/// What to run and where.
#[derive(Clone, Debug, Default)]
pub struct RunConfig {
    /// The sandbox's connection; `None` runs against a fresh embedded mock per scenario.
    pub sandbox: Option<Connection>,
    /// Run `@destructive` scenarios on the sandbox too.
    pub allow_destructive: bool,
    /// On the mock: leave this level out of the integration identity's role (to prove the
    /// features catch it).
    pub drop_level: Option<(Function, Action)>,
    /// Only scenarios carrying one of these tags (without `@`); empty = all.
    pub only_tags: Vec<String>,
    /// Write `cucumber.json` and `junit.xml` into this directory.
    pub reports: Option<PathBuf>,
    /// The features directory.
    pub features: PathBuf,
    /// Print nothing but the counts (for runs that are expected to fail, in tests).
    pub quiet: bool,
}

/// The outcome of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed (a skipped step counts as a failure).
    pub failed: usize,
    /// Scenarios skipped (must be 0).
    pub skipped: usize,
    /// Parsing errors and hook failures.
    pub errors: usize,
}

impl Summary {
    /// Whether everything passed.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.skipped == 0 && self.errors == 0
    }
}

static CONFIG: RwLock<Option<RunConfig>> = RwLock::new(None);

/// The configuration of the current run.
pub(crate) fn config() -> RunConfig {
    CONFIG.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone().unwrap_or_default()
}

impl RunConfig {
    /// From the environment: the sandbox when all five `CW_*` variables are set,
    /// `CW_ALLOW_DESTRUCTIVE=1`, `CONFORMANCE_TAGS=S9.3,S0`, `CONFORMANCE_REPORTS=DIR`.
    pub fn from_env(features: PathBuf) -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let keys = ["CW_URL", "CW_COMPANY", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID"];
        let set: Vec<&str> = keys.iter().copied().filter(|k| var(k).is_some()).collect();
        let sandbox = match set.len() {
            0 => None,
            5 => Some(Connection {
                url: var("CW_URL").unwrap_or_default(),
                company: var("CW_COMPANY").unwrap_or_default(),
                public_key: var("CW_PUBLIC_KEY").unwrap_or_default(),
                private_key: SecretString::from(var("CW_PRIVATE_KEY").unwrap_or_default()),
                client_id: var("CW_CLIENT_ID").unwrap_or_default(),
            }),
            _ => {
                let missing: Vec<&str> = keys.iter().copied().filter(|k| var(k).is_none()).collect();
                return Err(format!("sandbox target: {} set but {} missing", set.join(", "), missing.join(", ")));
            }
        };
        Ok(Self {
            sandbox,
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

    fn selects(&self, feature: &Feature, rule: Option<&Rule>, scenario: &Scenario) -> bool {
        let tags: Vec<&str> = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| r.tags.iter()))
            .chain(scenario.tags.iter())
            .chain(scenario.examples.iter().flat_map(|e| e.tags.iter()))
            .map(String::as_str)
            .collect();
        let has = |t: &str| tags.contains(&t);
        if has("ui") {
            return false;
        }
        let target_ok = match &self.sandbox {
            None => !has("sandbox-only"),
            Some(_) => !has("mock-only") && (self.allow_destructive || !has("destructive")),
        };
        target_ok && (self.only_tags.is_empty() || self.only_tags.iter().any(|t| has(t)))
    }
}

/// Runs the features with `config` and returns the counts.
pub async fn run(run: RunConfig) -> Summary {
    *CONFIG.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(run.clone());
    let filter = {
        let run = run.clone();
        move |f: &Feature, r: Option<&Rule>, s: &Scenario| run.selects(f, r, s)
    };
    // A sandbox is one shared server: one scenario at a time.
    let concurrency = if run.sandbox.is_some() { 1 } else { 16 };
    let summary = match &run.reports {
        None if run.quiet => {
            let w = CwWorld::cucumber()
                .with_writer(writer::Basic::raw(std::io::sink(), writer::Coloring::Never, 0).normalized().summarized())
                .fail_on_skipped()
                .with_default_cli()
                .max_concurrent_scenarios(concurrency)
                .filter_run(&run.features, filter)
                .await;
            summarize(w.scenarios_stats(), w.parsing_errors() + w.hook_errors())
        }
        None => {
            let w = CwWorld::cucumber()
                .fail_on_skipped()
                // Settings come from `RunConfig`, never the command line: test harness flags
                // (`--quiet`, a test name) are not cucumber's.
                .with_default_cli()
                .max_concurrent_scenarios(concurrency)
                .filter_run(&run.features, filter)
                .await;
            summarize(w.scenarios_stats(), w.parsing_errors() + w.hook_errors())
        }
        Some(dir) => {
            let _ = std::fs::create_dir_all(dir);
            let open = |name: &str| std::fs::File::create(dir.join(name)).expect("a report file");
            let w = CwWorld::cucumber()
                .with_writer(
                    writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0)
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
                // Settings come from `RunConfig`, never the command line: test harness flags
                // (`--quiet`, a test name) are not cucumber's.
                .with_default_cli()
                .max_concurrent_scenarios(concurrency)
                .filter_run(&run.features, filter)
                .await;
            summarize(w.scenarios_stats(), w.parsing_errors() + w.hook_errors())
        }
    };
    *CONFIG.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    summary
}

fn summarize(scenarios: &writer::summarize::Stats, errors: usize) -> Summary {
    Summary { passed: scenarios.passed, failed: scenarios.failed, skipped: scenarios.skipped, errors }
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
