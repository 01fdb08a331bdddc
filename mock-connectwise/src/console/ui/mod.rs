//! The mock console's web UI (`/__mock/ui/`): the ConnectWise screens of steps S0–S9 of the
//! procedure — System > Members with its API Members tab, a member's API Keys tab with Save
//! and Save and Close, System > Security Roles with level selectors, and the Integrator Login
//! setup table — rendered on the server from the same store the API enforces. Plain HTML
//! forms and one line of script (the copy button); no build step, nothing from a CDN.
//!
//! Clearly a mock console, not ConnectWise: it has no login, like the rest of `/__mock`.
//! `--no-ui` turns it off.

mod members;
mod roles;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use crate::api::AppState;
use crate::query::ListQuery;
use crate::resources::Res;
use crate::store::records::Access;
use crate::store::tenant::Tenant;

/// The UI's routes, nested under `/__mock/ui`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/integrator-logins", get(integrator_logins))
        .merge(members::router())
        .merge(roles::router())
}

/// Who the UI acts as in `_info` (`enteredBy`).
pub(super) const ACTOR: &str = "MockConsole";

/// `?company=`: which tenant a screen shows (default: the first).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Tenantq {
    pub(super) company: Option<String>,
    /// Set on the page shown after a save.
    pub(super) saved: Option<u64>,
}

impl Tenantq {
    pub(super) fn pick(&self, app: &AppState) -> String {
        self.company.clone().unwrap_or_else(|| app.store.companies().into_iter().next().unwrap_or_default())
    }
}

