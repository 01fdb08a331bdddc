//! The sandbox target as an operator uses it on a real server, here against a running mock
//! server started exactly as the `mock-connectwise` binary starts (built-in fixtures, system
//! clock, a listener on `127.0.0.1:0`): the integration's keys come from `provisioner apply`,
//! the administrator's from the fixtures' banner. Every step ID is checked and passes; each
//! mutation (a level lowered, the integrator login deactivated, the member's key deleted)
//! fails the run naming its step. The runs share the runner's configuration, so they go one
//! after another in one test.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use conformance::{RunConfig, StepStatus, Summary, run};
use cw_model::console::{self, LevelChanges};
use cw_model::{Action, Function, PermissionLevel};
use mock_connectwise::{ApiConfig, FixtureSet, Store, StoreConfig, SystemClock, serve};
use provisioner::apply::{ApplyOptions, apply};
use provisioner::{Client, Connection, RetryPolicy, Setup};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

const RETRY: RetryPolicy = RetryPolicy {
    retries: 2,
    backoff: std::time::Duration::from_millis(20),
    max_wait: std::time::Duration::from_secs(2),
};

/// The mock as its binary serves it; returns the banner's administrator connection.
async fn start_mock() -> Connection {
    let set = FixtureSet::builtin();
    let banner = set.admin().expect("the built-in fixtures have an administrator");
    let store =
        Store::new(StoreConfig { clock: Arc::new(SystemClock), key_seed: None, fixtures: set }).expect("a store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(serve(listener, store, ApiConfig::default(), std::future::pending()));
    Connection {
        url,
        company: banner.company,
        public_key: banner.public_key,
        private_key: SecretString::from(banner.private_key),
        client_id: banner.client_id,
    }
}

async fn sandbox_run(identity: &Connection, admin: Option<&Connection>, skip_admin: bool) -> Summary {
    run(RunConfig {
        sandbox: Some(identity.clone()),
        admin: admin.cloned(),
        skip_admin,
        features: features(),
        quiet: true,
        ..RunConfig::default()
    })
    .await
}

fn failed(summary: &Summary) -> Vec<&str> {
    summary.steps_with(StepStatus::Failed)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_target_checks_every_step_and_each_mutation_fails_naming_its_step() {
    // Arrange: the setup made by `provisioner apply`, as an operator would.
    let admin = start_mock().await;
    let client = Client::connect(&admin, RETRY, std::time::Duration::from_secs(10)).await.expect("the mock answers");
    let dir = std::env::temp_dir().join(format!("conformance-sandbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let key_file = dir.join("integration.env");
    let _ = std::fs::remove_file(&key_file);
    let setup = Setup::default();
    let options = ApplyOptions { key_file: key_file.clone(), new_key: false };
    let applied = apply(&client, &admin, &setup, &options).await.expect("apply runs");
    assert!(applied.ok, "{}", applied.render());
    let (identity, _) = provisioner::keyfile::read(&key_file).expect("the key file");

    // Every step ID checked, all passing.
    let started = std::time::Instant::now();
    let full = sandbox_run(&identity, Some(&admin), false).await;
    let full_time = started.elapsed();
    assert!(full.ok(), "{}", full.counts_line());
    assert_eq!(full.steps_checked(), (18, 18), "{}", full.counts_line());
    assert_eq!(full.steps_with(StepStatus::Passed).len(), 18, "{}", full.counts_line());

    // Without the administrator: the steps that need one fail as not checked, saying why.
    let no_admin = sandbox_run(&identity, None, false).await;
    assert!(!no_admin.ok());
    assert_eq!(no_admin.steps_checked(), (11, 18), "{}", no_admin.counts_line());
    for id in ["S0", "S1", "S2", "S3", "S4", "S9", "S9.1"] {
        let step = no_admin.step(id).expect("a step");
        assert_eq!(step.status, StepStatus::NotChecked, "{id}: {step:?}");
        assert!(step.messages.iter().any(|m| m.contains("not checked: needs CW_ADMIN_")), "{id}: {step:?}");
    }
    assert_eq!(no_admin.step("S5").map(|s| s.status), Some(StepStatus::Passed));

    // The operator chose to run without one: skipped by the operator, not passed.
    let skipped = sandbox_run(&identity, None, true).await;
    assert!(skipped.ok(), "{}", skipped.counts_line());
    assert_eq!(skipped.steps_checked(), (11, 18), "{}", skipped.counts_line());
    assert_eq!(
        skipped.steps_with(StepStatus::SkippedByOperator),
        ["S0", "S1", "S2", "S3", "S4", "S9", "S9.1"],
        "{}",
        skipped.counts_line()
    );
    assert!(skipped.counts_line().contains("steps checked: 11/18"), "{}", skipped.counts_line());

    // A level lowered: S9.3 fails, naming the level; the steps before it still pass.
    let role = provisioner::state::State::read(&client, &setup).await.expect("state").role_id().expect("a role");
    let levels = console::path::role_levels(&admin.company, &role.to_string());
    let set = |level| LevelChanges::default().level(Function::Agreements, Action::Edit, level).to_json();
    client
        .console::<_, serde_json::Value>(Method::PUT, &levels, Some(&set(PermissionLevel::None)))
        .await
        .expect("lowered");
    let lowered = sandbox_run(&identity, Some(&admin), false).await;
    assert_eq!(failed(&lowered), ["S9.3"], "{}", lowered.counts_line());
    let s93 = lowered.step("S9.3").expect("S9.3");
    assert!(s93.messages.iter().any(|m| m.contains("Finance > Agreements: Edit Level = All required")), "{s93:?}");
    client
        .console::<_, serde_json::Value>(Method::PUT, &levels, Some(&set(PermissionLevel::All)))
        .await
        .expect("restored");

    // The integrator login deactivated: S0 fails.
    let login: serde_json::Value =
        client.get("/system/integratorlogins?conditions=username=\"IntegrationSync\"").await.expect("logins");
    let login_path = format!("/system/integratorlogins/{}", login[0]["id"]);
    let inactive = |flag: bool| json!([{ "op": "replace", "path": "inactiveFlag", "value": flag }]);
    client.patch::<_, serde_json::Value>(&login_path, &inactive(true)).await.expect("deactivated");
    let deactivated = sandbox_run(&identity, Some(&admin), false).await;
    assert_eq!(failed(&deactivated), ["S0"], "{}", deactivated.counts_line());
    let s0 = deactivated.step("S0").expect("S0");
    assert!(s0.messages.iter().any(|m| m.contains("is inactive")), "{s0:?}");
    client.patch::<_, serde_json::Value>(&login_path, &inactive(false)).await.expect("reactivated");
    assert!(sandbox_run(&identity, Some(&admin), false).await.ok(), "restored");

    // The member's key deleted: S5-S8 fail (and everything the keys did after them).
    let keys: Vec<console::ApiKey> = client
        .console(Method::GET, &console::path::member_keys(&admin.company, &setup.member), None::<&()>)
        .await
        .expect("keys");
    for key in keys {
        let _: serde_json::Value = client
            .console(Method::DELETE, &console::path::key(&admin.company, key.id), None::<&()>)
            .await
            .expect("deleted");
    }
    let no_key = sandbox_run(&identity, Some(&admin), false).await;
    let no_key_failed = failed(&no_key);
    for id in ["S5", "S6", "S7", "S8"] {
        assert!(no_key_failed.contains(&id), "{id} not failed: {}", no_key.counts_line());
    }
    assert_eq!(no_key.step("S0").map(|s| s.status), Some(StepStatus::Passed), "{}", no_key.counts_line());
    let s5 = no_key.step("S5").expect("S5");
    assert!(s5.messages.iter().any(|m| m.contains("do not authenticate")), "{s5:?}");
    println!(
        "sandbox target: {} scenarios, steps checked {}/{} in {full_time:?}",
        full.passed,
        full.steps_checked().0,
        full.steps_checked().1
    );
}
