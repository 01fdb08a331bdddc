//! The specification cannot drift: the Examples tables are the default profile's table, every
//! step ID is tagged (and checked read-only on a sandbox), every shipped profile's rows are
//! proven, and the generated `docs/permissions.md` is up to date.

use std::path::{Path, PathBuf};

use conformance::doc::{outline_rows, render, scenarios};
use cw_model::Profile;

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

#[test]
fn both_permission_outlines_have_exactly_the_rows_of_the_permission_table() {
    let expected: Vec<(String, String, String)> = Profile::seed()
        .requirements()
        .map(|r| (r.step_or_label(), r.function.label(), r.action.as_str().to_owned()))
        .collect();
    for outline in ["The integration's identity holds", "Without"] {
        let rows = outline_rows(&features(), "s9_security_role.feature", outline).unwrap();
        assert_eq!(rows, expected, "the Examples of '{outline}' drifted from the permission table");
    }
}

#[test]
fn every_step_id_of_the_procedure_is_tagged_on_a_scenario() {
    let all = scenarios(&features()).unwrap();
    let ids = ["S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S9.1"]
        .into_iter()
        .map(str::to_owned)
        .chain(Profile::seed().rows.iter().filter_map(|r| r.step.clone()));
    let mut count = 0;
    for id in ids {
        count += 1;
        assert!(all.iter().any(|s| s.tags.contains(&id)), "no scenario is tagged @{id}");
    }
    assert_eq!(count, 18);
}

#[test]
fn every_step_id_is_checked_read_only_by_a_scenario_that_runs_on_a_sandbox() {
    let all = scenarios(&features()).unwrap();
    for (id, _) in conformance::results::procedure(Profile::seed()) {
        let on_sandbox = all.iter().any(|s| {
            let has = |t: &str| s.tags.iter().any(|x| x == t);
            has(&id) && !has("mock-only") && !has("destructive") && !has("ui")
        });
        assert!(on_sandbox, "no read-only scenario checks {id} on a sandbox");
    }
}

#[test]
fn every_row_of_every_shipped_profile_is_proven_by_a_scenario() {
    for profile in Profile::builtins() {
        let profile = profile.unwrap();
        let md = conformance::doc::render_profile(&features(), &profile).unwrap();
        assert!(!md.contains("**none**"), "{}: a row or step no scenario proves:\n{md}", profile.id);
    }
}

#[test]
fn the_checked_in_permissions_document_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/permissions.md");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = render(&features()).unwrap();
    assert!(
        checked_in == fresh,
        "docs/permissions.md is out of date; run `cargo run -p conformance --bin permissions-doc`"
    );
}
