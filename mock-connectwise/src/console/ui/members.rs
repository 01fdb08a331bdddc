//! System > Members: the API Members tab and its + (S2, S3), a member opened from the list
//! (S4) with its Profile and API Keys tabs; the new-key form behind + is `keys`.
//!
//! Both kinds of member are read through [`MemberView`]: an API member has `name` and
//! `emailAddress`, an ordinary member `firstName`/`lastName` and the address its
//! `defaultEmail` names.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use maud::html;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ACTOR, Tenantq, error_page, field, form, list, page, see_other, url};
use crate::api::error::ApiError;
use crate::resources::Res;
use crate::state::{AppState, site};
use crate::store::records::{Access, WriteCtx};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(members).post(create_member))
        .route("/members/new", get(new_member))
        .route("/members/{member}", get(member))
}

/// What the screens show of a member of either kind, read from the API's JSON of it.
#[derive(Debug, Default, PartialEq)]
struct MemberView {
    identifier: String,
    name: String,
    email: String,
    role: String,
    inactive: bool,
}

impl MemberView {
    /// Reads a record of `res` (`ApiMembers` or `Members`).
    fn of(res: Res, r: &Value) -> Self {
        let text = |key: &str| r[key].as_str().unwrap_or_default().to_owned();
        let (name, email) = if res == Res::ApiMembers {
            (text("name"), text("emailAddress"))
        } else {
            let full = format!("{} {}", text("firstName"), text("lastName"));
            (full.trim().to_owned(), default_email(r).to_owned())
        };
        MemberView {
            identifier: text("identifier"),
            name,
            email,
            role: r["securityRole"]["name"].as_str().unwrap_or_default().to_owned(),
            inactive: r["inactiveFlag"].as_bool().unwrap_or(false),
        }
    }
}

