//! The living specification as part of `cargo test`: every feature in `features/` against a
//! fresh embedded mock per scenario, or against a sandbox when `CW_*` are set (see README).
//! Prints `N passed, N failed; steps checked: N/M` and exits non-zero on any failure or skipped step.

use std::path::Path;

fn main() {
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
    let config = match conformance::RunConfig::from_env(features) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("conformance: {e}");
            std::process::exit(2);
        }
    };
    let target = config.target();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let summary = runtime.block_on(conformance::run(config));
    let failing = [conformance::StepStatus::Failed, conformance::StepStatus::NotChecked];
    for step in summary.steps.iter().filter(|s| failing.contains(&s.status)) {
        println!("{} failed: {}", step.id, step.messages.join(" | "));
    }
    println!("conformance against {target}: {}", summary.counts_line());
    std::process::exit(i32::from(!summary.ok()));
}
