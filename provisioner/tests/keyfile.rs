//! The key file under `apply` (issue 18, items 2 to 4): checked writable before anything
//! changes on the server, never replaced without a private timestamped backup, and never a
//! way for a hostile server to run a command when the file is sourced.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod support;

use std::path::{Path, PathBuf};

use mock_connectwise::TestApp;
use provisioner::apply::{ApplyOptions, apply};
use provisioner::keyfile::{self, KeyFileError, KeyStatus};
use provisioner::{Connection, Error, Report, Setup};
use reqwest::Method;
use serde_json::{Value, json};
use support::{admin, connect, proxy, scratch};

async fn apply_as(conn: &Connection, file: &Path) -> Result<Report, Error> {
    let client = connect(conn).await;
    apply(&client, conn, &Setup::default(), &ApplyOptions { key_file: file.to_path_buf(), new_key: false }).await
}

/// Integrator logins, roles, API members and keys on the server.
async fn records(app: &TestApp) -> [Value; 4] {
    let count = |path: &'static str| async move { app.get(path).await.expect(200).body["count"].clone() };
    let keys = app.console(Method::GET, "/companies/cwmock/keys", None).await.expect(200);
    [
        count("/system/integratorlogins/count").await,
        count("/system/securityroles/count").await,
        count("/system/apiMembers/count").await,
        Value::from(keys.body.as_array().map_or(0, Vec::len)),
    ]
}

fn backups(file: &Path) -> Vec<PathBuf> {
    let name = format!("{}.bak-", file.file_name().unwrap().to_string_lossy());
    let mut found: Vec<PathBuf> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&name))
        .collect();
    found.sort();
    found
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn apply_refuses_an_unwritable_key_file_before_changing_anything_on_the_server() {
    let app = TestApp::spawn().await;
    let dir = scratch("unwritable");
    let mut cases = vec![(dir.join("missing-dir/k.env"), "does not exist"), (dir.clone(), "is a directory")];
    #[cfg(unix)]
    {
        // Root writes through permission bits; /proc refuses even root.
        let root = std::process::Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
        if root {
            cases.push((PathBuf::from("/proc/cw-integration.env"), "cannot write"));
        } else {
            use std::os::unix::fs::PermissionsExt;
            let ro = dir.join("read-only");
            std::fs::create_dir(&ro).unwrap();
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
            cases.push((ro.join("k.env"), "cannot write"));
        }
    }
    let before = records(&app).await;

    for (path, why) in cases {
        let err = apply_as(&admin(&app), &path).await.unwrap_err();

        assert!(matches!(err, Error::KeyFile(_)), "{}: {err:?}", path.display());
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()) && text.contains(why), "{text}");
        assert_eq!(records(&app).await, before, "{}: the server changed", path.display());
    }
    let member = app.get("/system/apiMembers/count?conditions=identifier=%22SophosSync%22").await.expect(200);
    assert_eq!(member.body["count"], 0, "the API member was never made");
}

#[tokio::test]
async fn an_unrelated_dotenv_at_the_key_file_path_is_kept_as_a_private_backup() {
    let app = TestApp::spawn().await;
    let file = scratch("unrelated").join("app.env");
    std::fs::write(&file, "DATABASE_PASSWORD='hunter2'\nSMTP_TOKEN=abc\n").unwrap();

    let report = apply_as(&admin(&app), &file).await.unwrap();

    assert!(report.ok, "{}", report.render());
    let kept = backups(&file);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), "DATABASE_PASSWORD='hunter2'\nSMTP_TOKEN=abc\n");
    #[cfg(unix)]
    assert_eq!(mode(&kept[0]), 0o600);
    let said =
        report.changes.iter().any(|c| c.contains("kept the previous") && c.contains(&kept[0].display().to_string()));
    assert!(said, "the report names the backup: {:?}", report.changes);
    assert_eq!(keyfile::check(&file).await.unwrap(), KeyStatus::Works);
}

#[tokio::test]
async fn a_key_file_whose_keys_stopped_working_is_backed_up_before_a_new_key_replaces_it() {
    let app = TestApp::spawn().await;
    let file = scratch("stale").join("k.env");
    apply_as(&admin(&app), &file).await.unwrap();
    let old = std::fs::read_to_string(&file).unwrap();
    let keys = app.console(Method::GET, "/companies/cwmock/members/SophosSync/keys", None).await.expect(200);
    let id = keys.body[0]["id"].as_u64().unwrap();
    app.console(Method::PATCH, &format!("/companies/cwmock/keys/{id}"), Some(json!({ "inactiveFlag": true })))
        .await
        .expect(200);
    assert!(matches!(keyfile::check(&file).await.unwrap(), KeyStatus::Broken(_)));

    let report = apply_as(&admin(&app), &file).await.unwrap();

    assert!(report.ok, "{}", report.render());
    let kept = backups(&file);
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), old, "the old identity is kept");
    assert_ne!(std::fs::read_to_string(&file).unwrap(), old);
    assert_eq!(keyfile::check(&file).await.unwrap(), KeyStatus::Works);
}

