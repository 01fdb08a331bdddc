//! Callbacks end to end for the types `callbacks.rs` does not cover (activity, invoice,
//! member, opportunity, project, schedule, time, and project tickets): for each, at every
//! level the reference gives the type, which change reaches which entry and which does not.

mod callbacks_receiver;

use std::collections::BTreeSet;

use callbacks_receiver::{Receiver, fast, mock_with, register, settle};
use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// One collection: its type, a record to make, a change, and every level of the type other
/// than `owner` and its own with the record field that level reads.
struct Case {
    kind: &'static str,
    path: &'static str,
    body: Value,
    patch: (&'static str, Value),
    levels: &'static [(&'static str, &'static str)],
    /// Whether the API deletes it (`/system/members` has no DELETE).
    deletes: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            kind: "activity",
            path: "/sales/activities",
            body: json!({"name": "Cb activity", "assignTo": {"identifier": "jdoe"}, "company": {"id": 2}, "type": {"id": 1}, "status": {"id": 1}}),
            patch: ("name", json!("Cb activity 2")),
            levels: &[("status", "status"), ("type", "type"), ("company", "company")],
            deletes: true,
        },
        Case {
            kind: "invoice",
            path: "/finance/invoices",
            body: json!({"type": "Standard", "company": {"id": 2}, "status": {"id": 1}}),
            patch: ("reference", json!("CB-2")),
            levels: &[("status", "status"), ("company", "company")],
            deletes: true,
        },
        Case {
            kind: "member",
            path: "/system/members",
            body: json!({"identifier": "CbMember", "firstName": "Cb", "lastName": "Member", "licenseClass": "F",
                "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
                "officeEmail": "cb.member@example.com", "securityRole": {"id": 1}, "defaultLocation": {"id": 1}}),
            patch: ("title", json!("Tester")),
            levels: &[("location", "defaultLocation"), ("securityrole", "securityRole")],
            deletes: false,
        },
        Case {
            kind: "opportunity",
            path: "/sales/opportunities",
            body: json!({"name": "Cb opportunity", "primarySalesRep": {"identifier": "jdoe"}, "company": {"id": 2}, "contact": {"id": 1}, "status": {"id": 1}}),
            patch: ("name", json!("Cb opportunity 2")),
            levels: &[("statusid", "status"), ("company", "company")],
            deletes: true,
        },
        Case {
            kind: "project",
            path: "/project/projects",
            body: json!({"name": "Cb project", "board": {"id": 3}, "company": {"id": 2}, "billingMethod": "ActualRates",
                "estimatedStart": "2024-03-01T00:00:00Z", "estimatedEnd": "2024-06-30T00:00:00Z", "status": {"id": 1}}),
            patch: ("name", json!("Cb project 2")),
            levels: &[("status", "status"), ("board", "board")],
            deletes: true,
        },
        Case {
            kind: "schedule",
            path: "/schedule/entries",
            body: json!({"objectId": 1, "member": {"identifier": "jdoe"}, "type": {"id": 1}, "status": {"id": 1}, "where": {"id": 1},
                "dateStart": "2024-05-01T14:00:00Z", "dateEnd": "2024-05-01T15:00:00Z"}),
            patch: ("name", json!("Cb schedule 2")),
            levels: &[("status", "status"), ("type", "type"), ("location", "where"), ("member", "member")],
            deletes: true,
        },
        Case {
            kind: "time",
            path: "/time/entries",
            body: json!({"chargeToType": "ServiceTicket", "chargeToId": 1, "member": {"identifier": "jdoe"}, "company": {"id": 2},
                "timeStart": "2024-05-01T14:00:00Z", "timeEnd": "2024-05-01T15:00:00Z", "notes": "cb"}),
            patch: ("notes", json!("cb 2")),
            levels: &[("company", "company")],
            deletes: true,
        },
    ]
}

fn id_of(kind: &str, field: &str, v: &Value) -> i64 {
    v.as_i64()
        .or_else(|| v["id"].as_i64())
        .unwrap_or_else(|| panic!("{kind}: the made record names no {field} to subscribe to: {v}"))
}

/// Entry tags that got a delivery with `action`.
fn reached(rx: &Receiver, action: &str) -> BTreeSet<String> {
    rx.got()
        .into_iter()
        .filter(|g| g.json()["Action"] == action)
        .map(|g| g.uri.split("entry=").nth(1).and_then(|s| s.split('&').next()).unwrap_or_default().to_owned())
        .collect()
}

