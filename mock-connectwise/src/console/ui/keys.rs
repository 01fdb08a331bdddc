//! A member's API Keys tab behind its +: the new-key form and its Save / Save and Close
//! (S5–S8). Save shows the private key once, on a page that is never cached; Save and Close
//! returns to the list and the private half is never shown.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;

use super::{Tenantq, error_page, field, form, page, see_other, url};
use crate::api::error::ApiError;
use crate::state::{AppState, site};
use crate::store::access::SaveAction;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/members/{member}/keys/new", get(new_key)).route("/members/{member}/keys", post(create_key))
}

async fn new_key(
    State(app): State<AppState>,
    Path(ident): Path<String>,
    Query(q): Query<Tenantq>,
    headers: HeaderMap,
) -> Response {
    let company = q.pick(&app);
    let body = html! {
        form method="post" action={ "/__mock/ui/members/" (url(&ident)) "/keys?company=" (url(&company)) } id="new-key-form" {
            p { label { "Description " input name="description" id="description" maxlength="100" required; } }
            p {
                button type="submit" name="action" value="save" id="save" { "Save" }
                " "
                button type="submit" name="action" value="saveAndClose" id="save-and-close" { "Save and Close" }
            }
        }
    };
    page(&app, &company, &format!("New API key for {ident}"), body, &site(&headers))
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
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &ApiError::from_store(e, "apiKey").message),
    };
    let keys_tab = format!("/__mock/ui/members/{}?tab=keys&company={}", url(&ident), url(&company));
    let Some(private) = &key.private_key else {
        // Save and Close: back to the list; the private half is never shown.
        return see_other(&keys_tab);
    };
    let body = html! {
        div.warn data-test="once-warning" {
            "Record both keys now. The private key is shown only this once: it cannot be retrieved after you leave this page."
        }
        table data-test="new-key" {
            tr { th { "Public key" } td { code id="public-key" { (key.key.public_key) } } }
            tr {
                th { "Private key" }
                td {
                    code id="private-key" { (private) }
                    button type="button" id="copy-private"
                        onclick="navigator.clipboard.writeText(document.getElementById('private-key').textContent)" { "Copy" }
                }
            }
        }
        p { a href=(keys_tab) id="close" { "Close" } }
    };
    let mut res = page(&app, &company, &format!("API key for {ident}"), body, &site(&headers));
    // The only page that ever holds a private key: never cached.
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