/// An ordinary member's e-mail address: the one `defaultEmail` (`Office|Mobile|Home`) names,
/// else the first address it has.
fn default_email(r: &Value) -> &str {
    let named = match r["defaultEmail"].as_str() {
        Some("Mobile") => "mobileEmail",
        Some("Home") => "homeEmail",
        _ => "officeEmail",
    };
    [named, "primaryEmail", "officeEmail", "mobileEmail", "homeEmail"]
        .into_iter()
        .find_map(|k| r[k].as_str().filter(|e| !e.is_empty()))
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
struct MembersQ {
    company: Option<String>,
    tab: Option<String>,
}

async fn members(State(app): State<AppState>, Query(q): Query<MembersQ>, headers: HeaderMap) -> Response {
    let company = Tenantq { company: q.company, saved: None }.pick(&app);
    let api_tab = q.tab.as_deref() != Some("members");
    let res = if api_tab { Res::ApiMembers } else { Res::Members };
    let Ok(rows) = app.store.read_tenant(&company, |t| Ok(list(t, res))) else {
        return error_page(StatusCode::NOT_FOUND, &format!("no tenant {company}"));
    };
    let c = url(&company);
    let body = html! {
        div.tabs {
            a.on[!api_tab] href={ "/__mock/ui/members?tab=members&company=" (c) } id="tab-members" { "Members" }
            a.on[api_tab] href={ "/__mock/ui/members?tab=api&company=" (c) } id="tab-api-members" { "API Members" }
        }
        @if api_tab {
            p {
                a href={ "/__mock/ui/members/new?company=" (c) } id="add-api-member" title="Add an API member" {
                    button type="button" { "+" }
                }
            }
        }
        table data-test="member-list" {
            tr { th { "member" } th { "name" } th { "email" } th { "security role" } th { "inactive" } }
            @for m in rows.iter().map(|r| MemberView::of(res, r)) {
                tr {
                    td {
                        a href={ "/__mock/ui/members/" (url(&m.identifier)) "?company=" (c) }
                            data-test={ "member-" (m.identifier) } { (m.identifier) }
                    }
                    td data-test="member-name" { (m.name) }
                    td data-test="member-email" { (m.email) }
                    td { (m.role) }
                    td { (m.inactive) }
                }
            }
        }
    };
    page(&app, &company, "System > Members", body, &site(&headers))
}

async fn new_member(State(app): State<AppState>, Query(q): Query<Tenantq>, headers: HeaderMap) -> Response {
    let company = q.pick(&app);
    let Ok(roles) = app.store.read_tenant(&company, |t| Ok(list(t, Res::SecurityRoles))) else {
        return error_page(StatusCode::NOT_FOUND, &format!("no tenant {company}"));
    };
    let body = html! {
        form method="post" action={ "/__mock/ui/members?company=" (url(&company)) } id="new-member-form" {
            p { label { "Member ID " input name="identifier" id="identifier" maxlength="15" required; } }
            p { label { "Member Name " input name="name" id="name" maxlength="30" required; } }
            p { label { "Email " input name="emailAddress" id="email" maxlength="250"; } }
            p {
                label {
                    "Security Role "
                    select name="securityRole" id="role" {
                        @for r in &roles {
                            option value=(r["id"]) { (r["name"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
            p { button type="submit" id="save-member" { "Save" } }
        }
    };
    page(&app, &company, "New API member", body, &site(&headers))
}

async fn create_member(
    State(app): State<AppState>,
    Query(q): Query<Tenantq>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let company = q.pick(&app);
    let f = form(&body);
    let identifier = field(&f, "identifier").unwrap_or_default().trim().to_owned();
    let mut record = json!({ "identifier": identifier, "name": field(&f, "name").unwrap_or_default() });
    if let Some(email) = field(&f, "emailAddress").filter(|e| !e.is_empty()) {
        record["emailAddress"] = Value::from(email);
    }
    if let Some(role) = field(&f, "securityRole").and_then(|r| r.parse::<u32>().ok()) {
        record["securityRole"] = json!({ "id": role });
    }
    let base = format!("{}/{}apis/3.0", site(&headers), app.config.codebase);
    let made = app.store.write_tenant(&company, |t, keys, now| {
        let access = Access { caller: ACTOR, own_only: false, track_others: false };
        t.create(Res::ApiMembers, None, record, &WriteCtx { access, now, keys, base: &base })
    });
    match made {
        Ok(_) => see_other(&format!("/__mock/ui/members?tab=api&company={}", url(&company))),
        Err(e) => error_page(StatusCode::BAD_REQUEST, &ApiError::from_store(e, "apiMember").message),
    }
}

#[derive(Debug, Default, Deserialize)]
struct MemberQ {
    company: Option<String>,
    tab: Option<String>,
}

async fn member(
    State(app): State<AppState>,
    Path(ident): Path<String>,
    Query(q): Query<MemberQ>,
    headers: HeaderMap,
) -> Response {
    let company = Tenantq { company: q.company, saved: None }.pick(&app);
    let found = app.store.read_tenant(&company, |t| {
        let access = Access { caller: ACTOR, own_only: false, track_others: false };
        let record = t.member_by_identifier(&ident).and_then(|(res, id)| {
            let one = t.get(res, None, id, None, access, "").ok()?;
            Some(MemberView::of(res, &serde_json::from_slice(&one.body).ok()?))
        });
        Ok((record, t.list_keys(Some(&ident)).unwrap_or_default()))
    });
    let Ok((Some(m), keys)) = found else {
        return error_page(StatusCode::NOT_FOUND, &format!("no member {ident}"));
    };
    let c = url(&company);
    let path = url(&m.identifier);
    let keys_tab = q.tab.as_deref() == Some("keys");
    let body = html! {
        div.tabs {
            a.on[!keys_tab] href={ "/__mock/ui/members/" (path) "?company=" (c) } id="tab-profile" { "Profile" }
            a.on[keys_tab] href={ "/__mock/ui/members/" (path) "?tab=keys&company=" (c) } id="tab-api-keys" { "API Keys" }
        }
        @if keys_tab {
            p {
                a href={ "/__mock/ui/members/" (path) "/keys/new?company=" (c) } id="add-api-key" title="Add an API key" {
                    button type="button" { "+" }
                }
            }
            table data-test="key-list" {
                tr { th { "description" } th { "public key" } th { "private key" } th { "created" } th { "inactive" } }
                @for k in &keys {
                    tr data-test={ "key-" (k.public_key) } {
                        td { (k.description) }
                        td { code { (k.public_key) } }
                        td { "(cannot be retrieved)" }
                        td { (k.created_at) }
                        td { (k.inactive_flag) }
                    }
                }
            }
        } @else {
            table data-test="profile" {
                tr { th { "Member ID" } td data-test="profile-identifier" { (m.identifier) } }
                tr { th { "Name" } td data-test="profile-name" { (m.name) } }
                tr { th { "Email" } td data-test="profile-emailAddress" { (m.email) } }
                tr { th { "Security Role" } td data-test="profile-role" { (m.role) } }
            }
        }
    };
    page(&app, &company, &format!("Member {}", m.identifier), body, &site(&headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_member_shows_the_address_its_default_email_names() {
        let r = json!({ "identifier": "mm", "firstName": "Mo", "lastName": "Bile", "defaultEmail": "Mobile",
            "officeEmail": "office@example.com", "mobileEmail": "mobile@example.com",
            "securityRole": { "id": 1, "name": "Member" }, "inactiveFlag": true });

        let m = MemberView::of(Res::Members, &r);

        let expected = MemberView {
            identifier: "mm".into(),
            name: "Mo Bile".into(),
            email: "mobile@example.com".into(),
            role: "Member".into(),
            inactive: true,
        };
        assert_eq!(m, expected);
    }

    #[test]
    fn an_ordinary_member_without_the_named_address_shows_another_one() {
        let r = json!({ "firstName": "Only", "defaultEmail": "Home", "officeEmail": "office@example.com" });

        let m = MemberView::of(Res::Members, &r);

        assert_eq!((m.name.as_str(), m.email.as_str()), ("Only", "office@example.com"));
    }

    #[test]
    fn an_api_member_shows_its_name_and_email_address() {
        let r = json!({ "identifier": "Api1", "name": "Api One", "emailAddress": "api@example.com",
            "firstName": "ignored" });

        let m = MemberView::of(Res::ApiMembers, &r);

        assert_eq!((m.name.as_str(), m.email.as_str()), ("Api One", "api@example.com"));
    }
}
