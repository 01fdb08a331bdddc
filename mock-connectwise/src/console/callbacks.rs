//! Console routes for callbacks (`/__mock/callbacks`): the delivery journal, redelivery,
//! pause and resume, waiting until nothing is left to deliver, delivery faults; and the
//! signing key that a delivery's `Metadata.key_url` names, served where ConnectWise serves it
//! (`/{codebase}system/callbackkey/index.rails`, outside the console).

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::{Body, ok};
use crate::api::error::ApiError;
use crate::api::json_response;
use crate::callbacks::deliver::Queue;
use crate::callbacks::faults::DeliveryFaultSpec;
use crate::state::AppState;
use crate::store::records::to_bytes;

/// The path of the signing-key answer after the codebase.
pub(crate) const KEY_PATH: &str = "/system/callbackkey/index.rails";
/// Its route (the codebase is one path segment).
pub(crate) const KEY_ROUTE: &str = "/{codebase}/system/callbackkey/index.rails";
/// The longest a wait may last.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// A wait's length when the caller names none.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// The routes, nested under `/__mock`.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/callbacks", get(status))
        .route("/callbacks/deliveries", get(deliveries).delete(clear_deliveries))
        .route("/callbacks/deliveries/{id}/redeliver", post(redeliver))
        .route("/callbacks/pause", post(pause))
        .route("/callbacks/resume", post(resume))
        .route("/callbacks/wait", post(wait))
        .route("/callbacks/faults", get(list_faults).post(add_fault).delete(clear_faults))
}

/// The lines the console index lists for these routes.
pub(super) const ROUTES: [&str; 7] = [
    "GET    /__mock/callbacks                               delivery settings and counters (waiting, inFlight, delivered, failed, dropped)",
    "GET|DELETE /__mock/callbacks/deliveries?entry=         every delivery attempt: entry, URL, body, signature, status or error, latency, retry",
    "POST   /__mock/callbacks/deliveries/{id}/redeliver     send a journaled attempt's message again",
    "POST   /__mock/callbacks/pause | /__mock/callbacks/resume",
    "POST   /__mock/callbacks/wait?timeoutMs=               answers when nothing is left to deliver (idle: true) or at the timeout (idle: false)",
    "GET|POST|DELETE /__mock/callbacks/faults               {entryId?, urlContains?, action: status|latency|drop, status?, latencyMs?, times?}",
    "GET    /{codebase}system/callbackkey/index.rails?companyName=&id=  a delivery's key_url: {signing_key}",
];

fn params(query: Option<&str>) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

async fn status(State(app): State<AppState>) -> Response {
    let engine = app.callbacks.engine();
    ok(&engine.queue.status(engine))
}

async fn deliveries(State(app): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let mut entry = None;
    for (k, v) in params(q.as_deref()) {
        match k.as_str() {
            "entry" => {
                entry = Some(v.parse::<u32>().map_err(|_| {
                    ApiError::bad_request("callbacks", "entry", format!("'{v}' is not a callback entry id"))
                })?);
            }
            _ => return Err(ApiError::bad_request("callbacks", &k, format!("Unknown parameter '{k}'; use entry."))),
        }
    }
    Ok(ok(&json!(app.callbacks.engine().queue.attempts(entry))))
}

async fn clear_deliveries(State(app): State<AppState>) -> StatusCode {
    app.callbacks.engine().queue.clear_journal();
    StatusCode::NO_CONTENT
}

async fn redeliver(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id: u64 =
        id.parse().map_err(|_| ApiError::bad_request("callbacks", "id", format!("'{id}' is not an attempt id")))?;
    let delivery = Queue::redeliver(app.callbacks.engine(), id)
        .ok_or_else(|| ApiError::not_found(format!("No delivery attempt {id} in the journal.")))?;
    Ok(json_response(StatusCode::ACCEPTED, to_bytes(&json!({ "delivery": delivery }))))
}

async fn pause(State(app): State<AppState>) -> Response {
    app.callbacks.engine().queue.set_paused(true);
    ok(&json!({ "paused": true }))
}

async fn resume(State(app): State<AppState>) -> Response {
    app.callbacks.engine().queue.set_paused(false);
    ok(&json!({ "paused": false }))
}

async fn wait(State(app): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let mut timeout = DEFAULT_WAIT;
    for (k, v) in params(q.as_deref()) {
        match k.as_str() {
            "timeoutMs" => {
                let ms: u64 = v.parse().ok().filter(|ms| *ms <= MAX_WAIT.as_millis() as u64).ok_or_else(|| {
                    ApiError::bad_request(
                        "callbacks",
                        "timeoutMs",
                        format!("timeoutMs must be a number of milliseconds up to {}", MAX_WAIT.as_millis()),
                    )
                })?;
                timeout = Duration::from_millis(ms);
            }
            _ => {
                return Err(ApiError::bad_request("callbacks", &k, format!("Unknown parameter '{k}'; use timeoutMs.")));
            }
        }
    }
    let engine = app.callbacks.engine();
    let idle = engine.queue.wait_idle(timeout).await;
    let mut body = engine.queue.status(engine);
    if let Some(o) = body.as_object_mut() {
        o.insert("idle".into(), idle.into());
    }
    Ok(ok(&body))
}

async fn list_faults(State(app): State<AppState>) -> Response {
    ok(&json!(app.callbacks.engine().faults.list()))
}

async fn add_fault(State(app): State<AppState>, Body(spec): Body<DeliveryFaultSpec>) -> Result<Response, ApiError> {
    let id = app.callbacks.engine().faults.add(spec).map_err(|m| ApiError::bad_request("callbackFault", "body", m))?;
    Ok(json_response(StatusCode::CREATED, to_bytes(&json!({ "id": id }))))
}

async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    app.callbacks.engine().faults.clear();
    StatusCode::NO_CONTENT
}

/// `GET key_url`: `{"signing_key": ...}` for the company's current key id; 404 otherwise.
pub(crate) async fn signing_key(
    State(app): State<AppState>,
    Path(codebase): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let (mut company, mut id) = (String::new(), String::new());
    for (k, v) in params(q.as_deref()) {
        match k.to_ascii_lowercase().as_str() {
            "companyname" => company = v,
            "id" => id = v,
            _ => {}
        }
    }
    let engine = app.callbacks.engine();
    let known = engine.codebase().trim_end_matches('/') == codebase.trim_end_matches('/');
    let key = known.then(|| engine.keys.lookup(&company, &id)).flatten();
    let key = key.ok_or_else(|| ApiError::not_found("No callback signing key with this companyName and id."))?;
    Ok(ok(&json!({ "signing_key": key })))
}