/// Escapes text for HTML content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a value for a URL path segment or query value.
pub(super) fn url(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Records of a collection as JSON (the API's own rendering), for screens to show.
pub(super) fn list(t: &Tenant, res: Res) -> Vec<Value> {
    let Ok(q) = ListQuery { page_size: Some("1000".into()), ..ListQuery::default() }.bind(res.schema()) else {
        return Vec::new();
    };
    let access = Access { caller: ACTOR, own_only: false, track_others: false };
    t.list(res, None, &q, access, "")
        .ok()
        .and_then(|l| serde_json::from_slice::<Value>(&l.body).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// A whole page: the header (tenant, the mock's URL, navigation, the latest calls), then `body`.
pub(super) fn page(app: &AppState, company: &str, title: &str, body: &str, site: &str) -> Response {
    let (entries, _) = app
        .traffic
        .requests
        .query(&crate::traffic::requests::Filter { limit: Some(8), ..crate::traffic::requests::Filter::default() });
    let journal: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.method),
                esc(&e.path),
                e.status,
                esc(e.member.as_deref().unwrap_or("-")),
                esc(&e.permission.map(|p| p.to_string()).unwrap_or_else(|| "-".into()))
            )
        })
        .collect();
    let c = url(company);
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - mock-connectwise</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;color:#1d2430}} header{{background:#0b3d66;color:#fff;padding:8px 16px}}
header a{{color:#fff;margin-right:16px}} .mock{{background:#f5b700;color:#000;padding:2px 8px;font-weight:bold;border-radius:3px}}
main{{padding:16px}} table{{border-collapse:collapse;margin:8px 0}} td,th{{border:1px solid #c9d1db;padding:4px 8px;text-align:left}}
.tabs a{{padding:6px 12px;border:1px solid #c9d1db;border-bottom:none;margin-right:4px;text-decoration:none}} .tabs a.on{{background:#e6eef6;font-weight:bold}}
.ok{{background:#d9f2d9;padding:6px}} .bad{{background:#fbe0e0;padding:6px}} .warn{{background:#fff3cd;padding:8px;border:1px solid #f5b700}}
code{{background:#eef;color:#000;padding:2px 4px}} footer{{padding:8px 16px;font-size:12px;color:#555}} button{{margin-right:8px}}
</style></head><body>
<header><span class="mock" data-test="mock-banner">MOCK CONSOLE - not ConnectWise</span>
 tenant <b data-test="tenant">{company_e}</b> at <code data-test="site">{site_e}</code><br>
 <nav><a href="/__mock/ui/members?tab=api&company={c}" id="nav-members">System &gt; Members</a>
 <a href="/__mock/ui/roles?company={c}" id="nav-roles">System &gt; Security Roles</a>
 <a href="/__mock/ui/integrator-logins?company={c}" id="nav-integrators">Integrator Login</a></nav></header>
<main><h1>{title}</h1>{body}</main>
<footer><b>Latest API calls</b> (GET /__mock/requests)<table data-test="journal"><tr><th>method</th><th>path</th><th>status</th><th>member</th><th>permission</th></tr>{journal}</table></footer>
</body></html>"#,
        title = esc(title),
        company_e = esc(company),
        site_e = esc(site),
    );
    html_response(StatusCode::OK, html)
}

/// An HTML answer.
pub(super) fn html_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, html).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    res
}

/// A plain error page (HTML, as a browser asked for a page).
pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    html_response(
        status,
        format!(
            "<!doctype html><html><body><p class=\"mock\">MOCK CONSOLE</p><p data-test=\"error\">{}</p><p><a href=\"/__mock/ui\">back</a></p></body></html>",
            esc(message)
        ),
    )
}

/// A 303 to another screen (after a form is saved).
pub(super) fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A form body's fields.
pub(super) fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub(super) fn field<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The UI's start page.
pub(super) async fn home(
    State(app): State<AppState>,
    Query(q): Query<Tenantq>,
    headers: axum::http::HeaderMap,
) -> Response {
    let company = q.pick(&app);
    let c = url(&company);
    let body = format!(
        r#"<p>The screens of "Initial setup in ConnectWise", served by the mock:</p><ol>
<li><a href="/__mock/ui/integrator-logins?company={c}">Integrator Login setup table</a> (S0)</li>
<li><a href="/__mock/ui/members?tab=api&company={c}">System &gt; Members &gt; API Members</a>: add a member, open it, API Keys, Save (S2-S8)</li>
<li><a href="/__mock/ui/roles?company={c}">System &gt; Security Roles</a>: the role's levels (S9-S9.8)</li></ol>"#
    );
    page(&app, &company, "Mock console", &body, &crate::api::site(&headers))
}

async fn integrator_logins(
    State(app): State<AppState>,
    Query(q): Query<Tenantq>,
    headers: axum::http::HeaderMap,
) -> Response {
    let company = q.pick(&app);
    let Ok(rows) = app.store.read_tenant(&company, |t| Ok(list(t, Res::IntegratorLogins))) else {
        return error_page(StatusCode::NOT_FOUND, &format!("no tenant {company}"));
    };
    let flags = crate::permissions::Profile::seed().integrator_flags();
    let yes = |v: &Value| if v.as_bool() == Some(true) { "yes" } else { "no" };
    let mut body = String::from(
        "<p>System &gt; Setup Tables &gt; Integrator Login (S0). The password is never shown.</p><table data-test=\"integrators\"><tr><th>username</th><th>active</th><th>all records</th>",
    );
    for f in flags {
        body.push_str(&format!("<th>{f}</th>"));
    }
    body.push_str("</tr>");
    for r in &rows {
        body.push_str(&format!(
            "<tr data-test=\"integrator-{}\"><td>{}</td><td>{}</td><td>{}</td>",
            esc(r["username"].as_str().unwrap_or_default()),
            esc(r["username"].as_str().unwrap_or_default()),
            if r["inactiveFlag"].as_bool() == Some(true) { "no" } else { "yes" },
            yes(&r["canAccessAllRecordsFlag"])
        ));
        for f in flags {
            body.push_str(&format!("<td>{}</td>", yes(&r[f])));
        }
        body.push_str("</tr>");
    }
    body.push_str("</table>");
    page(&app, &company, "Integrator Login", &body, &crate::api::site(&headers))
}
