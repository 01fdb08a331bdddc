//! The query language on lists and counts: conditions, orderBy, fields, paging and Link
//! headers, forward-only paging.

mod common;

use mock_connectwise::{FixtureSet, TestApp, TestOptions};
use serde_json::Value;

fn ids(v: &Value) -> Vec<u64> {
    v.as_array().expect("a list").iter().filter_map(|r| r["id"].as_u64()).collect()
}

fn identifiers(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().filter_map(|r| r["identifier"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn conditions_cover_the_whole_grammar() {
    let app = TestApp::spawn().await;
    let q = |c: &str| format!("/company/companies?conditions={}&orderBy=identifier", urlencode(c));
    let cases: [(&str, &[&str]); 9] = [
        ("identifier = \"AcmeCorp\"", &["AcmeCorp"]),
        ("identifier != \"AcmeCorp\" and identifier like \"G%\"", &["Globex"]),
        ("identifier in (\"Globex\", \"Initech\")", &["Globex", "Initech"]),
        (
            "identifier not in (\"Globex\", \"Initech\", \"MockMSP\")",
            &["AcmeCorp", "Cyberdyne", "StarkInd", "Umbrella", "WayneEnt"],
        ),
        ("name contains \"corp\"", &["AcmeCorp"]),
        (
            "not (identifier like \"%o%\") or identifier = 'Initech'",
            &["Cyberdyne", "Initech", "StarkInd", "Umbrella", "WayneEnt"],
        ),
        (
            "status/name = \"Active\" and deletedFlag = false",
            &["AcmeCorp", "Globex", "MockMSP", "StarkInd", "Umbrella", "WayneEnt"],
        ),
        (
            "_info/dateEntered > [2000-01-01T00:00:00Z]",
            &["AcmeCorp", "Cyberdyne", "Globex", "Initech", "MockMSP", "StarkInd", "Umbrella", "WayneEnt"],
        ),
        ("faxNumber = null and identifier < \"B\"", &["AcmeCorp"]),
    ];
    for (cond, want) in cases {
        let got = app.get(&q(cond)).await.expect(200);
        assert_eq!(identifiers(&got.body), want, "{cond}");
        let count = app.get(&format!("/company/companies/count?conditions={}", urlencode(cond))).await.expect(200);
        assert_eq!(count.body["count"], want.len(), "count of {cond}");
    }
}

#[tokio::test]
async fn a_malformed_condition_is_400_naming_the_parameter_and_position() {
    let app = TestApp::spawn().await;
    for bad in ["identifier = ", "identifier === 1", "(a = 1", "nosuchfield = 1", "identifier like 5"] {
        let res = app.get(&format!("/company/companies?conditions={}", urlencode(bad))).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.body);
        assert_eq!(res.body["code"], "InvalidObject");
        assert!(res.message().contains("conditions"), "{bad}: {}", res.message());
    }
}

#[tokio::test]
async fn order_by_sorts_ascending_and_descending_and_fields_picks_properties() {
    let app = TestApp::spawn().await;
    let desc = app.get("/company/companies?orderBy=identifier%20desc").await.expect(200);
    let picked = app.get("/company/companies?fields=id,identifier,status/name&orderBy=id").await.expect(200);

    assert_eq!(
        identifiers(&desc.body),
        ["WayneEnt", "Umbrella", "StarkInd", "MockMSP", "Initech", "Globex", "Cyberdyne", "AcmeCorp"]
    );
    let first = picked.body[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "identifier", "status"]);
    assert!(first["status"]["name"].is_string());
    assert_eq!(app.get("/company/companies?orderBy=nosuch").await.status, 400);
}

#[tokio::test]
async fn pages_default_to_25_clamp_at_1000_and_link_to_next_prev_first_last() {
    let app = TestApp::spawn_with(TestOptions {
        fixtures: FixtureSet::builtin().with_bulk_members(1200, 5),
        ..TestOptions::default()
    })
    .await;

    let first = app.get("/system/members").await.expect(200);
    let big = app.get("/system/members?pageSize=5000").await.expect(200);
    let second = app.get("/system/members?pageSize=10&page=2&orderBy=id").await.expect(200);
    let beyond = app.get("/system/members?pageSize=10&page=1000").await.expect(200);

    assert_eq!(first.body.as_array().unwrap().len(), 25);
    assert_eq!(big.body.as_array().unwrap().len(), 1000);
    let link = second.header("link").unwrap();
    for rel in ["prev", "next", "first", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    assert_eq!(ids(&second.body).len(), 10);
    assert!(beyond.body.as_array().unwrap().is_empty());
    assert!(app.get("/system/members?page=0").await.status == 400);
    assert!(app.get("/system/members?pageSize=abc").await.status == 400);
}

#[tokio::test]
async fn forward_only_paging_walks_every_record_once_by_page_id() {
    let app = TestApp::spawn_with(TestOptions {
        fixtures: FixtureSet::builtin().with_bulk_members(95, 5),
        ..TestOptions::default()
    })
    .await;
    let total = app.get("/system/members/count").await.body["count"].as_u64().unwrap();
    let mut url = format!("{}/system/members?pageSize=20", app.api);
    let mut seen = Vec::new();
    for _ in 0..20 {
        let res = app
            .send(common::with_url(
                app.request(&app.admin, reqwest::Method::GET, "").header("pagination-type", "forward-only"),
                &url,
            ))
            .await
            .expect(200);
        seen.extend(ids(&res.body));
        match res.header("link").and_then(next) {
            Some(n) => url = n,
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no record twice");
    assert_eq!(seen.len() as u64, total, "every record once");
}

fn next(link: &str) -> Option<String> {
    link.split(',')
        .find(|p| p.contains("rel=\"next\""))
        .and_then(|p| p.split(';').next())
        .map(|url| url.trim().trim_matches(['<', '>']).to_owned())
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn an_unknown_name_in_fields_is_ignored_and_the_known_ones_are_rendered() {
    let app = TestApp::spawn().await;
    let res = app.get("/service/tickets?fields=id,assignedTo,summary,board/nope&pageSize=2").await.expect(200);
    let first = &res.body[0];
    let mut keys: Vec<&str> = first.as_object().expect("a record").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "summary"], "{first}");
}
