//! System > Setup Tables > Integrator Login (S0): the logins with their API flags; the
//! password is never shown.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use maud::html;
use serde_json::Value;

use super::{Tenantq, error_page, list, page};
use crate::resources::Res;
use crate::state::{AppState, site};
use cw_model::Profile;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/integrator-logins", get(integrator_logins))
}

/// `yes` when a JSON flag is `true`, else `no`.
fn yes(v: &Value) -> &'static str {
    if v.as_bool() == Some(true) { "yes" } else { "no" }
}

async fn integrator_logins(State(app): State<AppState>, Query(q): Query<Tenantq>, headers: HeaderMap) -> Response {
    let company = q.pick(&app);
    let Ok(rows) = app.store.read_tenant(&company, |t| Ok(list(t, Res::IntegratorLogins))) else {
        return error_page(StatusCode::NOT_FOUND, &format!("no tenant {company}"));
    };
    let body = html! {
        p { "System > Setup Tables > Integrator Login (S0). The password is never shown." }
        table data-test="integrators" {
            tr {
                th { "username" } th { "active" } th { "all records" }
                @for f in Profile::seed().integrator_flags() { th { (f) } }
            }
            @for r in &rows {
                @let username = r["username"].as_str().unwrap_or_default();
                tr data-test={ "integrator-" (username) } {
                    td { (username) }
                    td { (if r["inactiveFlag"].as_bool() == Some(true) { "no" } else { "yes" }) }
                    td { (yes(&r["canAccessAllRecordsFlag"])) }
                    @for f in Profile::seed().integrator_flags() { td { (yes(&r[f.as_str()])) } }
                }
            }
        }
    };
    page(&app, &company, "Integrator Login", body, &site(&headers))
}