/// Makes the case's record with entries on every level (one matching, one not), changes it
/// and deletes it; which entries heard each.
async fn run(app: &TestApp, case: &Case) -> Vec<String> {
    let mut failures = Vec::new();
    let rx = Receiver::start().await;
    let made = app.call(&app.admin, Method::POST, case.path, Some(case.body.clone())).await.expect(201).body;
    let id = made["id"].as_i64().expect("an id");
    register(app, &rx, "owner", case.kind, "owner", 1).await;
    register(app, &rx, "own", case.kind, case.kind, id).await;
    register(app, &rx, "own-other", case.kind, case.kind, id + 1000).await;
    let other = if case.kind == "ticket" { "company" } else { "ticket" };
    register(app, &rx, "other-type", other, "owner", 1).await;
    let mut expected = BTreeSet::from(["owner".to_owned(), "own".to_owned()]);
    for (level, field) in case.levels {
        let target = id_of(case.kind, field, &made[*field]);
        register(app, &rx, level, case.kind, level, target).await;
        register(app, &rx, &format!("{level}-other"), case.kind, level, target + 1000).await;
        expected.insert((*level).to_owned());
    }
    let path = format!("{}/{id}", case.path);
    let patch = json!([{"op": "replace", "path": case.patch.0, "value": case.patch.1}]);
    app.call(&app.admin, Method::PATCH, &path, Some(patch)).await.expect(200);
    settle(app).await;
    let got = reached(&rx, "updated");
    if got != expected {
        failures.push(format!("{}: updated reached {got:?}, expected {expected:?}", case.kind));
    }
    let deleted = app.call(&app.admin, Method::DELETE, &path, None).await;
    if !case.deletes {
        assert_eq!(deleted.status, 405, "{}: {}", case.kind, deleted.body);
    } else if deleted.status != 204 {
        failures.push(format!("{}: DELETE answered {} {}", case.kind, deleted.status, deleted.body));
        return failures;
    }
    settle(app).await;
    let got = reached(&rx, "deleted");
    let expected = if case.deletes { expected } else { BTreeSet::new() };
    if got != expected {
        failures.push(format!("{}: deleted reached {got:?}, expected {expected:?}", case.kind));
    }
    for g in rx.got() {
        if !g.uri.ends_with(&format!("&id={id}")) || g.json()["Type"] != case.kind {
            failures.push(format!(
                "{}: a delivery of another record or type: {} {}",
                case.kind,
                g.uri,
                g.json()["Type"]
            ));
        }
    }
    failures
}

#[tokio::test]
async fn every_remaining_type_reaches_exactly_its_owner_own_and_level_entries() {
    let app = mock_with(fast()).await;
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        failures.extend(run(&app, case).await);
    }
    assert!(failures.is_empty(), "{} failures over {} types:\n{}", failures.len(), all.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_project_ticket_is_a_ticket_its_project_and_phase_levels_reach_it() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    let project = app.get("/project/projects").await.expect(200).body[0]["id"].as_i64().expect("a fixture project");
    let phase = json!({"description": "Cb phase"});
    let phases = format!("/project/projects/{project}/phases");
    let phase =
        app.call(&app.admin, Method::POST, &phases, Some(phase)).await.expect(201).body["id"].as_i64().expect("an id");
    for (tag, level, target) in [
        ("project", "project", project),
        ("project-other", "project", project + 1000),
        ("phase", "phase", phase),
        ("phase-other", "phase", phase + 1000),
        ("owner", "owner", 1),
    ] {
        register(&app, &rx, tag, "ticket", level, target).await;
    }
    register(&app, &rx, "project-type", "project", "project", project + 1000).await;
    let body = json!({"summary": "Cb project ticket", "project": {"id": project}, "phase": {"id": phase}});
    let made = app.call(&app.admin, Method::POST, "/project/tickets", Some(body)).await.expect(201).body;
    let path = format!("/project/tickets/{}", made["id"]);
    let patch = json!([{"op": "replace", "path": "summary", "value": "Cb project ticket 2"}]);
    app.call(&app.admin, Method::PATCH, &path, Some(patch)).await.expect(200);
    settle(&app).await;
    let want: BTreeSet<String> = ["owner", "project", "phase"].map(str::to_owned).into();
    assert_eq!(reached(&rx, "added"), want, "{made}");
    assert_eq!(reached(&rx, "updated"), want, "{made}");
    for g in rx.got() {
        assert_eq!((&g.json()["ID"], &g.json()["Type"]), (&made["id"], &json!("ticket")), "{}", g.uri);
    }
}
