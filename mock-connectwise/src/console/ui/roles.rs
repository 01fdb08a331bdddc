//! System > Security Roles: the list with a badge per role (does it hold the integration
//! profile?), and a role's settings grouped by module with Add / Edit / Delete / Inquire
//! selectors and, on rows that can be customised, a Customize list (one sub-item per line,
//! empty = not customised), saved through the same store the API enforces (S9–S9.8).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use super::{Tenantq, error_page, field, form, list, page, see_other, url};
use crate::api::error::ApiError;
use crate::resources::Res;
use crate::state::{AppState, site};
use cw_model::role::{CUSTOMIZABLE, customize_from_lines};
use cw_model::{Action, Function, PermissionLevel, Profile, RoleLevels};

static SAVES: AtomicU64 = AtomicU64::new(1);

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/roles", get(roles)).route("/roles/{id}", get(role).post(save_role))
}

/// The badge: the profile is met, or which levels are missing.
fn badge(levels: &RoleLevels) -> Markup {
    let missing = Profile::seed().missing(levels);
    html! {
        @if missing.is_empty() {
            span.ok data-test="badge-ok" { "meets the integration profile (S9.2-S9.8)" }
        } @else {
            div.bad data-test="badge-missing" {
                (missing.len()) " level(s) of the integration profile missing"
                ul { @for r in &missing { li { (r.step_or_label()) ": " (r) } } }
            }
        }
    }
}

/// A role's settings table: one group per module, one selector per function and action.
fn settings(levels: &RoleLevels) -> Markup {
    let starts_module = |i: usize| i == 0 || Function::ALL[i - 1].info().module != Function::ALL[i].info().module;
    html! {
        table data-test="settings" {
            @for (i, &f) in Function::ALL.iter().enumerate() {
                @let info = f.info();
                @if starts_module(i) {
                    tr { th colspan="6" { (info.module) } }
                    tr { th { "function" } th { "Add Level" } th { "Edit Level" } th { "Delete Level" } th { "Inquire Level" } th { "Customize" } }
                }
                tr {
                    td { (info.function) }
                    @for a in Action::ALL {
                        @let current = levels.get(f, a);
                        td {
                            select name={ (info.function_identifier) "|" (a.as_str()) }
                                id={ (info.function_identifier) "-" (a.as_str()) } {
                                @for l in PermissionLevel::ALL {
                                    option selected[l == current] { (l.as_str()) }
                                }
                            }
                        }
                    }
                    td { (customize_cell(f, levels)) }
                }
            }
        }
    }
}

/// The Customize list of a row, editable where the row can be customised (or already is).
fn customize_cell(f: Function, levels: &RoleLevels) -> Markup {
    let list = levels.customize(f);
    let text = list.map(|items| items.iter().map(String::as_str).collect::<Vec<_>>().join("\n")).unwrap_or_default();
    let id = f.info().function_identifier;
    html! {
        @if CUSTOMIZABLE.contains(&f) || list.is_some() {
            textarea name={ (id) "|customize" } id={ (id) "-customize" } rows="2" cols="28"
                placeholder="not customised: every sub-item" { (text) }
        }
    }
}

async fn roles(State(app): State<AppState>, Query(q): Query<Tenantq>, headers: HeaderMap) -> Response {
    let company = q.pick(&app);
    let found = app.store.read_tenant(&company, |t| {
        Ok(list(t, Res::SecurityRoles)
            .into_iter()
            .filter_map(|r| {
                let id = u32::try_from(r["id"].as_u64()?).ok()?;
                Some((id, r["name"].as_str().unwrap_or_default().to_owned(), t.role_levels(id).ok()?))
            })
            .collect::<Vec<_>>())
    });
    let Ok(rows) = found else { return error_page(StatusCode::NOT_FOUND, &format!("no tenant {company}")) };
    let c = url(&company);
    let body = html! {
        table data-test="role-list" {
            tr { th { "role" } th { "integration profile" } }
            @for (id, name, levels) in &rows {
                tr {
                    td { a href={ "/__mock/ui/roles/" (id) "?company=" (c) } data-test={ "role-" (name) } { (name) } }
                    td { (badge(levels)) }
                }
            }
        }
    };
    page(&app, &company, "System > Security Roles", body, &site(&headers))
}

async fn role(
    State(app): State<AppState>,
    Path(id): Path<u32>,
    Query(q): Query<Tenantq>,
    headers: HeaderMap,
) -> Response {
    let company = q.pick(&app);
    let found = app.store.read_tenant(&company, |t| {
        let name = t.table(Res::SecurityRoles).view(id).and_then(|d| d.str("name")).unwrap_or_default().to_owned();
        Ok((name, t.role_levels(id)?))
    });
    let Ok((name, levels)) = found else { return error_page(StatusCode::NOT_FOUND, &format!("no security role {id}")) };
    let body = html! {
        @if q.saved.is_some() { p.ok data-test="saved" { "Saved." } }
        p { "Role " b data-test="role-name" { (name) } }
        (badge(&levels))
        form method="post" action={ "/__mock/ui/roles/" (id) "?company=" (url(&company)) } id="role-form" {
            (settings(&levels))
            p { button type="submit" id="save-role" { "Save" } }
        }
    };
    page(&app, &company, &format!("Security Role {name}"), body, &site(&headers))
}

async fn save_role(
    State(app): State<AppState>,
    Path(id): Path<u32>,
    Query(q): Query<Tenantq>,
    body: Bytes,
) -> Response {
    let company = q.pick(&app);
    let f = form(&body);
    let mut changes = cw_model::console::LevelChanges::default();
    for &function in Function::ALL {
        for action in Action::ALL {
            let name = format!("{}|{}", function.info().function_identifier, action.as_str());
            if let Some(level) = field(&f, &name).and_then(|v| v.parse::<PermissionLevel>().ok()) {
                changes.levels.push((function, action, level));
            }
        }
        // A row's Customize text area, when the form has one: empty lifts the list.
        let name = format!("{}|customize", function.info().function_identifier);
        if let Some(text) = field(&f, &name) {
            changes.customize.push((function, customize_from_lines(text)));
        }
    }
    match app.store.write_tenant(&company, |t, _, now| t.set_levels(id, &changes, now)) {
        // A new `saved` number per save: the page after each save has its own address.
        Ok(_) => {
            let n = SAVES.fetch_add(1, Ordering::Relaxed);
            see_other(&format!("/__mock/ui/roles/{id}?company={}&saved={n}", url(&company)))
        }
        Err(e) => error_page(StatusCode::BAD_REQUEST, &ApiError::from_store(e, "securityRole").message),
    }
}
