//! Issue 16: the role catalogue in effective rights, Customize lists, `My` as owned / assigned /
//! entered, the member's level and excluded service boards.

use cucumber::{given, then, when};
use cw_model::{Action, Function, RoleLevels};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Func, Level};
use crate::CwWorld;

impl CwWorld {
    /// Calls `apis/3.0` as a member made in this scenario.
    async fn member_call(&mut self, member: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let creds = self.creds_of(member);
        let app = self.mock().await;
        let res = app.call(&creds, method, path, body).await;
        (res.status, res.body)
    }

    /// The id of the first record of an admin query (`/service/boards?conditions=...`).
    async fn first_id(&mut self, path: &str) -> u64 {
        let (status, body) = self.admin_call(Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body[0]["id"].as_u64().unwrap_or_else(|| panic!("{path} found nothing"))
    }

    /// Patches fields of an API member as the administrator.
    async fn patch_api_member(&mut self, identifier: &str, fields: Value) {
        let id = self.first_id(&format!("/system/apiMembers?conditions=identifier=\"{identifier}\"")).await;
        let ops: Vec<Value> = fields
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| json!({ "op": "replace", "path": k, "value": v }))
            .collect();
        let (status, body) =
            self.admin_call(Method::PATCH, &format!("/system/apiMembers/{id}"), Some(Value::Array(ops))).await;
        assert_eq!(status, 200, "{body}");
    }

    /// The ids a member lists at a path.
    async fn listed_ids(&mut self, member: &str, path: &str) -> Vec<u64> {
        let (status, body) = self.member_call(member, Method::GET, path, None).await;
        assert_eq!(status, 200, "{member} listing {path}: {body}");
        body.as_array().into_iter().flatten().filter_map(|r| r["id"].as_u64()).collect()
    }
}

fn ok(status: u16) -> bool {
    (200..300).contains(&status)
}

#[then("its effective rights list every published row of the catalogue with its module")]
async fn catalogue_rows(w: &mut CwWorld) {
    let client = w.identity_client().await;
    let rows: Vec<Value> = client.get_all("/system/mySecurity").await.expect("mySecurity answers");
    let same = |v: &Value, s: &str| v.as_str().is_some_and(|v| v.trim().eq_ignore_ascii_case(s));
    for f in Function::ALL.iter().filter(|f| f.info().documented) {
        let info = f.info();
        assert!(
            rows.iter().any(|r| same(&r["moduleFunctionName"], info.function) && same(&r["moduleName"], info.module)),
            "{f}: no such row in /system/mySecurity"
        );
    }
}

#[given(expr = "an API member {string} whose role has {function} at {level}")]
async fn member_at(w: &mut CwWorld, member: String, f: Func, l: Level) {
    let mut levels = RoleLevels::none();
    for a in Action::ALL {
        levels.set(f.0, a, l.0);
    }
    let creds = w.mock().await.member_with_levels(&member, &levels).await;
    w.creds.push((member.clone(), creds));
    w.role = Some(format!("{member} role"));
}

#[given("soft mode is on")]
async fn soft_mode(w: &mut CwWorld) {
    let (status, body) = w.console_call(Method::PUT, "/soft-mode", Some(json!({ "softMode": true }))).await;
    assert_eq!(status, 200, "{body}");
}

#[when(expr = "the role of {string} limits {function} to {string}")]
async fn limit(w: &mut CwWorld, member: String, f: Func, item: String) {
    let role = w.first_id(&format!("/system/securityroles?conditions=name=\"{member} role\"")).await;
    let company = w.company().await;
    let doc = json!({ f.0.label(): { "customize": [item] } });
    let (status, body) =
        w.console_call(Method::PUT, &format!("/companies/{company}/roles/{role}/levels"), Some(doc)).await;
    assert_eq!(status, 200, "{body}");
}

