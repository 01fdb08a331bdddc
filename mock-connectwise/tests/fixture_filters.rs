//! The built-in fixtures exercise every kind of filter: `conditions` on nested references
//! (`company/id`, `board/name`, `status/name`, `type/name`), `childConditions` on arrays
//! (company types, contact communication items) and `customFieldConditions` on custom
//! fields. Each case must return exactly the records that match, and leave others out.

use mock_connectwise::TestApp;
use serde_json::Value;

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// One filter: the collection, the parameter, its text, the field naming each record, and
/// the names that must come back (in id order).
struct Case {
    path: &'static str,
    param: &'static str,
    text: &'static str,
    label: &'static str,
    want: &'static [&'static str],
}

const fn case(
    path: &'static str,
    param: &'static str,
    text: &'static str,
    label: &'static str,
    want: &'static [&'static str],
) -> Case {
    Case { path, param, text, label, want }
}

const CASES: &[Case] = &[
    // Custom fields: both tests hold for the same element of `customFields`.
    case(
        "/company/companies",
        "customFieldConditions",
        "caption = 'Contract Tier' and value = 'Gold'",
        "identifier",
        &["StarkInd", "Cyberdyne"],
    ),
    case(
        "/company/companies",
        "customFieldConditions",
        "caption = 'Seats' and value > 100",
        "identifier",
        &["StarkInd", "WayneEnt"],
    ),
    case(
        "/service/tickets",
        "customFieldConditions",
        "caption = 'Root Cause' and value contains 'advisory'",
        "summary",
        &["Firewall firmware update"],
    ),
    // Arrays: any element matches.
    case("/company/companies", "childConditions", "types/name = 'Vendor'", "identifier", &["StarkInd", "Cyberdyne"]),
    case(
        "/company/contacts",
        "childConditions",
        "communicationItems/value like '%@stark.example'",
        "firstName",
        &["Tony", "Pepper"],
    ),
    case(
        "/company/contacts",
        "childConditions",
        "communicationItems/communicationType = 'Phone'",
        "firstName",
        &["Tony", "Lucius"],
    ),
    // Nested references.
    case("/company/companies", "conditions", "status/name = 'Inactive'", "identifier", &["Initech", "Cyberdyne"]),
    case(
        "/company/contacts",
        "conditions",
        "company/identifier = 'StarkInd' and inactiveFlag = false",
        "firstName",
        &["Tony", "Pepper"],
    ),
    case(
        "/company/configurations",
        "conditions",
        "company/id = 2",
        "name",
        &["ACME-LT-042", "ACME-FW-01", "ACME-LT-007"],
    ),
    case("/company/configurations", "conditions", "type/name = 'Server'", "name", &["GLX-SRV-01", "STARK-SRV-01"]),
    case("/company/configurations", "conditions", "status/name = 'Retired'", "name", &["ACME-LT-007"]),
    case(
        "/company/configurations",
        "conditions",
        "site/name = 'Malibu Lab' and contact/name = 'Tony Stark'",
        "name",
        &["STARK-SRV-01"],
    ),
    case(
        "/service/tickets",
        "conditions",
        "board/name = 'Alerts' and closedFlag = true",
        "summary",
        &["Suspicious login blocked"],
    ),
    case("/service/tickets", "conditions", "status/name = 'Closed'", "summary", &["Replace toner in finance printer"]),
    case(
        "/service/tickets",
        "conditions",
        "type/name = 'Incident' and subType/name = 'Hardware'",
        "summary",
        &["VPN down at Malibu Lab"],
    ),
    case(
        "/service/tickets",
        "conditions",
        "item/name in ('Printer', 'Firewall')",
        "summary",
        &["Replace toner in finance printer", "Firewall firmware update"],
    ),
    case(
        "/service/tickets",
        "conditions",
        "company/identifier = 'StarkInd' and board/name = 'Help Desk'",
        "summary",
        &["VPN down at Malibu Lab"],
    ),
    case(
        "/service/tickets",
        "conditions",
        "priority/name like 'Priority 4%'",
        "summary",
        &["Replace toner in finance printer"],
    ),
    case(
        "/service/priorities",
        "conditions",
        "sortOrder >= 3",
        "name",
        &["Priority 3 - Normal Response", "Priority 4 - Scheduled"],
    ),
    case("/service/boards/1/types", "conditions", "category = 'Proactive'", "name", &["Service Request"]),
    case("/service/boards/1/items", "conditions", "inactiveFlag = false", "name", &["Printer", "Laptop"]),
    case("/company/companies/6/sites", "conditions", "name != 'Main'", "name", &["Malibu Lab", "Manhattan Tower"]),
    case("/finance/agreements", "conditions", "company/identifier = 'StarkInd'", "name", &["Stark Managed Security"]),
    case("/finance/agreements/4/additions", "conditions", "product/identifier = 'FW-XG125'", "quantity", &["2.0"]),
    case(
        "/procurement/products",
        "conditions",
        "ticket/id = 4",
        "description",
        &["Endpoint protection for the VPN gateway", "Endpoint detection for the lab"],
    ),
    case(
        "/service/tickets/4/notes",
        "conditions",
        "internalAnalysisFlag = true",
        "text",
        &["Called the ISP; their ticket is 4411."],
    ),
];

