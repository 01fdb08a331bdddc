//! System > Members: the API Members tab and its + (S2, S3), a member opened from the list
//! (S4), its API Keys tab and + with Save / Save and Close (S5–S8).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ACTOR, Tenantq, error_page, esc, field, form, list, page, see_other, url};
use crate::api::{AppState, site};
use crate::resources::Res;
use crate::store::access::SaveAction;
use crate::store::records::{Access, WriteCtx};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(members).post(create_member))
        .route("/members/new", get(new_member))
        .route("/members/{member}", get(member))
        .route("/members/{member}/keys/new", get(new_key))
        .route("/members/{member}/keys", axum::routing::post(create_key))
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
    let mut body = format!(
        r#"<div class="tabs"><a href="/__mock/ui/members?tab=members&company={c}" class="{}" id="tab-members">Members</a><a href="/__mock/ui/members?tab=api&company={c}" class="{}" id="tab-api-members">API Members</a></div>"#,
        if api_tab { "" } else { "on" },
        if api_tab { "on" } else { "" }
    );
    if api_tab {
        body.push_str(&format!(
            r#"<p><a href="/__mock/ui/members/new?company={c}" id="add-api-member" title="Add an API member"><button type="button">+</button></a></p>"#
        ));
    }
    body.push_str(
        "<table data-test=\"member-list\"><tr><th>member</th><th>name</th><th>security role</th><th>inactive</th></tr>",
    );
    for r in &rows {
        let ident = r["identifier"].as_str().unwrap_or_default();
        let name = r["name"].as_str().map_or_else(
            || format!("{} {}", r["firstName"].as_str().unwrap_or(""), r["lastName"].as_str().unwrap_or("")),
            str::to_owned,
        );
        body.push_str(&format!(
            r#"<tr><td><a href="/__mock/ui/members/{}?company={c}" data-test="member-{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            url(ident),
            esc(ident),
            esc(ident),
            esc(&name),
            esc(r["securityRole"]["name"].as_str().unwrap_or("")),
            r["inactiveFlag"].as_bool().unwrap_or(false)
        ));
    }
    body.push_str("</table>");
    page(&app, &company, "System > Members", &body, &site(&headers))
}

async fn new_member(State(app): State<AppState>, Query(q): Query<Tenantq>, headers: HeaderMap) -> Response {
    let company = q.pick(&app);
    let Ok(roles) = app.store.read_tenant(&company, |t| Ok(list(t, Res::SecurityRoles))) else {
        return error_page(StatusCode::NOT_FOUND, &format!("no tenant {company}"));
    };
    let options: String = roles
        .iter()
        .map(|r| format!("<option value=\"{}\">{}</option>", r["id"], esc(r["name"].as_str().unwrap_or(""))))
        .collect();
    let body = format!(
        r#"<form method="post" action="/__mock/ui/members?company={c}" id="new-member-form">
<p><label>Member ID <input name="identifier" id="identifier" maxlength="15" required></label></p>
<p><label>Member Name <input name="name" id="name" maxlength="30" required></label></p>
<p><label>Email <input name="emailAddress" id="email" maxlength="250"></label></p>
<p><label>Security Role <select name="securityRole" id="role">{options}</select></label></p>
<p><button type="submit" id="save-member">Save</button></p></form>"#,
        c = url(&company)
    );
    page(&app, &company, "New API member", &body, &site(&headers))
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
        Err(e) => error_page(StatusCode::BAD_REQUEST, &crate::api::error::ApiError::from_store(e, "apiMember").message),
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
        let record = list(t, Res::ApiMembers)
            .into_iter()
            .chain(list(t, Res::Members))
            .find(|m| m["identifier"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(&ident)));
        let keys = t.list_keys(Some(&ident)).unwrap_or_default();
        Ok((record, keys))
    });
    let Ok((Some(record), keys)) = found else {
        return error_page(StatusCode::NOT_FOUND, &format!("no member {ident}"));
    };
    let c = url(&company);
    let m = url(&ident);
    let keys_tab = q.tab.as_deref() == Some("keys");
    let mut body = format!(
        r#"<div class="tabs"><a href="/__mock/ui/members/{m}?company={c}" class="{}" id="tab-profile">Profile</a><a href="/__mock/ui/members/{m}?tab=keys&company={c}" class="{}" id="tab-api-keys">API Keys</a></div>"#,
        if keys_tab { "" } else { "on" },
        if keys_tab { "on" } else { "" }
    );
    if keys_tab {
        body.push_str(&format!(
            r#"<p><a href="/__mock/ui/members/{m}/keys/new?company={c}" id="add-api-key" title="Add an API key"><button type="button">+</button></a></p>
<table data-test="key-list"><tr><th>description</th><th>public key</th><th>private key</th><th>created</th><th>inactive</th></tr>"#
        ));
        for k in &keys {
            body.push_str(&format!(
                "<tr data-test=\"key-{}\"><td>{}</td><td><code>{}</code></td><td>(cannot be retrieved)</td><td>{}</td><td>{}</td></tr>",
                esc(&k.public_key),
                esc(&k.description),
                esc(&k.public_key),
                esc(&k.created_at),
                k.inactive_flag
            ));
        }
        body.push_str("</table>");
    } else {
        body.push_str("<table data-test=\"profile\">");
        for (label, key) in [("Member ID", "identifier"), ("Name", "name"), ("Email", "emailAddress")] {
            body.push_str(&format!(
                "<tr><th>{label}</th><td data-test=\"profile-{key}\">{}</td></tr>",
                esc(record[key].as_str().unwrap_or(""))
            ));
        }
        body.push_str(&format!(
            "<tr><th>Security Role</th><td data-test=\"profile-role\">{}</td></tr></table>",
            esc(record["securityRole"]["name"].as_str().unwrap_or(""))
        ));
    }
    page(&app, &company, &format!("Member {ident}"), &body, &site(&headers))
}

