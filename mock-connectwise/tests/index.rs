//! Indexed queries over HTTP answer exactly what the scan answers, through creates, replaces,
//! patches, deletes and a reset, for callers at level `All` and `My`, with ordering and
//! paging. The scan is forced by `or`ing an opaque term that matches nothing (`id < 0`), which
//! the planner cannot answer from an index.

use mock_connectwise::permissions::{Action, Function, PermissionLevel, RoleLevels};
use mock_connectwise::{Creds, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array().expect("a list").iter().filter_map(|r| r["id"].as_u64()).collect()
}

const LASTS: [&str; 5] = ["Smith", "SMYTHE", "smithers", "Öztürk", "öz"];

fn member(n: usize) -> Value {
    let first = ["Ann", "ANN", "Bob"][n % 3];
    json!({
        "identifier": format!("Ix{n}"), "firstName": first, "lastName": LASTS[n % 5],
        "licenseClass": "F", "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office",
        "defaultPhone": "Office", "securityRole": { "id": 1 + (n % 2) }
    })
}

/// Every query, as planned and as scanned, must agree (page ids, Link header, count).
async fn agree(app: &TestApp, who: &Creds, base: &str, order: &str, conds: &[&str]) {
    for cond in conds {
        let ordered = format!("&orderBy={}&pageSize=3&page=2", urlencode(order));
        for extra in ["", ordered.as_str(), "&pageSize=4&page=1"] {
            let planned = format!("{base}?conditions={}{extra}", urlencode(cond));
            let scanned = format!("{base}?conditions={}{extra}", urlencode(&format!("({cond}) or id < 0")));
            let a = app.call(who, Method::GET, &planned, None).await.expect(200);
            let b = app.call(who, Method::GET, &scanned, None).await.expect(200);
            assert_eq!(ids(&a.body), ids(&b.body), "{cond} {extra}");
            let links = |h: Option<&str>| h.unwrap_or("").matches("rel=").count();
            assert_eq!(links(a.header("link")), links(b.header("link")), "{cond} {extra}");
        }
        let count = |c: String| format!("{base}/count?conditions={}", urlencode(&c));
        let a = app.call(who, Method::GET, &count(cond.to_string()), None).await.expect(200);
        let b = app.call(who, Method::GET, &count(format!("({cond}) or id < 0")), None).await.expect(200);
        assert_eq!(a.body["count"], b.body["count"], "count of {cond}");
    }
}

const MEMBER_QUERIES: [&str; 8] = [
    "identifier = 'ix7'",
    "identifier in ('IX3', 'ix4', 'nobody')",
    "lastName = 'smith'",
    "lastName like 'SM%' and firstName = 'ann'",
    "lastName like 'öz%'",
    "securityRole/id = 2 and lastName like 'smi%'",
    "firstName = 'bob' or identifier = 'Ix2'",
    "id in (2, 5, 9) and lastName like 's%'",
];

#[tokio::test]
async fn indexed_member_queries_answer_what_the_scan_answers_through_every_kind_of_write() {
    let app = TestApp::spawn().await;
    let mut levels = RoleLevels::none();
    levels.set(Function::MemberMaintenance, Action::Add, PermissionLevel::All);
    levels.set(Function::MemberMaintenance, Action::Inquire, PermissionLevel::My);
    let mine = app.member_with_levels("IxOwner", &levels).await;
    let mut created = Vec::new();
    for n in 0..30 {
        let who = if n % 3 == 0 { &mine } else { &app.admin };
        let made = app.call(who, Method::POST, "/system/members", Some(member(n))).await.expect(201);
        created.push(made.body["id"].as_u64().unwrap());
    }
    for who in [&app.admin, &mine] {
        agree(&app, who, "/system/members", "lastName desc, firstName", &MEMBER_QUERIES).await;
    }

    // Writes after the indexes were built: a rename by PATCH, a replace by PUT.
    let rename = json!([{ "op": "replace", "path": "lastName", "value": "Smithson" },
                        { "op": "replace", "path": "identifier", "value": "IX7b" }]);
    app.call(&app.admin, Method::PATCH, &format!("/system/members/{}", created[7]), Some(rename)).await.expect(200);
    let mut replaced = member(3);
    replaced["firstName"] = json!("Bob");
    replaced["identifier"] = json!("ix77");
    app.call(&app.admin, Method::PUT, &format!("/system/members/{}", created[4]), Some(replaced)).await.expect(200);
    let found = app.get(&format!("/system/members?conditions={}", urlencode("identifier = 'ix7b'"))).await.expect(200);
    assert_eq!(ids(&found.body), [created[7]]);
    for who in [&app.admin, &mine] {
        agree(&app, who, "/system/members", "lastName desc, firstName", &MEMBER_QUERIES).await;
    }

    app.console(Method::POST, "/reset", Some(json!({}))).await;
    let gone = app.get(&format!("/system/members?conditions={}", urlencode("identifier = 'ix7b'"))).await.expect(200);
    assert_eq!(ids(&gone.body), Vec::<u64>::new());
    agree(&app, &app.admin, "/system/members", "lastName desc, firstName", &MEMBER_QUERIES).await;
}

#[tokio::test]
async fn ticket_lookups_by_company_board_and_status_answer_what_the_scan_answers() {
    let app = TestApp::spawn().await;
    let companies = ids(&app.get("/company/companies?fields=id").await.expect(200).body);
    let mut made = Vec::new();
    for (n, company) in companies.iter().cycle().take(2 * companies.len() + 2).enumerate() {
        let body = json!({ "summary": format!("Ticket {n}"), "company": { "id": company } });
        made.push(
            app.call(&app.admin, Method::POST, "/service/tickets", Some(body)).await.expect(201).body["id"].clone(),
        );
    }
    let first = companies[0];
    let conds = [
        format!("company/id = {first}"),
        format!("company/id in ({first}, {}) and summary like 'ticket 1%'", companies[companies.len() - 1]),
        "board/id = 1".to_owned(),
        "status/id = 1 or company/id = 2".to_owned(),
        "company/identifier = 'AcmeCorp'".to_owned(),
    ];
    let conds: Vec<&str> = conds.iter().map(String::as_str).collect();
    agree(&app, &app.admin, "/service/tickets", "summary desc", &conds).await;
    // A delete and a move to another company after the indexes were built.
    app.call(&app.admin, Method::DELETE, &format!("/service/tickets/{}", made[0]), None).await.expect(204);
    let moved = json!([{ "op": "replace", "path": "company", "value": { "id": companies[1] } }]);
    app.call(&app.admin, Method::PATCH, &format!("/service/tickets/{}", made[2]), Some(moved)).await.expect(200);
    agree(&app, &app.admin, "/service/tickets", "summary desc", &conds).await;
    let acme = app.get(&format!("/service/tickets?conditions={}&pageSize=1000", urlencode(conds[0]))).await.expect(200);
    assert!(ids(&acme.body).len() >= 2, "the company's tickets are found: {}", acme.body);
}
