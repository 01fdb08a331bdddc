//! Removing any one required level from the integration's role makes the scenarios of its
//! step fail, both on the embedded mock and through the sandbox target pointed at a running
//! mock server. The runs share the runner's configuration, so they go one after another.

use std::path::{Path, PathBuf};

use conformance::{RunConfig, run};
use cw_model::{PermissionLevel, Profile};
use mock_connectwise::TestApp;
use provisioner::Connection;
use secrecy::SecretString;

/// The sandbox connection of credentials on the running mock.
fn sandbox(server: &TestApp, creds: mock_connectwise::Creds) -> Connection {
    Connection {
        url: server.url.clone(),
        company: creds.company,
        public_key: creds.public,
        private_key: SecretString::from(creds.private),
        client_id: creds.client_id,
    }
}

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

#[tokio::test(flavor = "multi_thread")]
async fn each_missing_level_fails_a_scenario_of_its_step_on_the_mock_and_through_the_sandbox_target() {
    let server = TestApp::spawn().await;
    let mut failures = Vec::new();
    for (i, r) in Profile::seed().requirements().enumerate() {
        // Embedded mock: the World's identity lacks the level.
        let on_mock = run(RunConfig {
            drop_level: Some((r.function, r.action)),
            only_tags: vec![r.step_or_label()],
            features: features(),
            quiet: true,
            ..RunConfig::default()
        })
        .await;
        // Sandbox target pointed at a running mock whose integration role lacks the level.
        let mut levels = cw_model::Profile::seed().levels();
        levels.set(r.function, r.action, PermissionLevel::None);
        let creds = server.member_with_levels(&format!("Sandbox{i}"), &levels).await;
        let on_sandbox = run(RunConfig {
            sandbox: Some(sandbox(&server, creds)),
            only_tags: vec![r.step_or_label()],
            features: features(),
            quiet: true,
            ..RunConfig::default()
        })
        .await;
        if on_mock.failed == 0 || on_sandbox.failed == 0 {
            failures.push(format!("{r}: mock {on_mock:?}, sandbox {on_sandbox:?}"));
        }
    }
    assert!(failures.is_empty(), "levels whose removal no scenario caught: {failures:#?}");

    // With every level present, the permission steps pass through the sandbox target against
    // the same server (tests/sandbox.rs runs every step, with an administrator).
    let creds = server.member_with_levels("SandboxFull", &cw_model::Profile::seed().levels()).await;
    let steps: Vec<String> = Profile::seed().rows.iter().filter_map(|r| r.step.clone()).collect();
    let full = run(RunConfig {
        sandbox: Some(sandbox(&server, creds)),
        only_tags: steps,
        features: features(),
        quiet: true,
        ..RunConfig::default()
    })
    .await;
    assert!(full.ok() && full.passed >= 15, "{}", full.counts_line());
    assert_eq!(full.steps_checked(), (7, 18), "{}", full.counts_line());
}