#[then(expr = "the role of {string} reports customFlag true on {function}")]
async fn custom_flag(w: &mut CwWorld, member: String, f: Func) {
    let role = w.first_id(&format!("/system/securityroles?conditions=name=\"{member} role\"")).await;
    let id = f.0.info().function_identifier;
    let path = format!("/system/securityRoles/{role}/settings?conditions=moduleFunctionIdentifier=\"{id}\"");
    let (status, body) = w.admin_call(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["customFlag"], true, "{body}");
}

#[when(expr = "{string} reads {string}")]
async fn reads(w: &mut CwWorld, member: String, path: String) {
    can_read(w, member, path).await;
}

#[then(expr = "{string} can read {string}")]
async fn can_read(w: &mut CwWorld, member: String, path: String) {
    let (status, body) = w.member_call(&member, Method::GET, &path, None).await;
    assert!(ok(status), "{member} reading {path}: {status} {body}");
}

#[then(expr = "{string} reading {string} is refused with 403 naming {string}")]
async fn refused(w: &mut CwWorld, member: String, path: String, named: String) {
    let (status, body) = w.member_call(&member, Method::GET, &path, None).await;
    assert_eq!(status, 403, "{member} reading {path}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(&named), "the 403 does not name {named:?}: {message}");
}

#[then(expr = "the permission journal derives for {string} the Customize list {string} on {function}")]
async fn derived(w: &mut CwWorld, member: String, item: String, f: Func) {
    let (status, journal) = w.console_call(Method::GET, "/permission-journal", None).await;
    assert_eq!(status, 200, "{journal}");
    let rows = journal["members"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["member"] == member.as_str())
        .map(|m| m["minimalRole"].clone())
        .unwrap_or_else(|| panic!("{member} is not in the journal: {journal}"));
    let row = rows
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["function"] == f.0.label().as_str())
        .unwrap_or_else(|| panic!("{} was not needed: {rows}", f.0));
    assert_eq!(row["customize"], json!([item]), "{row}");
}

#[when(expr = "{string} creates a ticket")]
async fn creates_ticket(w: &mut CwWorld, member: String) {
    let ticket = json!({ "summary": "My own ticket", "company": { "identifier": "AcmeCorp" } });
    let answer = w.member_call(&member, Method::POST, "/service/tickets", Some(ticket)).await;
    assert_eq!(answer.0, 201, "{member} creating a ticket: {}", answer.1);
    w.last = Some(answer);
}

#[then(expr = "{string} can read that ticket")]
async fn reads_that_ticket(w: &mut CwWorld, member: String) {
    let id = w.last.as_ref().and_then(|(_, b)| b["id"].as_u64()).expect("a ticket made in this scenario");
    can_read(w, member, format!("/service/tickets/{id}")).await;
}

#[then(expr = "{string} lists exactly {int} ticket(s)")]
async fn lists_tickets(w: &mut CwWorld, member: String, n: usize) {
    let listed = w.listed_ids(&member, "/service/tickets?pageSize=1000").await;
    assert_eq!(listed.len(), n, "{member} lists {listed:?}");
    let (_, count) = w.member_call(&member, Method::GET, "/service/tickets/count", None).await;
    assert_eq!(count["count"].as_u64(), u64::try_from(n).ok(), "{count}");
}

#[when(expr = "the administrator creates a ticket owned by {string}")]
async fn ticket_owned_by(w: &mut CwWorld, member: String) {
    let t = json!({ "summary": "owned", "company": { "identifier": "AcmeCorp" }, "owner": { "identifier": member } });
    let (status, body) = w.admin_call(Method::POST, "/service/tickets", Some(t)).await;
    assert_eq!(status, 201, "{body}");
}

#[when(expr = "the administrator creates a ticket with the resources {string}")]
async fn ticket_with_resources(w: &mut CwWorld, resources: String) {
    let t = json!({ "summary": "assigned", "company": { "identifier": "AcmeCorp" }, "resources": resources });
    let (status, body) = w.admin_call(Method::POST, "/service/tickets", Some(t)).await;
    assert_eq!(status, 201, "{body}");
}

