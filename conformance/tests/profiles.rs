//! The features run for any integration profile (`CW_PROFILE`), not only the default: the
//! profile-generic scenarios check every row of the profile, its rows become the run's step
//! IDs, the default profile's Examples are left out, and the permissions document follows the
//! profile. The runs share the runner's configuration, so they go one after another.

use std::path::{Path, PathBuf};

use conformance::{RunConfig, StepStatus, run};
use cw_model::{Action, Function, Profile};

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

/// A vendor page unlike the seed's: other rows, no step IDs, no integrator login.
const OTHER: &str = r#"
name = "Ticket Bridge"
source = "https://example.com/ticket-bridge/connectwise"

[member]
identifier = "TicketBridge"
name = "Ticket Bridge"

[[rows]]
function = "Service Desk > Service Tickets"
add = "All"
edit = "All"
inquire = "All"

[[rows]]
function = "Companies > Company Maintenance"
inquire = "All"

[[rows]]
function = "System > Member Maintenance"
inquire = "All"
"#;

fn other() -> Profile {
    Profile::parse("ticket-bridge.toml", OTHER).expect("the test profile parses")
}

#[tokio::test(flavor = "multi_thread")]
async fn another_profile_is_checked_row_by_row_and_a_missing_level_fails_its_row() {
    // Every row of the profile held: the run passes, its rows are the step IDs.
    let all =
        run(RunConfig { profile: Some(other()), features: features(), quiet: true, ..RunConfig::default() }).await;
    assert!(all.ok(), "{}", all.counts_line());
    let ids: Vec<&str> = all.steps.iter().map(|s| s.id.as_str()).skip(11).collect();
    assert_eq!(
        ids,
        ["Service Desk > Service Tickets", "Companies > Company Maintenance", "System > Member Maintenance"]
    );
    assert_eq!(all.steps_checked(), (14, 14), "{}", all.counts_line());
    assert_eq!(all.step("Service Desk > Service Tickets").map(|s| s.status), Some(StepStatus::Passed));
    let default = run(RunConfig { features: features(), quiet: true, ..RunConfig::default() }).await;
    assert!(all.passed < default.passed, "the default profile's Examples were not left out");

    // One of its levels missing: the run fails naming that row, and only it.
    let dropped = run(RunConfig {
        profile: Some(other()),
        drop_level: Some((Function::ServiceTickets, Action::Edit)),
        features: features(),
        quiet: true,
        ..RunConfig::default()
    })
    .await;
    assert_eq!(dropped.steps_with(StepStatus::Failed), ["Service Desk > Service Tickets"], "{}", dropped.counts_line());
    let row = dropped.step("Service Desk > Service Tickets").expect("the row");
    assert!(row.messages.iter().any(|m| m.contains("Edit Level = All required, the identity has None")), "{row:?}");
}

#[test]
fn the_permissions_document_of_another_profile_lists_its_rows_and_the_generic_scenarios() {
    let md = conformance::doc::render_profile(&features(), &other()).expect("a document");
    assert!(md.starts_with("# Permissions the integration needs: Ticket Bridge"), "{md}");
    assert!(md.contains("--profile ticket-bridge.toml"), "{md}");
    let row = md.lines().find(|l| l.contains("| Service Desk > Service Tickets |")).expect("the row");
    assert!(row.contains("Add = All, Edit = All, Inquire = All"), "{row}");
    assert!(row.contains("Every level of the profile is held and usable"), "{row}");
    assert!(!md.contains("The integration's identity holds <function>"), "the default profile's Examples are listed");
    assert!(!md.contains("| Finance > Agreements |"), "{md}");
}

#[test]
fn the_permissions_doc_binary_writes_a_document_for_a_profile_file() {
    let dir = std::env::temp_dir().join(format!("conformance-profile-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("ticket-bridge.toml");
    std::fs::write(&file, OTHER).expect("the profile file");
    let out = dir.join("permissions.md");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_permissions-doc"))
        .arg("--profile")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("permissions-doc runs");
    assert!(status.success());
    let md = std::fs::read_to_string(&out).expect("the document");
    assert!(md.contains("Ticket Bridge") && md.contains("| System > Member Maintenance |"), "{md}");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, OTHER.replace("System > Member Maintenance", "System > Nothing Here")).expect("a bad file");
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_permissions-doc"))
        .arg("--profile")
        .arg(&bad)
        .output()
        .expect("permissions-doc runs");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("bad.toml") && err.contains("System > Nothing Here"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