fn label(record: &Value, field: &str) -> String {
    match &record[field] {
        Value::String(s) => s.clone(),
        Value::Number(n) => format!("{:?}", n.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn every_kind_of_filter_returns_the_fixture_records_that_match_and_no_others() {
    let app = TestApp::spawn().await;
    for c in CASES {
        let query = format!("{}={}", c.param, enc(c.text));
        let got = app.get(&format!("{}?{query}&orderBy=id&pageSize=1000", c.path)).await.expect(200);
        let names: Vec<String> = got.body.as_array().expect("a list").iter().map(|r| label(r, c.label)).collect();
        assert_eq!(names, c.want, "{} {}={}", c.path, c.param, c.text);
        let matched = app.get(&format!("{}/count?{query}", c.path)).await.expect(200);
        assert_eq!(matched.body["count"], c.want.len(), "count of {} {}", c.path, c.text);
        // The filter leaves records out: the collection holds more than the matches.
        let all = app.get(&format!("{}/count", c.path)).await.expect(200);
        let all = all.body["count"].as_u64().expect("a count");
        assert!(all > c.want.len() as u64, "{} {}: nothing excluded ({all} records)", c.path, c.text);
    }
}

#[tokio::test]
async fn a_custom_field_condition_holds_for_one_custom_field_not_across_two() {
    let app = TestApp::spawn().await;
    // WayneEnt has Contract Tier 'Silver' and Seats 120: 'Silver' on the Seats field is no match.
    let q = enc("caption = 'Seats' and value = 'Silver'");
    let got = app.get(&format!("/company/companies?customFieldConditions={q}")).await.expect(200);
    assert_eq!(got.body, Value::Array(Vec::new()));
    let q = enc("caption = 'Contract Tier' and value = 'Silver'");
    let got = app.get(&format!("/company/companies?customFieldConditions={q}&fields=identifier")).await.expect(200);
    assert_eq!(got.body[0]["identifier"], "WayneEnt");
}

#[tokio::test]
async fn custom_field_conditions_combine_with_conditions() {
    let app = TestApp::spawn().await;
    let custom = enc("caption = 'Contract Tier' and value = 'Gold'");
    let cond = enc("status/name = 'Active'");
    let got = app
        .get(&format!("/company/companies?customFieldConditions={custom}&conditions={cond}&fields=identifier"))
        .await
        .expect(200);
    let ids: Vec<&str> = got.body.as_array().expect("a list").iter().filter_map(|r| r["identifier"].as_str()).collect();
    assert_eq!(ids, ["StarkInd"], "Cyberdyne is Gold but Inactive");
}

#[tokio::test]
async fn fixture_tickets_take_their_closed_flag_from_their_board_status() {
    let app = TestApp::spawn().await;
    let closed =
        app.get(&format!("/service/tickets?conditions={}&fields=summary,status", enc("closedFlag = true"))).await;
    let closed = closed.expect(200);
    let statuses: Vec<&str> =
        closed.body.as_array().expect("a list").iter().filter_map(|r| r["status"]["name"].as_str()).collect();
    assert_eq!(statuses, ["Closed", ">Closed"]);
}

#[tokio::test]
async fn a_configuration_status_reference_is_named_by_the_status_description() {
    let app = TestApp::spawn().await;
    let config = app.get("/company/configurations/3").await.expect(200);
    assert_eq!(config.body["status"]["id"], 2);
    assert_eq!(config.body["status"]["name"], "Retired");
}
