//! The frame every screen shares — the mock banner, the tenant and the mock's URL, the
//! navigation, the latest API calls — and the plain error page. Screens hand their body in as
//! [`Markup`], so nothing here ever sees unescaped user text as HTML.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::url;
use crate::state::AppState;
use crate::traffic::requests::Filter;

/// The screens' style sheet: a constant, the only markup not built by a template.
const CSS: &str = "
body{font-family:system-ui,sans-serif;margin:0;color:#1d2430} header{background:#0b3d66;color:#fff;padding:8px 16px}
header a{color:#fff;margin-right:16px} .mock{background:#f5b700;color:#000;padding:2px 8px;font-weight:bold;border-radius:3px}
main{padding:16px} table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #c9d1db;padding:4px 8px;text-align:left}
.tabs a{padding:6px 12px;border:1px solid #c9d1db;border-bottom:none;margin-right:4px;text-decoration:none} .tabs a.on{background:#e6eef6;font-weight:bold}
.ok{background:#d9f2d9;padding:6px} .bad{background:#fbe0e0;padding:6px} .warn{background:#fff3cd;padding:8px;border:1px solid #f5b700}
code{background:#eef;color:#000;padding:2px 4px} footer{padding:8px 16px;font-size:12px;color:#555} button{margin-right:8px}
";

/// How many of the latest API calls the footer lists.
const JOURNAL_ROWS: usize = 8;

/// A whole page (200): the header (tenant, the mock's URL, navigation, the latest calls),
/// then `body` under the heading `title`.
pub(super) fn page(app: &AppState, company: &str, title: &str, body: Markup, site: &str) -> Response {
    let (entries, _) = app.traffic.requests.query(&Filter { limit: Some(JOURNAL_ROWS), ..Filter::default() });
    let c = url(company);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " - mock-connectwise" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    span.mock data-test="mock-banner" { "MOCK CONSOLE - not ConnectWise" }
                    " tenant " b data-test="tenant" { (company) }
                    " at " code data-test="site" { (site) }
                    br;
                    nav {
                        a href={ "/__mock/ui/members?tab=api&company=" (c) } id="nav-members" { "System > Members" }
                        " "
                        a href={ "/__mock/ui/roles?company=" (c) } id="nav-roles" { "System > Security Roles" }
                        " "
                        a href={ "/__mock/ui/integrator-logins?company=" (c) } id="nav-integrators" { "Integrator Login" }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
                footer {
                    b { "Latest API calls" } " (GET /__mock/requests)"
                    table data-test="journal" {
                        tr { th { "method" } th { "path" } th { "status" } th { "member" } th { "permission" } }
                        @for e in &entries {
                            tr {
                                td { (e.method) }
                                td { (e.path) }
                                td { (e.status) }
                                td { (e.member.as_deref().unwrap_or("-")) }
                                td {
                                    @match &e.permission {
                                        Some(p) => (p),
                                        None => "-",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, markup)
}

/// A plain error page (HTML, as a browser asked for a page) saying `message`.
pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html {
            body {
                p.mock { "MOCK CONSOLE" }
                p data-test="error" { (message) }
                p { a href="/__mock/ui" { "back" } }
            }
        }
    };
    html_response(status, markup)
}

/// An HTML answer.
fn html_response(status: StatusCode, markup: Markup) -> Response {
    let mut res = (status, markup.into_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    res
}
