//! System > Security Roles: the list with a badge per role (does it hold the integration
//! profile?), and a role's settings grouped by module with Add / Edit / Delete / Inquire
//! selectors, saved through the same store the API enforces (S9–S9.8).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::{Tenantq, error_page, esc, field, form, list, page, see_other, url};
use crate::api::{AppState, site};
use crate::permissions::{Action, Function, PermissionLevel, RoleLevels};
use crate::resources::Res;

static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/roles", get(roles)).route("/roles/{id}", get(role).post(save_role))
}

/// The badge: the profile is met, or which levels are missing.
fn badge(levels: &RoleLevels) -> String {
    let missing = crate::permissions::Profile::seed().missing(levels);
    if missing.is_empty() {
        "<span class=\"ok\" data-test=\"badge-ok\">meets the integration profile (S9.2-S9.8)</span>".to_owned()
    } else {
        let items: String =
            missing.iter().map(|r| format!("<li>{}: {}</li>", esc(&r.step_or_label()), esc(&r.to_string()))).collect();
        format!(
            "<div class=\"bad\" data-test=\"badge-missing\">{} level(s) of the integration profile missing<ul>{items}</ul></div>",
            missing.len()
        )
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
    let mut body = String::from("<table data-test=\"role-list\"><tr><th>role</th><th>integration profile</th></tr>");
    for (id, name, levels) in rows {
        body.push_str(&format!(
            "<tr><td><a href=\"/__mock/ui/roles/{id}?company={c}\" data-test=\"role-{}\">{}</a></td><td>{}</td></tr>",
            esc(&name),
            esc(&name),
            badge(&levels)
        ));
    }
    body.push_str("</table>");
    page(&app, &company, "System > Security Roles", &body, &site(&headers))
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
    let saved = if q.saved.is_some() { "<p class=\"ok\" data-test=\"saved\">Saved.</p>" } else { "" };
    let mut body = format!("{saved}<p>Role <b data-test=\"role-name\">{}</b></p>{}", esc(&name), badge(&levels));
    body.push_str(&format!(
        "<form method=\"post\" action=\"/__mock/ui/roles/{id}?company={}\" id=\"role-form\"><table data-test=\"settings\">",
        url(&company)
    ));
    let mut module = "";
    for &f in Function::ALL {
        let info = f.info();
        if info.module != module {
            module = info.module;
            body.push_str(&format!(
                "<tr><th colspan=\"5\">{}</th></tr><tr><th>function</th><th>Add Level</th><th>Edit Level</th><th>Delete Level</th><th>Inquire Level</th></tr>",
                esc(module)
            ));
        }
        body.push_str(&format!("<tr><td>{}</td>", esc(info.function)));
        for a in Action::ALL {
            let current = levels.get(f, a);
            let options: String = PermissionLevel::ALL
                .iter()
                .map(|l| {
                    let sel = if *l == current { " selected" } else { "" };
                    format!("<option{sel}>{}</option>", l.as_str())
                })
                .collect();
            body.push_str(&format!(
                "<td><select name=\"{}|{}\" id=\"{}-{}\">{options}</select></td>",
                info.function_identifier,
                a.as_str(),
                info.function_identifier,
                a.as_str()
            ));
        }
        body.push_str("</tr>");
    }
    body.push_str("</table><p><button type=\"submit\" id=\"save-role\">Save</button></p></form>");
    page(&app, &company, &format!("Security Role {name}"), &body, &site(&headers))
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
    }
    match app.store.write_tenant(&company, |t, _, now| t.set_levels(id, &changes, now)) {
        // A new `saved` number per save: the page after each save has its own address.
        Ok(_) => {
            let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            see_other(&format!("/__mock/ui/roles/{id}?company={}&saved={n}", url(&company)))
        }
        Err(e) => {
            error_page(StatusCode::BAD_REQUEST, &crate::api::error::ApiError::from_store(e, "securityRole").message)
        }
    }
}
