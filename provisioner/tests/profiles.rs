//! Integration profiles end to end (issue 17): every built-in profile applies to a fresh mock
//! and verifies; a role missing one row fails verify naming that row; `--profile` works from
//! the command line for a file; a malformed profile is refused before any call, naming file
//! and line; `provisioner profiles` lists the built-ins.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod support;

use std::path::Path;
use std::process::Output;

use cw_model::{PermissionLevel, Profile};
use mock_connectwise::TestApp;
use provisioner::apply::{ApplyOptions, apply};
use provisioner::verify::{VerifyOptions, verify};
use provisioner::{Report, Setup, Status};
use support::{admin, collector, connect, scratch};

/// A fresh mock, `apply` for `profile`, then `verify` with the key file it wrote; then each
/// level of the profile's last row taken away and `verify` again. Returns what went wrong.
async fn round_trip(profile: Profile) -> Result<(), String> {
    let app = TestApp::spawn().await;
    let file = scratch(&format!("profile-{}", profile.id)).join("k.env");
    let client = connect(&admin(&app)).await;
    let setup = Setup::for_profile(profile.clone());
    let options = ApplyOptions { key_file: file.clone(), new_key: false };
    let applied = apply(&client, &admin(&app), &setup, &options).await.map_err(|e| format!("apply: {e}"))?;
    if !applied.ok {
        return Err(format!("apply:\n{}", applied.render()));
    }
    let verified = verify_file(&file, &profile).await;
    if !verified.ok || !verified.warnings.is_empty() {
        return Err(format!("verify:\n{}", verified.render()));
    }

    let row = profile.rows.last().ok_or("the profile has no rows")?;
    let role = percent_encoding::utf8_percent_encode(&setup.role, percent_encoding::NON_ALPHANUMERIC).to_string();
    for (action, _) in row.actions() {
        app.set_level(&role, row.function, action, PermissionLevel::None).await;
    }
    let without = verify_file(&file, &profile).await;
    let failed: Vec<_> = without.steps.iter().filter(|s| s.status == Status::Failed).collect();
    let id = row.step.clone().unwrap_or_else(|| row.function.label());
    let named = failed.len() == 1
        && failed[0].id == id
        && row.actions().all(|(a, l)| failed[0].detail.contains(&format!("{a} Level = {l} missing (has None)")));
    if without.ok || !named {
        return Err(format!("verify without {id} does not fail naming it alone:\n{}", without.render()));
    }
    Ok(())
}

async fn verify_file(file: &Path, profile: &Profile) -> Report {
    let (conn, _) = provisioner::keyfile::read(file).unwrap();
    verify(&connect(&conn).await, profile, VerifyOptions::default()).await.unwrap()
}

#[tokio::test]
async fn every_built_in_profile_applies_to_a_fresh_mock_verifies_and_fails_naming_a_missing_row() {
    let profiles: Vec<Profile> = Profile::builtins().into_iter().map(|p| p.unwrap()).collect();
    assert!(profiles.iter().any(|p| p.id == cw_model::DEFAULT_PROFILE));

    let mut runs = Vec::new();
    for p in profiles.clone() {
        runs.push((p.id.clone(), tokio::spawn(round_trip(p))));
    }
    let mut failures = Vec::new();
    for (id, run) in runs {
        if let Err(e) = run.await.unwrap() {
            failures.push(format!("{id}: {e}"));
        }
    }

    assert!(failures.is_empty(), "{} of {} profiles:\n{}", failures.len(), profiles.len(), failures.join("\n\n"));
}

/// A small profile unlike the default, as a file.
const SMALL: &str = r#"name = "Small Vendor"
source = "https://example.invalid/setup"
role = "Small Vendor Role"

[member]
identifier = "SmallSync"
name = "Small Vendor"

[[rows]]
function = "Companies > Company Maintenance"
inquire = "All"

[[rows]]
function = "Service Desk > Service Tickets"
add = "All"
edit = "All"
inquire = "All"

[[rows]]
function = "System > Security Roles"
inquire = "All"
"#;

async fn cli(dir: &Path, url: &str, app: Option<&TestApp>, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_provisioner"));
    cmd.current_dir(dir).args(args).env_remove("CW_PROFILE").env("CW_URL", url);
    for var in ["CW_COMPANY", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID"] {
        cmd.env_remove(var);
    }
    let (company, public, private, client) = match app {
        Some(app) => (
            app.admin.company.as_str(),
            app.admin.public.as_str(),
            app.admin.private.as_str(),
            app.admin.client_id.as_str(),
        ),
        None => ("cwmock", "AdminPublicKey01", "AdminPrivateKey1", "test-client"),
    };
    cmd.args(["--company", company, "--public-key", public, "--private-key", private, "--client-id", client]);
    cmd.output().await.unwrap()
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

#[tokio::test]
async fn the_cli_applies_and_verifies_a_profile_file_and_verify_against_another_names_what_is_missing() {
    let app = TestApp::spawn().await;
    let dir = scratch("cli-profile");
    std::fs::write(dir.join("small.toml"), SMALL).unwrap();

    let applied =
        cli(&dir, &app.url, Some(&app), &["--json", "--profile", "small.toml", "apply", "--key-file", "k.env"]).await;
    let verify_as = |profile: &str| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_provisioner"));
        cmd.current_dir(&dir).args(["--json", "--env-file", "k.env", "--profile", profile, "verify"]);
        for var in ["CW_URL", "CW_COMPANY", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID", "CW_PROFILE"] {
            cmd.env_remove(var);
        }
        cmd.output()
    };
    let verified = verify_as("./small.toml").await.unwrap();
    let against_default = verify_as(cw_model::DEFAULT_PROFILE).await.unwrap();

    assert_eq!(applied.status.code(), Some(0), "{}", String::from_utf8_lossy(&applied.stderr));
    assert_eq!(report(&applied)["profile"], "Small Vendor");
    let count = app.get("/system/apiMembers/count?conditions=identifier=%22SmallSync%22").await.expect(200);
    assert_eq!(count.body["count"], 1, "the profile's member was made");
    assert_eq!(verified.status.code(), Some(0), "{}", String::from_utf8_lossy(&verified.stdout));
    let ok = report(&verified);
    assert_eq!(ok["profile"], "Small Vendor");
    assert_eq!(ok["steps"].as_array().unwrap().len(), 2 + 3, "S8, S9.1 and one step per row");
    assert_eq!(against_default.status.code(), Some(1));
    let wrong = report(&against_default);
    let failed: Vec<&str> = wrong["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "failed")
        .map(|s| s["detail"].as_str().unwrap())
        .collect();
    assert!(
        failed.iter().any(|d| d.contains("Finance > Agreements: Add Level = All missing (has None)")),
        "{failed:#?}"
    );
    let warnings = wrong["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with(
            "System > Security Roles: Inquire Level = All is beyond the profile 'Sophos Central', which needs None"
        )),
        "{warnings:#?}"
    );
}

