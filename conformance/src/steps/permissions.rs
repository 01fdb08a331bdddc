//! S9.2–S9.8: each level of the integration profile, granted and missing.

use cucumber::{given, then, when};
use cw_model::{PermissionLevel, ProfileRow};
use provisioner::verify::probe;

use super::{Act, Func, Level};
use crate::CwWorld;
use crate::world::{RETRY, connection};

/// The run profile's row of a function: its step ID names failures.
fn step_of(f: Func) -> ProfileRow {
    crate::runner::config().profile().row(f.0).cloned().unwrap_or_else(|| panic!("{} is not a row of the profile", f.0))
}

fn step_id(f: Func) -> String {
    step_of(f).step.unwrap_or_else(|| f.0.label())
}

#[given("the integration's identity")]
async fn identity(w: &mut CwWorld) {
    w.identity().await;
}

#[then(expr = "its effective rights grant {function} {action} level {level}")]
async fn granted(w: &mut CwWorld, f: Func, a: Act, l: Level) {
    let client = w.identity_client().await;
    let rows = client.get_all("/system/mySecurity").await.expect("mySecurity answers");
    let held = provisioner::state::levels_from_rows(&rows);
    let has = held.get(f.0, a.0);
    w.held = Some(held);
    assert!(has >= l.0, "{}: {}: {} Level = {} required, the identity has {has}", step_id(f), f.0, a.0, l.0);
}

#[then(expr = "calling {action} on {function} as the integration succeeds")]
async fn succeeds(w: &mut CwWorld, a: Act, f: Func) {
    let client = w.identity_client().await;
    if let Err(e) = probe(&client, step_of(f).function, a.0).await {
        panic!("{}: {e}", step_id(f));
    }
}

#[given(expr = "an API member whose role has every integration level except {function} {action}")]
async fn all_but(w: &mut CwWorld, f: Func, a: Act) {
    let mut levels = w.profile().levels();
    levels.set(f.0, a.0, PermissionLevel::None);
    let app = w.mock().await;
    let creds = app.member_with_levels("Partial", &levels).await;
    let conn = connection(app, &creds);
    w.identity = Some(conn);
    w.role = Some("Partial role".into());
}

#[then(expr = "calling {action} on {function} is refused with 403 naming {string}")]
async fn refused(w: &mut CwWorld, a: Act, f: Func, named: String) {
    let client = w.identity_client().await;
    match probe(&client, step_of(f).function, a.0).await {
        Ok(note) => panic!("{} {} was allowed: {note}", f.0, a.0),
        Err(e) => {
            let e = e.to_string();
            assert!(e.contains("403") && e.contains(&named), "{e}");
        }
    }
}

#[when(expr = "the level {function} {action} is set to {level} on that role")]
async fn set(w: &mut CwWorld, f: Func, a: Act, l: Level) {
    let role = w.role.clone().expect("a role made in this scenario");
    let app = w.mock().await;
    app.set_level(&role.replace(' ', "%20"), f.0, a.0, l.0).await;
}

#[then(expr = "calling {action} on {function} succeeds")]
async fn now_succeeds(w: &mut CwWorld, a: Act, f: Func) {
    succeeds(w, a, f).await;
}

#[then("verify passes for the integration's identity")]
async fn verify_identity(w: &mut CwWorld) {
    let conn = w.identity().await;
    let client =
        provisioner::Client::connect(&conn, RETRY, std::time::Duration::from_secs(30)).await.expect("connects");
    let report =
        provisioner::verify::verify(&client, &w.profile(), provisioner::verify::VerifyOptions { read_only: true })
            .await
            .expect("verify runs");
    assert!(report.ok, "{}", report.render());
}
