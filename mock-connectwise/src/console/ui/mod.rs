//! The mock console's web UI (`/__mock/ui/`): the ConnectWise screens of steps S0–S9 of the
//! procedure — System > Members with its API Members tab, a member's API Keys tab with Save
//! and Save and Close, System > Security Roles with level selectors, and the Integrator Login
//! setup table — rendered on the server from the same store the API enforces. Plain HTML
//! forms and one line of script (the copy button); no build step, nothing from a CDN.
//!
//! Every screen is a [`maud`] template: text and attribute values spliced into the markup are
//! escaped by construction, so no screen builds HTML from strings or escapes by hand.
//! `layout` owns the frame every screen shares (header, navigation, journal) and the error
//! page; `members`, `keys`, `roles` and `integrators` own one family of screens each; this module owns
//! the routes and the small helpers they share (tenant choice, URL encoding, forms, redirects).
//!
//! Clearly a mock console, not ConnectWise: it has no login, like the rest of `/__mock`.
//! `--no-ui` turns it off.

mod integrators;
mod keys;
mod layout;
mod members;
mod roles;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use crate::query::ListQuery;
use crate::resources::Res;
use crate::state::AppState;
use crate::store::records::Access;
use crate::store::tenant::Tenant;

use layout::{error_page, page};

/// The UI's routes, nested under `/__mock/ui`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(integrators::router())
        .merge(members::router())
        .merge(keys::router())
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

/// Percent-encodes a value for a URL path segment or query value. (HTML escaping of the
/// resulting URL is the template's job.)
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

/// The first value of the form field `name`.
pub(super) fn field<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The UI's start page (also routed at `/__mock/ui/` by the console).
pub(super) async fn home(State(app): State<AppState>, Query(q): Query<Tenantq>, headers: HeaderMap) -> Response {
    let company = q.pick(&app);
    let c = url(&company);
    let body = html! {
        p { "The screens of \"Initial setup in ConnectWise\", served by the mock:" }
        ol {
            li { a href={ "/__mock/ui/integrator-logins?company=" (c) } { "Integrator Login setup table" } " (S0)" }
            li {
                a href={ "/__mock/ui/members?tab=api&company=" (c) } { "System > Members > API Members" }
                ": add a member, open it, API Keys, Save (S2-S8)"
            }
            li {
                a href={ "/__mock/ui/roles?company=" (c) } { "System > Security Roles" }
                ": the role's levels (S9-S9.8)"
            }
        }
    };
    page(&app, &company, "Mock console", body, &crate::state::site(&headers))
}
