//! Console routes for the traffic controls: injected faults (`/__mock/faults`), the request
//! journal (`/__mock/requests`) and the rate limit (`/__mock/rate-limit`).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::{Body, ok};
use crate::api::error::ApiError;
use crate::api::json_response;
use crate::state::AppState;
use crate::store::records::to_bytes;
use crate::traffic::faults::FaultSpec;
use crate::traffic::ratelimit::RateLimit;
use crate::traffic::requests::Filter;

/// The routes, nested under `/__mock`.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/faults/{id}", axum::routing::delete(remove_fault))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/rate-limit", get(rate_limit).put(set_rate_limit))
}

/// The lines the console index lists for these routes.
pub(super) const ROUTES: [&str; 7] = [
    "GET|POST|DELETE /__mock/faults                         {method?, path: /system/members/*, member?, action: status|latency|drop|commitThenDrop, status?, retryAfter?, latencyMs?, times? | probability?+seed?}",
    "DELETE /__mock/faults/{id}",
    "GET    /__mock/requests?method=&path=&status=&member=&limit=  the request journal, newest first",
    "DELETE /__mock/requests",
    "GET    /__mock/rate-limit",
    "PUT    /__mock/rate-limit                              {requests, perSeconds} per API key, or null for none",
    "(a console reset also clears faults and the journal)",
];

async fn list_faults(State(app): State<AppState>) -> Response {
    ok(&json!(app.traffic.faults.list()))
}

async fn add_fault(State(app): State<AppState>, Body(spec): Body<FaultSpec>) -> Result<Response, ApiError> {
    let rule = app.traffic.faults.add(spec).map_err(|m| ApiError::bad_request("fault", "body", m))?;
    tracing::info!(rule = %rule.summary(), "fault rule added");
    Ok(json_response(StatusCode::CREATED, to_bytes(&json!(rule))))
}

async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    app.traffic.faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(app): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id: u64 = id.parse().map_err(|_| ApiError::bad_request("fault", "id", format!("'{id}' is not a rule id")))?;
    if app.traffic.faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("fault rule {id} not found")))
    }
}

async fn requests(
    State(app): State<AppState>,
    filter: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = filter.map_err(|e| ApiError::bad_request("requests", "query", e.body_text()))?;
    // Serialized straight to bytes: no JSON tree of the whole read is built.
    Ok(json_response(StatusCode::OK, to_bytes(&app.traffic.requests.read(&filter))))
}

async fn clear_requests(State(app): State<AppState>) -> StatusCode {
    app.traffic.requests.clear();
    StatusCode::NO_CONTENT
}

async fn rate_limit(State(app): State<AppState>) -> Response {
    ok(&json!({ "rateLimit": app.traffic.limiter.limit() }))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LimitBody {
    // `{requests, perSeconds}` or `null`; tried first, as it refuses unknown fields.
    Bare(Option<RateLimit>),
    Wrapped(Wrapped),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped {
    #[serde(rename = "rateLimit")]
    rate_limit: Option<RateLimit>,
}

async fn set_rate_limit(State(app): State<AppState>, Body(body): Body<LimitBody>) -> Result<Response, ApiError> {
    let (LimitBody::Bare(limit) | LimitBody::Wrapped(Wrapped { rate_limit: limit })) = body;
    if let Some(l) = &limit {
        l.check().map_err(|m| ApiError::bad_request("rateLimit", "requests", m))?;
    }
    app.traffic.limiter.set(limit);
    Ok(ok(&json!({ "rateLimit": limit })))
}