#[tokio::test]
async fn a_malformed_profile_is_refused_before_any_call_naming_file_and_line() {
    let listener = collector().await;
    let dir = scratch("bad-profile");
    let bad = SMALL.replace("Companies > Company Maintenance", "Companies > Nothing");
    std::fs::write(dir.join("bad.toml"), bad).unwrap();
    std::fs::write(
        dir.join("typo.toml"),
        SMALL.replace("inquire = \"All\"\n\n[[rows]]", "inquire = \"Most\"\n\n[[rows]]"),
    )
    .unwrap();

    let runs = [
        (
            cli(&dir, &listener.url, None, &["--profile", "bad.toml", "plan"]).await,
            "bad.toml:10:",
            "unknown function 'Companies > Nothing'",
        ),
        (cli(&dir, &listener.url, None, &["--profile", "bad.toml", "apply"]).await, "bad.toml:10:", "unknown function"),
        (cli(&dir, &listener.url, None, &["verify", "--profile", "./typo.toml"]).await, "typo.toml:11:", "'Most'"),
        (
            cli(&dir, &listener.url, None, &["--profile", "no-such-vendor", "apply"]).await,
            "no-such-vendor",
            "no such built-in profile",
        ),
    ];

    for (out, at, what) in &runs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(at) && stderr.contains(what), "{at} {what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
    }
    assert_eq!(listener.count(), 0, "a connection was made");
    assert!(!dir.join("cw-integration.env").exists());
}

#[tokio::test]
async fn a_malformed_profile_named_by_cw_profile_is_refused_too() {
    let listener = collector().await;
    let dir = scratch("bad-env-profile");
    std::fs::write(dir.join("bad.toml"), "name = \"X\"\n[member]\nidentifier = \"X\"\nname = \"X\"\nbogus = 1\n")
        .unwrap();

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_provisioner"))
        .current_dir(&dir)
        .args(["plan"])
        .env("CW_PROFILE", "bad.toml")
        .env("CW_URL", &listener.url)
        .env("CW_COMPANY", "cwmock")
        .env("CW_PUBLIC_KEY", "p")
        .env("CW_PRIVATE_KEY", "s")
        .env("CW_CLIENT_ID", "c")
        .output()
        .await
        .unwrap();

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.toml:5:") && stderr.contains("bogus"), "{stderr}");
    assert_eq!(listener.count(), 0);
}

#[test]
fn profiles_lists_every_built_in_as_a_table_and_as_json_without_a_server() {
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provisioner"));
        for var in ["CW_URL", "CW_COMPANY", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID", "CW_PROFILE"] {
            cmd.env_remove(var);
        }
        cmd.args(args).output().unwrap()
    };

    let table = run(&["profiles"]);
    let json = run(&["--json", "profiles"]);

    assert!(table.status.success(), "{}", String::from_utf8_lossy(&table.stderr));
    let text = String::from_utf8_lossy(&table.stdout);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let ids = Profile::builtin_ids();
    assert_eq!(listed.len(), ids.len());
    for p in Profile::builtins().into_iter().map(Result::unwrap) {
        assert!(text.contains(&p.id) && text.contains(&p.name), "{} missing from\n{text}", p.id);
        let entry = listed.iter().find(|e| e["id"] == p.id.as_str()).unwrap();
        assert_eq!(entry["name"], p.name.as_str());
        assert_eq!(entry["rows"], p.rows.len());
        assert_eq!(entry["source"].as_str(), p.source.as_deref());
    }
    assert!(text.contains("sophos-central (default)"), "{text}");
}

/// Vendor profiles to come may name any row: a profile of every row, at every level, goes
/// through the same round trip (probes that cannot run on a collection say so instead of
/// failing).
#[tokio::test]
async fn a_profile_of_every_row_at_every_level_applies_verifies_and_fails_naming_a_missing_row() {
    let mut text = String::from(
        "name = \"Everything\"\n[member]\nidentifier = \"EverySync\"\nname = \"Every\"\n[integrator_login]\nflags = [\"companyApiFlag\"]\n",
    );
    for f in cw_model::Function::ALL {
        text.push_str(&format!(
            "[[rows]]\nfunction = \"{}\"\nadd = \"All\"\nedit = \"All\"\ninquire = \"All\"\ndelete = \"My\"\n",
            f.label()
        ));
    }
    let p = Profile::parse("every.toml", &text).unwrap();
    round_trip(p).await.unwrap();
}