async fn new_key(
    State(app): State<AppState>,
    Path(ident): Path<String>,
    Query(q): Query<Tenantq>,
    headers: HeaderMap,
) -> Response {
    let company = q.pick(&app);
    let body = format!(
        r#"<form method="post" action="/__mock/ui/members/{m}/keys?company={c}" id="new-key-form">
<p><label>Description <input name="description" id="description" maxlength="100" required></label></p>
<p><button type="submit" name="action" value="save" id="save">Save</button>
<button type="submit" name="action" value="saveAndClose" id="save-and-close">Save and Close</button></p></form>"#,
        m = url(&ident),
        c = url(&company)
    );
    page(&app, &company, &format!("New API key for {ident}"), &body, &site(&headers))
}

async fn create_key(
    State(app): State<AppState>,
    Path(ident): Path<String>,
    Query(q): Query<Tenantq>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let company = q.pick(&app);
    let f = form(&body);
    let action = match field(&f, "action") {
        Some("saveAndClose") => SaveAction::SaveAndClose,
        _ => SaveAction::Save,
    };
    let description = field(&f, "description").unwrap_or_default().to_owned();
    let made =
        app.store.write_tenant(&company, |t, keys, now| t.create_key(&ident, &description, action, None, now, keys));
    let key = match made {
        Ok(k) => k,
        Err(e) => {
            return error_page(StatusCode::BAD_REQUEST, &crate::api::error::ApiError::from_store(e, "apiKey").message);
        }
    };
    let keys_tab = format!("/__mock/ui/members/{}?tab=keys&company={}", url(&ident), url(&company));
    let Some(private) = &key.private_key else {
        // Save and Close: back to the list; the private half is never shown.
        return see_other(&keys_tab);
    };
    let body = format!(
        r#"<div class="warn" data-test="once-warning">Record both keys now. The private key is shown only this once: it cannot be retrieved after you leave this page.</div>
<table data-test="new-key"><tr><th>Public key</th><td><code id="public-key">{public}</code></td></tr>
<tr><th>Private key</th><td><code id="private-key">{private}</code>
<button type="button" id="copy-private" onclick="navigator.clipboard.writeText(document.getElementById('private-key').textContent)">Copy</button></td></tr></table>
<p><a href="{keys_tab}" id="close">Close</a></p>"#,
        public = esc(&key.key.public_key),
        private = esc(private),
        keys_tab = esc(&keys_tab)
    );
    let mut res = page(&app, &company, &format!("API key for {ident}"), &body, &site(&headers));
    // The only page that ever holds a private key: never cached.
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    res
}