#[tokio::test]
async fn a_hostile_servers_key_is_refused_and_never_runs_when_a_key_file_is_sourced() {
    let app = TestApp::spawn().await;
    let dir = scratch("hostile-key");
    let marker = dir.join("pwned");
    let payload = format!("$(touch {})", marker.display());
    let hostile = payload.clone();
    let front = proxy(app.url.clone(), move |method, target, body| {
        if method == "POST" && target.starts_with("/__mock/") && target.ends_with("/keys") {
            body["publicKey"] = Value::from(hostile.clone());
        }
    })
    .await;
    let conn = Connection { url: front.url.clone(), ..admin(&app) };
    let file = dir.join("k.env");

    let err = apply_as(&conn, &file).await.unwrap_err();

    assert!(matches!(err, Error::Implausible { what: "public key", .. }), "{err:?}");
    assert!(err.to_string().contains("not plausible"), "{err}");
    for written in std::fs::read_dir(&dir).unwrap() {
        let path = written.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(&payload), "{} holds the hostile key", path.display());
        sourced(&path, "CW_PUBLIC_KEY");
    }
    assert!(!marker.exists(), "a command ran");
}

/// Sources `file` in `sh` with `set -a` as the README says, and returns `var` afterwards.
fn sourced(file: &Path, var: &str) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("set -a; . '{}'; printf %s \"${var}\"", file.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn every_value_written_to_the_key_file_is_quoted_so_sourcing_it_runs_nothing() {
    let app = TestApp::spawn().await;
    let dir = scratch("quoted");
    let marker = dir.join("pwned");
    let hostile = format!("x$(touch {m})`touch {m}`;touch {m} 'q\"", m = marker.display());
    let conn = Connection { client_id: hostile.clone(), ..admin(&app) };
    let file = dir.join("k.env");

    let report = apply_as(&conn, &file).await.unwrap();

    assert!(report.ok, "{}", report.render());
    assert_eq!(sourced(&file, "CW_CLIENT_ID"), hostile, "the value reads back unchanged");
    assert!(!marker.exists(), "sourcing the key file ran a command");
    let (read, _) = keyfile::read(&file).unwrap();
    assert_eq!(read.client_id, hostile);
}

#[test]
fn preflight_names_the_path_and_the_reason() {
    let dir = scratch("preflight");
    let err = keyfile::preflight(&dir.join("nope/k.env")).unwrap_err();
    assert!(matches!(err, KeyFileError::NoDirectory { .. }));
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test]
async fn on_a_real_server_a_new_integrator_logins_password_is_kept_in_the_key_file() {
    let app = TestApp::spawn().await;
    let real = support::proxy_with(app.url.clone(), true, |_, _, _| {}).await;
    let conn = Connection { url: real.url.clone(), ..admin(&app) };
    let file = scratch("real-server").join("k.env");

    let report = apply_as(&conn, &file).await.unwrap();
    let again = apply_as(&conn, &file).await.unwrap();

    assert!(!report.mock && report.ok, "{}", report.render());
    assert!(report.instructions.iter().any(|i| i.starts_with("S7: click Save")), "{:?}", report.instructions);
    let pairs = cw_model::connection::read_dotenv(&file).unwrap();
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap();
    let login = mock_connectwise::Creds {
        company: app.admin.company.clone(),
        public: get("CW_INTEGRATOR_USERNAME"),
        private: get("CW_INTEGRATOR_PASSWORD"),
        client_id: app.admin.client_id.clone(),
    };
    // The password authenticates: an integrator login past authentication is told what it
    // may call (403 naming it), never 401.
    let req = app.request(&login, Method::GET, "/system/info").header("x-cw-usertype", "integrator");
    let answer = app.send(req).await;
    assert_eq!(answer.status, 403, "{:?}", answer.body);
    assert!(answer.message().contains("Integrator login IntegrationSync"), "{}", answer.message());
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(backups(&file).is_empty(), "nothing to back up: the second apply wrote nothing");
}
