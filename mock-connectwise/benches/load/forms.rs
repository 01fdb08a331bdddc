//! Issue 29: the same million records asked for every way a client asks.

use super::*;

/// The 1M plain page, and the forms compared with it and with the navigable filtered page.
pub(super) const PLAIN_1M: &str = "GET /system/members?pageSize=25 (of 1M)";
pub(super) const NAVIGABLE_1M: &str = "GET members, filtered + ordered, navigable (1M)";
/// `lastName like "S%" and inactiveFlag = false` (about 94,000 of 1,000,000 members match).
pub(super) const FILTER_1M: &str = "lastName like \"S%\" and inactiveFlag = false";

/// Issue 29: the same records asked for every way a client asks, at a million members and a
/// million tickets: a navigable page (whose `Link: rel="last"` needs the total), the count,
/// forward-only pages from random cursors, `childConditions`, `customFieldConditions`, and
/// tickets as sync applications ask (`closedFlag`, `status/id in (...)`, `lastUpdated`).
pub(super) async fn same_records_asked_every_way(big: &TestApp) -> Vec<(String, MakeRequest)> {
    let (api, admin) = (big.api.clone(), big.admin.clone());
    let get = |path: String| -> MakeRequest {
        let f = authed(&api, &admin, Method::GET, &path);
        Arc::new(move |c: &reqwest::Client, _| f(c))
    };
    // Forward-only pages from cursors spread over the table: each request one page, as a
    // sync application resuming where it stopped asks.
    let forward = |path: String, last: u32| -> MakeRequest {
        let urls: Vec<_> = (0..64u32)
            .map(|i| authed(&api, &admin, Method::GET, &format!("{path}&pageId={}", i * (last / 64))))
            .collect();
        Arc::new(move |c: &reqwest::Client, n| {
            urls[n as usize % urls.len()](c).header("pagination-type", "forward-only")
        })
    };
    // Custom fields on 2,000 members (every 500th), as an integration tags the ones it syncs.
    for id in (10..1_000_000u32).step_by(500) {
        let patch = json!([{ "op": "add", "path": "customFields", "value": [{ "id": 7, "caption": "Tier", "type": "Text", "entryMethod": "EntryField", "numberOfDecimals": 0, "value": if id % 1000 == 10 { "Gold" } else { "Silver" } }] }]);
        big.call(&admin, Method::PATCH, &format!("/system/members/{id}"), Some(patch)).await.expect(200);
    }
    // The ticket statuses of the generated tickets: the first two open ones seen.
    let tickets = big.get("/service/tickets?pageSize=200&fields=status,closedFlag").await.expect(200);
    let mut open: Vec<i64> = Vec::new();
    for t in tickets.body.as_array().into_iter().flatten() {
        if let (Some(id), Some(false)) = (t["status"]["id"].as_i64(), t["closedFlag"].as_bool()) {
            if !open.contains(&id) && open.len() < 2 {
                open.push(id);
            }
        }
    }
    let statuses = open.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sync = format!("closedFlag = false and status/id in ({statuses})");
    let company = big.get("/company/companies?pageSize=1&orderBy=id%20desc&fields=types").await.expect(200);
    let type_id = company.body[0]["types"][0]["id"].as_i64().unwrap_or(1);
    let members = encode(FILTER_1M);
    let since = encode("lastUpdated > [2000-01-01T00:00:00Z]");
    vec![
        (PLAIN_1M.into(), get("/system/members?pageSize=25".into())),
        (
            NAVIGABLE_1M.into(),
            get(format!("/system/members?conditions={members}&orderBy=lastName%20desc,firstName&pageSize=25")),
        ),
        ("GET /system/members/count, filtered (1M)".into(), get(format!("/system/members/count?conditions={members}"))),
        (
            "GET members, filtered, forward-only (1M)".into(),
            forward(format!("/system/members?conditions={members}&pageSize=25"), 1_000_000),
        ),
        (
            "GET members, filtered, navigable in id order (1M)".into(),
            get(format!("/system/members?conditions={members}&pageSize=25&page=3")),
        ),
        (
            "GET members, customFieldConditions (1M)".into(),
            get(format!("/system/members?customFieldConditions={}&pageSize=25", encode("id = 7 and value = \"Gold\""))),
        ),
        (
            "GET companies, childConditions types/id (10k companies of the 1M run)".into(),
            get(format!("/company/companies?childConditions={}&pageSize=25", encode(&format!("types/id = {type_id}")))),
        ),
        (
            "GET tickets, closedFlag + status/id in (1M tickets)".into(),
            get(format!("/service/tickets?conditions={}&pageSize=25", encode(&sync))),
        ),
        (
            "GET /service/tickets/count, closedFlag + status/id in (1M tickets)".into(),
            get(format!("/service/tickets/count?conditions={}", encode(&sync))),
        ),
        (
            "GET tickets, closedFlag + status/id in, forward-only (1M tickets)".into(),
            forward(format!("/service/tickets?conditions={}&pageSize=25", encode(&sync)), 1_000_000),
        ),
        (
            "GET tickets, lastUpdated since, forward-only (1M tickets)".into(),
            forward(format!("/service/tickets?conditions={since}&pageSize=25"), 1_000_000),
        ),
    ]
}

/// Each million-record form's req/s against the plain 1M page (target ≥ 10%), and the count
/// and forward-only page against the navigable one (target ≥ 50%); `None` without the plain
/// page in this run.
pub(super) fn against_the_plain_page(rows: &[[String; 7]]) -> Option<Table> {
    let rps = |name: &str| rows.iter().find(|r| r[0] == name).and_then(|r| r[1].parse::<f64>().ok());
    let plain = rps(PLAIN_1M)?;
    let navigable = rps(NAVIGABLE_1M);
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["same records, every way (1M)", "req/s", "of the plain page", "of the navigable page"]);
    for row in rows.iter().filter(|r| r[0].contains("1M")) {
        let Ok(mine) = row[1].parse::<f64>() else { continue };
        let of_navigable = match navigable {
            Some(n) if row[0].contains("members/count") || row[0].contains("members, filtered, forward") => {
                format!("{:.0}% (≥ 50%)", 100.0 * mine / n)
            }
            _ => String::new(),
        };
        table.add_row([row[0].clone(), row[1].clone(), format!("{:.0}% (≥ 10%)", 100.0 * mine / plain), of_navigable]);
    }
    Some(table)
}
