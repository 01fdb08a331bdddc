//! Derive a profile from a run (issue 17): a workload recorded in soft mode exports a profile
//! file; `apply --profile FILE` on a fresh server turns it into a role on which the same
//! workload, soft mode off, gets no 403; `verify --profile FILE` passes; and the role holds
//! nothing the workload did not need: it equals the journal's minimal role, and lowering any
//! one of its levels changes what the workload sees.

use std::path::PathBuf;
use std::time::Duration;

use cw_model::{PermissionLevel, Profile, RoleLevels};
use mock_connectwise::{Creds, TestApp, TestOptions};
use provisioner::apply::{ApplyOptions, apply};
use provisioner::verify::{VerifyOptions, verify};
use provisioner::{Client, Setup};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

mod support;
use support::{FAST, admin};

/// What one call of the workload showed: the call, its status, and how many records a list held.
type Outcome = Vec<(String, u16, Option<usize>)>;

/// A synchronisation run: read customers, members and boards; open a ticket, a catalog item and
/// an agreement, then update and re-read only those (so `My` suffices there).
async fn workload(app: &TestApp, creds: &Creds) -> Outcome {
    let mut seen = Vec::new();
    let mut call = async |method: Method, path: String, body: Option<Value>| {
        let res = app.call(creds, method.clone(), &path, body).await;
        seen.push((format!("{method} {path}"), res.status, res.body.as_array().map(Vec::len)));
        res.body
    };
    call(Method::GET, "/company/companies?pageSize=50".into(), None).await;
    call(Method::GET, "/system/members?fields=id,identifier".into(), None).await;
    call(Method::GET, "/service/boards".into(), None).await;
    let edit = |path: &str, value: &str| Some(json!([{ "op": "replace", "path": path, "value": value }]));
    let ticket = call(
        Method::POST,
        "/service/tickets".into(),
        Some(json!({ "summary": "Alert: disk full", "company": { "identifier": "AcmeCorp" } })),
    )
    .await;
    let ticket = format!("/service/tickets/{}", ticket["id"]);
    call(Method::PATCH, ticket.clone(), edit("summary", "Alert resolved")).await;
    call(Method::GET, ticket, None).await;
    call(Method::GET, "/service/tickets?pageSize=100".into(), None).await;
    let item = call(
        Method::POST,
        "/procurement/catalog".into(),
        Some(json!({ "identifier": "EPP-DERIVED", "description": "Endpoint", "customerDescription": "Endpoint",
            "subcategory": { "id": 1 }, "type": { "id": 1 } })),
    )
    .await;
    call(Method::PATCH, format!("/procurement/catalog/{}", item["id"]), edit("description", "Endpoint v2")).await;
    let agreement = call(
        Method::POST,
        "/finance/agreements".into(),
        Some(json!({ "name": "Endpoint licences", "type": { "id": 1 },
            "company": { "identifier": "AcmeCorp" }, "contact": { "id": 1 } })),
    )
    .await;
    let agreement = format!("/finance/agreements/{}", agreement["id"]);
    call(Method::PATCH, agreement.clone(), edit("internalNotes", "synced")).await;
    call(Method::GET, agreement, None).await;
    seen
}