#[given(expr = "the API member {string} is at the level {string} of location {int}")]
async fn at_location(w: &mut CwWorld, member: String, level: String, location: u32) {
    let fields = json!({ "structureLevel": { "id": 2, "name": level }, "securityLocation": { "id": location } });
    w.patch_api_member(&member, fields).await;
}

#[when(expr = "the administrator creates the company {string} in territory {int}")]
async fn company_in(w: &mut CwWorld, identifier: String, territory: u32) {
    let c = json!({ "identifier": identifier, "name": identifier, "site": { "name": "Main" }, "territory": { "id": territory } });
    let (status, body) = w.admin_call(Method::POST, "/company/companies", Some(c)).await;
    assert_eq!(status, 201, "{body}");
}

/// Whether a member finds a company by identifier in the list, the count and by id.
async fn company_seen(w: &mut CwWorld, member: &str, identifier: &str) -> (bool, u64, u16) {
    let id = w.first_id(&format!("/company/companies?conditions=identifier=\"{identifier}\"")).await;
    let listed = w.listed_ids(member, "/company/companies?pageSize=1000").await.contains(&id);
    let path = format!("/company/companies/count?conditions=identifier=\"{identifier}\"");
    let (_, count) = w.member_call(member, Method::GET, &path, None).await;
    let (status, _) = w.member_call(member, Method::GET, &format!("/company/companies/{id}"), None).await;
    (listed, count["count"].as_u64().unwrap_or(u64::MAX), status)
}

#[then(expr = "{string} sees the company {string}")]
async fn sees_company(w: &mut CwWorld, member: String, identifier: String) {
    assert_eq!(company_seen(w, &member, &identifier).await, (true, 1, 200));
}

#[then(expr = "{string} does not see the company {string}")]
async fn does_not_see_company(w: &mut CwWorld, member: String, identifier: String) {
    assert_eq!(company_seen(w, &member, &identifier).await, (false, 0, 404), "listed, counted, status by id");
}

#[when(expr = "the API member {string} excludes the service board {string}")]
async fn excludes_board(w: &mut CwWorld, member: String, board: String) {
    let id = w.first_id(&format!("/service/boards?conditions=name=\"{board}\"")).await;
    w.patch_api_member(&member, json!({ "excludedServiceBoardIds": [id] })).await;
}

/// Tickets of a board: what the administrator lists, and what the member lists.
async fn board_tickets(w: &mut CwWorld, member: &str, board: &str) -> (Vec<u64>, Vec<u64>) {
    let id = w.first_id(&format!("/service/boards?conditions=name=\"{board}\"")).await;
    let path = format!("/service/tickets?conditions=board/id={id}&pageSize=1000");
    let (_, all) = w.admin_call(Method::GET, &path, None).await;
    let all = all.as_array().into_iter().flatten().filter_map(|r| r["id"].as_u64()).collect();
    (all, w.listed_ids(member, &path).await)
}

#[then(expr = "{string} sees no ticket of the service board {string}")]
async fn no_board_tickets(w: &mut CwWorld, member: String, board: String) {
    let (all, seen) = board_tickets(w, &member, &board).await;
    assert!(!all.is_empty(), "the board {board} has tickets");
    assert!(seen.is_empty(), "{member} sees {seen:?}");
    let (status, _) = w.member_call(&member, Method::GET, &format!("/service/tickets/{}", all[0]), None).await;
    assert_eq!(status, 404);
}

#[then(expr = "{string} sees tickets of the service board {string}")]
async fn board_tickets_seen(w: &mut CwWorld, member: String, board: String) {
    let (all, seen) = board_tickets(w, &member, &board).await;
    assert!(!all.is_empty() && seen == all, "{member} sees {seen:?} of {all:?}");
}
