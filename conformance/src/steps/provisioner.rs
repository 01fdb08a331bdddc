//! The provisioner end to end: plan, apply, verify.

use cucumber::{then, when};
use provisioner::apply::{ApplyOptions, apply};
use provisioner::{Client, Setup, Status};

use crate::CwWorld;
use crate::world::{RETRY, connection};

async fn admin_client(w: &mut CwWorld) -> (Client, provisioner::Connection) {
    let app = w.mock().await;
    let conn = connection(app, &app.admin.clone());
    (Client::connect(&conn, RETRY, std::time::Duration::from_secs(30)).await.expect("connects"), conn)
}

fn key_file(w: &mut CwWorld) -> std::path::PathBuf {
    w.key_file
        .get_or_insert_with(|| {
            let dir = std::env::temp_dir().join(format!("conformance-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let port = w.app.as_ref().map(|a| a.url.rsplit(':').next().unwrap_or("0").to_owned()).unwrap_or_default();
            let file = dir.join(format!("key-{port}.env"));
            let _ = std::fs::remove_file(&file);
            file
        })
        .clone()
}

#[when("the operator runs plan")]
async fn plan(w: &mut CwWorld) {
    let (client, _) = admin_client(w).await;
    let file = key_file(w);
    w.report =
        Some(provisioner::plan::plan(&client, &Setup::for_profile(w.profile()), &file).await.expect("plan runs"));
}

#[then(expr = "every step from S0 to S9.8 is reported as {string}")]
async fn all_steps(w: &mut CwWorld, status: String) {
    let report = w.report.clone().expect("a report");
    let steps = provisioner::plan::SETUP_STEPS.len() + w.profile().rows.len();
    assert_eq!(report.steps.len(), steps, "{}", report.render());
    let want = match status.as_str() {
        "to do" => Status::Todo,
        "done" => Status::Done,
        other => panic!("unknown status {other}"),
    };
    let no_login = w.profile().integrator_login.is_none();
    for s in &report.steps {
        if s.id == "S0" && no_login {
            // The profile's page needs no integrator login: S0 is done from the start.
            assert_eq!(s.status, Status::Done, "{} {}: {}", s.id, s.title, s.detail);
            continue;
        }
        assert_eq!(s.status, want, "{} {}: {}", s.id, s.title, s.detail);
    }
}

#[when(expr = "the operator runs apply")]
async fn run_apply(w: &mut CwWorld) {
    let (client, conn) = admin_client(w).await;
    let options = ApplyOptions { key_file: key_file(w), new_key: false };
    let report = apply(&client, &conn, &Setup::for_profile(w.profile()), &options).await.expect("apply runs");
    w.previous = w.report.replace(report);
}

#[then("the key file is readable only by its owner and holds the integration's identity")]
async fn key_file_ok(w: &mut CwWorld) {
    let file = key_file(w);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("a key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (conn, _) = provisioner::keyfile::read(&file).expect("a readable key file");
    w.identity = Some(conn);
}

#[then("verify passes with the key file")]
async fn verify_passes(w: &mut CwWorld) {
    let client = w.identity_client().await;
    let report = provisioner::verify::verify(&client, &w.profile(), provisioner::verify::VerifyOptions::default())
        .await
        .expect("verify runs");
    assert!(report.ok, "{}", report.render());
}

#[then("the second apply changed nothing")]
async fn no_changes(w: &mut CwWorld) {
    let report = w.report.clone().expect("a report");
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert!(w.previous.as_ref().is_some_and(|p| !p.changes.is_empty()), "the first apply made the changes");
}