fn refused(outcome: &Outcome) -> Vec<&String> {
    outcome.iter().filter(|(_, status, _)| *status == 403).map(|(call, _, _)| call).collect()
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("provisioner-profile-from-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Records the workload in soft mode as a member whose role grants nothing and writes the
/// exported profile to the file `name`; returns the file and the journal's minimal role.
async fn record_and_export(name: &str) -> (PathBuf, RoleLevels) {
    let recording = TestApp::spawn_with(TestOptions { soft_mode: true, ..TestOptions::default() }).await;
    let nothing = recording.member_with_levels("SyncRun", &RoleLevels::none()).await;
    let outcome = workload(&recording, &nothing).await;
    assert!(refused(&outcome).is_empty(), "soft mode refuses nothing: {outcome:?}");
    let url = format!("{}/__mock/permission-journal/SyncRun/profile", recording.url);
    let res = recording.client().get(url).send().await.expect("the mock answers");
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.expect("a profile file");
    let file = temp_file(name);
    std::fs::write(&file, &text).expect("the profile file is written");
    let minimal = recording.store.minimal_role(&recording.admin.company, "SyncRun").expect("the run is journaled");
    (file, minimal)
}

#[tokio::test]
async fn a_profile_derived_from_a_soft_mode_run_is_exactly_the_role_the_run_needs() {
    // Arrange: a recorded run, its profile file, and a fresh server without soft mode.
    let (file, minimal) = record_and_export("exact.toml").await;
    let profile = Profile::load(&file.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn().await;
    assert!(!app.store.soft_mode());
    let client = Client::connect(&admin(&app), FAST, Duration::from_secs(10)).await.expect("connects");
    let key_file = temp_file("SyncRun.env");

    // Act: apply --profile FILE, then replay the run as the member apply made.
    let options = ApplyOptions { key_file: key_file.clone(), new_key: false };
    let applied =
        apply(&client, &admin(&app), &Setup::for_profile(profile.clone()), &options).await.expect("apply runs");
    let (conn, _) = provisioner::keyfile::read(&key_file).expect("apply wrote the key file");
    let creds = Creds {
        company: conn.company.clone(),
        public: conn.public_key.clone(),
        private: conn.private_key.expose_secret().to_owned(),
        client_id: conn.client_id.clone(),
    };
    let replay = workload(&app, &creds).await;
    let forbidden = app.requests("status=403").await;
    let integration = Client::connect(&conn, FAST, Duration::from_secs(10)).await.expect("the keys connect");
    // Levels and read probes only: verify's Edit probe patches the first record it lists,
    // which under Edit = My is someone else's (and needs Inquire), so it would report a
    // refusal the run itself never meets.
    let verified = verify(&integration, &profile, VerifyOptions { read_only: true }).await.expect("verify runs");

    // Assert: no 403, verify passes, and the role is the run's minimal role, nothing more.
    assert!(applied.ok, "{}", applied.render());
    assert!(refused(&replay).is_empty(), "refused on the derived role: {:?}", refused(&replay));
    assert!(forbidden.is_empty(), "{forbidden:#?}");
    assert!(verified.ok && verified.warnings.is_empty(), "{}", verified.render());
    let role_id = app.get(&format!("/system/apiMembers?conditions=identifier=\"{}\"", profile.member.identifier)).await;
    let role_id = role_id.expect(200).body[0]["securityRole"]["id"].as_u64().expect("the member has a role");
    // The API shows only that a row is customised; the mock's console shows the list too.
    let role = app
        .console(Method::GET, &cw_model::console::path::role_levels(&app.admin.company, &role_id.to_string()), None)
        .await
        .expect(200);
    let role =
        serde_json::from_value::<cw_model::console::RoleLevelsView>(role.body).expect("a levels view").to_levels();
    assert_eq!(profile.levels(), minimal, "the file says what the journal derived");
    assert_eq!(role, minimal, "the applied role holds exactly what the run needed");
    assert!(profile.excess(&role).is_empty() && profile.missing(&role).is_empty());
    assert!(role.granted().any(|(_, _, l)| l == PermissionLevel::My), "own records need only My: {profile:?}");
    let replayed = app.store.minimal_role(&app.admin.company, &profile.member.identifier).expect("journaled");
    assert_eq!(replayed, minimal, "the replay needed the same levels again");
}

/// The workload on a fresh server (same fixtures, so the same counts) as a member holding `levels`.
async fn run_with(levels: &RoleLevels) -> Outcome {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("Replay", levels).await;
    workload(&app, &creds).await
}

#[tokio::test]
async fn lowering_any_level_of_the_derived_role_changes_what_the_run_sees() {
    let (file, _) = record_and_export("lowered.toml").await;
    let profile = Profile::load(&file.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    let baseline = run_with(&profile.levels()).await;
    assert!(refused(&baseline).is_empty(), "{baseline:?}");
    let summary = |o: &Outcome| o.iter().map(|(_, s, n)| (*s, *n)).collect::<Vec<_>>();

    let mut unchanged = Vec::new();
    for r in profile.requirements() {
        let mut lowered = profile.levels();
        let lower = if r.level == PermissionLevel::All { PermissionLevel::My } else { PermissionLevel::None };
        lowered.set(r.function, r.action, lower);
        // Lists under `My` answer with fewer records rather than 403, so compare what was seen.
        if summary(&run_with(&lowered).await) == summary(&baseline) {
            unchanged.push(r.to_string());
        }
    }

    assert!(profile.requirements().count() >= 8, "the run touches several rows: {profile:?}");
    assert!(unchanged.is_empty(), "levels the run did not need: {unchanged:?}");
}
