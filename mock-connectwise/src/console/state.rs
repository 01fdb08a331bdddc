//! `GET /__mock/state` exports and `POST /__mock/state` imports the whole state (every
//! tenant's records, roles and levels, API keys and tokens as hashes, lookups and reports)
//! in the state file's own form ([`crate::store::persist::form`]).
//!
//! An import is checked whole before anything changes: a malformed document is a 400 with a
//! ConnectWise error body and the state stays as it was; an accepted one replaces all state at
//! once (and, with `--state-file`, is on disk before the answer).

use axum::Router;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use crate::api::error::ApiError;
use crate::api::json_response;
use crate::state::AppState;
use crate::store::persist;
use crate::store::records::to_bytes;

/// The largest state document `POST /__mock/state` reads.
pub(crate) const MAX_IMPORT_BYTES: usize = 512 << 20;

/// The routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/state", get(export).post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)))
}

/// The index lines for these routes.
pub(crate) const ROUTES: &[&str] = &[
    "GET    /__mock/state                                   export all state (secrets only as hashes)",
    "POST   /__mock/state                                   replace all state with an export (checked whole first)",
];

async fn export(State(app): State<AppState>) -> Result<Response, ApiError> {
    let store = app.store.clone();
    let body = tokio::task::spawn_blocking(move || store.export_state()).await.map_err(|e| ApiError::internal(&e))?;
    Ok(json_response(StatusCode::OK, body))
}

async fn import(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "Send the state document as application/json.",
        ));
    }
    let body = body.map_err(|r| ApiError::new(r.status(), "InvalidObject", r.body_text()))?;
    let store = app.store.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let state = persist::import(&body).map_err(|m| ApiError::bad_request("state", "body", m))?;
        store.replace_state(state).map_err(|e| ApiError::internal(&e))?;
        Ok::<_, ApiError>(store.companies())
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let companies = outcome?;
    app.store.clear_permission_journal();
    app.traffic.reset();
    Ok(json_response(StatusCode::OK, to_bytes(&json!({ "imported": true, "companies": companies }))))
}
