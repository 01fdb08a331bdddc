//! The setup as it stands on the target, read-only, for every step S0–S9.8: what a sandbox
//! shows its administrator (`@needs-admin`) and what the integration's own keys show. The
//! same steps run on the embedded mock after `provisioner apply`.

use cucumber::{given, then, when};
use provisioner::state::{State, levels_from_rows};
use provisioner::verify::probe;
use serde_json::Value;

use crate::CwWorld;

/// The setup's records, read as the administrator.
async fn state(w: &mut CwWorld) -> State {
    let admin = w.target_admin().await;
    let setup = provisioner::Setup::for_profile(w.profile());
    State::read(&admin, &setup).await.unwrap_or_else(|e| panic!("the administrator cannot read the setup: {e}"))
}

#[given("the integration is set up on the target")]
async fn set_up(w: &mut CwWorld) {
    w.set_up_target().await;
}

// S0

#[then("the administrator finds the profile's integrator login active, reaching all records, with its API flags")]
async fn integrator_login(w: &mut CwWorld) {
    let profile = w.profile();
    let Some(spec) = &profile.integrator_login else {
        // The profile's page needs no integrator login: nothing to find.
        return;
    };
    let state = state(w).await;
    let gaps = state.integrator_gaps(&spec.flags);
    assert!(gaps.is_empty(), "S0: integrator login '{}' {}", spec.username, gaps.join(", "));
}

// S1-S8

#[when("the integration asks who it is")]
async fn who_am_i(w: &mut CwWorld) {
    let client = w.identity_client().await;
    let rows: Value = client
        .get("/system/mySecurity?pageSize=1")
        .await
        .unwrap_or_else(|e| panic!("S5-S8: the integration's keys do not authenticate: {e}"));
    let member = rows.as_array().and_then(|r| r.first()).map(|r| r["member"].clone());
    let member = member.filter(|m| m["identifier"].is_string());
    w.whoami = Some(member.unwrap_or_else(|| panic!("S5-S8: /system/mySecurity names no member: {rows}")));
}

fn whoami(w: &CwWorld) -> String {
    let me = w.whoami.as_ref().expect("the integration asked who it is");
    me["identifier"].as_str().unwrap_or_default().to_owned()
}

#[then("its keys authenticate as the profile's API member")]
async fn is_profile_member(w: &mut CwWorld) {
    let me = whoami(w);
    let wanted = w.profile().member.identifier;
    assert!(
        me.eq_ignore_ascii_case(&wanted),
        "S5-S8: the integration's keys authenticate as '{me}', not as the profile's API member '{wanted}'"
    );
}

#[then("the administrator finds that member among the API members, active, with the profile's name")]
async fn listed_api_member(w: &mut CwWorld) {
    let me = whoami(w);
    let profile = w.profile();
    let state = state(w).await;
    let member = state.member.unwrap_or_else(|| {
        panic!(
            "S2: no API member '{}' in /system/apiMembers (keys must belong to an API member)",
            profile.member.identifier
        )
    });
    assert!(
        member.identifier.eq_ignore_ascii_case(&me),
        "S1: the integration's keys belong to '{me}', not to the API member {}",
        member.identifier
    );
    assert!(!member.inactive_flag, "S3: the API member '{me}' is inactive");
    assert_eq!(member.name.as_deref(), Some(profile.member.name.as_str()), "S3: the API member's name: {member:?}");
}

#[then("that member is not the administrator's own login")]
async fn not_shared(w: &mut CwWorld) {
    let me = whoami(w);
    let admin = w.target_admin().await;
    let rows: Value = admin.get("/system/mySecurity?pageSize=1").await.unwrap_or_else(|e| panic!("{e}"));
    let theirs = rows[0]["member"]["identifier"].as_str().unwrap_or_default().to_owned();
    assert!(!theirs.eq_ignore_ascii_case(&me), "S1: the integration shares the administrator's login '{me}'");
}

// S9, S9.1

#[then("the administrator finds the profile's security role")]
async fn role_exists(w: &mut CwWorld) {
    let role = w.profile().role;
    let state = state(w).await;
    assert!(state.role.is_some(), "S9: no security role named '{role}'");
}

#[then("the integration's API member holds the profile's security role")]
async fn member_holds_role(w: &mut CwWorld) {
    let me = whoami(w);
    let role = w.profile().role;
    let state = state(w).await;
    let held = state.member.as_ref().and_then(|m| m.security_role.as_ref()).and_then(|r| r.name.clone());
    assert!(state.member_has_role(), "S9.1: '{me}' holds the security role {held:?}, not '{role}'");
}

// Every row of any profile

#[then("every level of the profile is in the integration's effective rights and usable")]
async fn every_level(w: &mut CwWorld) {
    let client = w.identity_client().await;
    let rows = client.get_all("/system/mySecurity").await.unwrap_or_else(|e| panic!("mySecurity: {e}"));
    let held = levels_from_rows(&rows);
    let profile = w.profile();
    let mut failures = Vec::new();
    for r in profile.requirements() {
        let id = r.step_or_label();
        let has = held.get(r.function, r.action);
        let result = if has < r.level {
            Err(format!("{id}: {}: {} Level = {} required, the identity has {has}", r.function, r.action, r.level))
        } else {
            probe(&client, r.function, r.action).await.map(|_| ()).map_err(|e| format!("{id}: {e}"))
        };
        if let Err(m) = &result {
            failures.push(m.clone());
        }
        w.checks.push((id, result));
    }
    w.held = Some(held);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
