//! The HTTP face of the mock: `GET /login/companyinfo/{company}`, everything under
//! `/{codebase}apis/3.0`, and the mock console under `/__mock`.
//!
//! One dispatcher serves `apis/3.0` ([`api`]): it finds the route ([`routes`]), checks the
//! `clientId` and `Authorization` headers and the security-role level the route needs
//! ([`auth`]), reads `Accept` and `Content-Type` as media types ([`media`]), runs the endpoint
//! ([`endpoints`]) and renders every failure as ConnectWise's error body ([`error`]). Every
//! request is first stamped with the site root links are built from (`--public-url`, else the
//! scheme served and the `Host` used).

mod actions;
pub(crate) mod auth;
pub(crate) mod call;
pub(crate) mod customize;
pub(crate) mod endpoints;
pub(crate) mod error;
pub(crate) mod media;
pub(crate) mod routes;
mod views;
mod whole;

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::{ApiConfig, AppState, Hangup, site};
use crate::store::journal::Use;
use crate::traffic::faults::{FaultKind, Fired};
use crate::traffic::requests::{Check, Entry};
use error::{ApiError, JSON};
use routes::Matched;

/// The API version the mock reports (`api-current-version`); the schemas are the official
/// 2025.8 and 2026.4 ones.
pub const CURRENT_VERSION: &str = "2026.4";
/// A successful JSON response with the headers ConnectWise sends.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    res
}

/// The plain-text answer real servers give to a path outside any known codebase.
pub(crate) const CANNOT_ROUTE: &str = "Cannot route. Codebase/company is invalid";

/// `Cannot route. Codebase/company is invalid` as plain text, with 404 (assumption A18).
fn cannot_route() -> Response {
    let mut res = (StatusCode::NOT_FOUND, CANNOT_ROUTE).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

/// Codebase discovery. An unknown company is 200 with the body `null`, which public client
/// code tests for (assumption A18).
pub(crate) async fn company_info(
    State(app): State<AppState>,
    Path(company): Path<String>,
    headers: HeaderMap,
) -> Response {
    let found = app.store.read_tenant(&company, |t| Ok((t.company.clone(), t.company_name.clone())));
    match found {
        Ok((id, name)) => {
            let site = site(&headers);
            let body = json!({
                "CompanyName": name,
                "Codebase": app.config.codebase,
                "VersionCode": format!("v{CURRENT_VERSION}"),
                "VersionNumber": format!("v{CURRENT_VERSION}.0"),
                "CompanyID": id,
                "IsCloud": false,
                "SiteUrl": site.split_once("://").map_or(site.as_str(), |(_, h)| h),
            });
            json_response(StatusCode::OK, body.to_string().into_bytes())
        }
        Err(_) => json_response(StatusCode::OK, b"null".to_vec()),
    }
}

/// The path after `/{codebase}apis/3.0/`, or `None` when the prefix is not this server's.
fn api_path<'p>(path: &'p str, codebase: &str) -> Option<&'p str> {
    let strip = |s: &'p str, prefix: &str| {
        let head = s.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
    };
    let rest = strip(strip(strip(path, "/")?, codebase)?, "apis/3.0")?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// What the dispatcher learnt about a call, for the request journal.
#[derive(Debug, Default)]
struct Trace {
    company: Option<std::sync::Arc<str>>,
    member: Option<std::sync::Arc<str>>,
    fired: Option<Fired>,
    permission: Option<Check>,
}

/// Serves everything under `/{codebase}apis/3.0`.
pub(crate) async fn api(State(app): State<AppState>, req: Request) -> Response {
    let started = Instant::now();
    let at = app.store.now();
    let (parts, body) = req.into_parts();
    let mut trace = Trace::default();
    let mut res = match handle(&app, &parts, body, &mut trace).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    };
    // A `HeaderName` made once: a `&str` name is copied into a new one on every insert.
    res.headers_mut().insert(HeaderName::from_static("api-current-version"), HeaderValue::from_static(CURRENT_VERSION));
    let hang_up = trace.fired.as_ref().is_some_and(|f| matches!(f.kind, FaultKind::Drop | FaultKind::CommitThenDrop));
    // Never the headers or the body: they carry credentials and passwords.
    tracing::debug!(
        method = %parts.method,
        path = parts.uri.path(),
        status = res.status().as_u16(),
        member = trace.member.as_deref().unwrap_or("-"),
        permission = trace.permission.map(|c| c.to_string()).as_deref().unwrap_or("-"),
        fault = trace.fired.as_ref().map(Fired::label).as_deref().unwrap_or("-"),
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    app.traffic.requests.record(Entry {
        seq: 0,
        at,
        method: crate::traffic::requests::method_name(&parts.method),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        truncated: false,
        company: trace.company,
        member: trace.member,
        // A dropped call has no status: the client got none.
        status: if hang_up { 0 } else { res.status().as_u16() },
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        fault: trace.fired.as_ref().map(Fired::label),
        permission: trace.permission,
    });
    if hang_up {
        return hang_up_on(&parts).await;
    }
    res
}

/// Closes the connection without answering. Outside the mock's own accept loop (a router
/// driven in-process) there is no connection to close, so the body breaks off instead.
async fn hang_up_on(parts: &Parts) -> Response {
    if let Some(Hangup(notify)) = parts.extensions.get::<Hangup>() {
        notify.notify_one();
        // The accept loop drops this connection, and with it this future.
        std::future::pending::<()>().await;
    }
    Response::new(Body::new(BrokenBody))
}

/// A body that fails at once, so the client sees a broken response rather than an answer.
struct BrokenBody;

impl axum::body::HttpBody for BrokenBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::other("connection dropped by an injected fault"))))
    }
}

/// Applies a fault that fired before the call runs: a status answer, or latency first.
async fn before_call(fired: &Fired) -> Result<(), ApiError> {
    match fired.kind {
        FaultKind::Status => {
            let status = StatusCode::from_u16(fired.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let message = match status {
                StatusCode::TOO_MANY_REQUESTS => "Too many requests. Retry after the time given in Retry-After.",
                StatusCode::SERVICE_UNAVAILABLE => "The service is temporarily unavailable.",
                _ => "An error has occurred.",
            };
            let mut e = ApiError::new(status, "ConnectWiseApi", message);
            if let Some(secs) = fired.retry_after {
                e = e.with_header(header::RETRY_AFTER, secs.to_string());
            }
            Err(e)
        }
        FaultKind::Latency => {
            tokio::time::sleep(fired.latency).await;
            Ok(())
        }
        FaultKind::Drop | FaultKind::CommitThenDrop => Ok(()),
    }
}

/// One call through its stages: resolve the route, fire a fault, authenticate, limit the rate,
/// permit the level, read the body, execute, record what it needed.
async fn handle(app: &AppState, parts: &Parts, body: Body, trace: &mut Trace) -> Result<Response, ApiError> {
    let Some(rest) = api_path(parts.uri.path(), &app.config.codebase) else {
        return Ok(cannot_route());
    };
    let decoded = decode_segments(rest);
    let segs: Vec<&str> = decoded.iter().map(std::convert::AsRef::as_ref).collect();
    if fire_fault(app, parts, &segs, trace).await? {
        return Ok(StatusCode::OK.into_response());
    }
    let (route, params) = resolve(parts, rest, &segs)?;
    let found = authenticate(app, parts, trace)?;
    let (caller, public) = (&found.caller, &found.public);
    // A project ticket named under `/service/tickets/{id}` is served as the project ticket.
    let (route, params) = match project_ticket(app, &caller.company, &segs) {
        Some(alias) => match routes::find(parts.method.as_str(), &alias) {
            Matched::Found(r, p) => (r, p),
            _ => (route, params),
        },
        None => (route, params),
    };
    limit(app, caller, public)?;
    auth::integrator_may(caller, route.endpoint == routes::Endpoint::MemberTokens)?;
    // An integrator login's authority is its API flags (checked above), not a security role.
    let needs = if matches!(caller.via, crate::store::Via::Integrator { .. }) { None } else { route.needs };
    let permit = permit(app, caller, needs, route.endpoint, trace)?;
    let body = read_body(app, parts, route.endpoint, body).await?;
    let call =
        endpoints::Call { app, parts, caller, permit: &permit, params: &params, body, query: Default::default() };
    let outcome = endpoints::serve(&call, route.endpoint);
    if let Some(needs) = needs {
        record(app, caller, needs, &permit, route.endpoint, &outcome);
    }
    outcome.map(endpoints::Reply::into_response)
}

/// The path's segments after `apis/3.0`, percent-decoded (borrowed when nothing is encoded).
fn decode_segments(rest: &str) -> Vec<std::borrow::Cow<'_, str>> {
    rest.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy())
        .collect()
}

/// Fires an injected fault, if one matches; `true` when the call is to be dropped unanswered.
async fn fire_fault(app: &AppState, parts: &Parts, segs: &[&str], trace: &mut Trace) -> Result<bool, ApiError> {
    if !app.traffic.faults.armed() {
        return Ok(false);
    }
    let member = if app.traffic.faults.by_member() {
        auth::credentials(&parts.headers)
            .ok()
            .and_then(|c| app.store.authenticate(&c.company, &c.public, &c.private, c.integrator).ok())
            .map(|c| c.identifier)
    } else {
        None
    };
    trace.fired = app.traffic.faults.fire(parts.method.as_str(), segs, member.as_deref());
    match &trace.fired {
        Some(fired) => {
            before_call(fired).await?;
            Ok(fired.kind == FaultKind::Drop)
        }
        None => Ok(false),
    }
}

/// Project tickets, found once (asked on every call naming a service ticket).
static PROJECT_TICKETS: std::sync::LazyLock<Option<crate::resources::Res>> =
    std::sync::LazyLock::new(|| crate::resources::Res::at_path("/project/tickets"));

/// `/service/tickets/{id}/…` whose id names no service ticket but a project ticket, as
/// `/project/tickets/{id}/…`: the real server keeps both in one ticket table, and sync
/// applications read every ticket's notes through the service path (A24.36).
fn project_ticket<'s>(app: &AppState, company: &str, segs: &[&'s str]) -> Option<Vec<&'s str>> {
    let [first, second, id, ..] = segs else { return None };
    if !first.eq_ignore_ascii_case("service") || !second.eq_ignore_ascii_case("tickets") {
        return None;
    }
    let id: u32 = id.parse().ok()?;
    let project = (*PROJECT_TICKETS)?;
    let tickets = crate::resources::Res::Tickets;
    let is_project = app
        .store
        .read_tenant(company, |t| Ok(t.table(tickets).get(id).is_none() && t.table(project).get(id).is_some()));
    is_project.ok()?.then(|| {
        let mut alias = segs.to_vec();
        alias[0] = "project";
        alias
    })
}

/// The route and its path parameters: 405 with `Allow` for a known path, else 404.
fn resolve(parts: &Parts, rest: &str, segs: &[&str]) -> Result<(&'static routes::Route, Vec<routes::Param>), ApiError> {
    match routes::find(parts.method.as_str(), segs) {
        Matched::Found(r, p) => Ok((r, p)),
        Matched::WrongMethod(allowed) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{}'.", parts.method),
        )
        .with_header(header::ALLOW, allowed.join(", "))),
        Matched::NotFound => Err(ApiError::not_found(format!("The requested resource {rest} was not found."))),
    }
}

/// The `clientId`, the served version and the caller of the `Authorization` header, with the
/// public key the rate limit counts.
fn authenticate(
    app: &AppState,
    parts: &Parts,
    trace: &mut Trace,
) -> Result<std::sync::Arc<crate::state::Authenticated>, ApiError> {
    auth::client_id(&parts.headers)?;
    // Any Accept is served: an unknown or malformed version gets the latest (assumption A19),
    // so the version is worked out only to be logged.
    if tracing::enabled!(tracing::Level::TRACE) {
        let version = media::served_version(&parts.headers);
        tracing::trace!(%version, "API version served");
    }
    // Read before authenticating: a write meanwhile makes what is remembered stale at once.
    let generation = app.store.generation();
    let found = auth::remembered(&app.callers, &parts.headers, generation, |creds| {
        app.store
            .authenticate(&creds.company, &creds.public, &creds.private, creds.integrator)
            .map_err(ApiError::unauthorized)
    })?;
    trace.company = Some(found.company.clone());
    trace.member = Some(found.identifier.clone());
    Ok(found)
}

/// The per-key rate limit: 429 with `Retry-After` once a key's budget is spent.
fn limit(app: &AppState, caller: &crate::store::Caller, public: &str) -> Result<(), ApiError> {
    app.traffic.limiter.take(&caller.company, public, app.store.now()).map_err(|wait| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ConnectWiseApi",
            format!("Too many requests for this API key. Retry after {wait} seconds."),
        )
        .with_header(header::RETRY_AFTER, wait.to_string())
    })
}

/// The caller's level (and Customize list) for what the route needs; a refusal is journaled.
fn permit(
    app: &AppState,
    caller: &crate::store::Caller,
    needs: Option<(cw_model::Function, cw_model::Action)>,
    endpoint: routes::Endpoint,
    trace: &mut Trace,
) -> Result<auth::Permit, ApiError> {
    let soft = app.store.soft_mode();
    let permitted = auth::permit(caller, needs, soft).and_then(|p| customize::permit(caller, needs, endpoint, p, soft));
    let Some((function, action)) = needs else { return permitted };
    let granted = permitted.as_ref().map_or_else(|_| caller.levels.get(function, action), |p| p.granted);
    trace.permission = Some(Check { function, action, granted, refused: permitted.is_err() });
    if permitted.is_err() {
        let refused = Use { function, action, granted, needed: None, would_refuse: false };
        app.store.record_use(&caller.company, &caller.identifier, refused);
    }
    permitted
}

/// The JSON body of a write. The official spec gives the token request no body; whatever a
/// client sends is ignored. A `DELETE` of an action takes the body it is sent
/// (`…/bulk`'s `IdCollection`); other deletes ignore theirs.
async fn read_body(
    app: &AppState,
    parts: &Parts,
    endpoint: routes::Endpoint,
    body: Body,
) -> Result<Option<serde_json::Value>, ApiError> {
    let sent = parts.headers.get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let delete_with_body = parts.method == Method::DELETE && matches!(endpoint, routes::Endpoint::Action(_)) && sent;
    let has_body = parts.method == Method::POST
        || parts.method == Method::PUT
        || parts.method == Method::PATCH
        || delete_with_body;
    if has_body && endpoint != routes::Endpoint::MemberTokens {
        Ok(Some(read_json(&parts.headers, body, &app.config).await?))
    } else {
        Ok(None)
    }
}

/// Journals the level a permitted call needed (the one rule: the lowest level that allows it
/// on records of its ownership; a record the call adds is the caller's own), and the setup
/// sub-item it used. Calls that failed for another reason prove nothing and are left out.
fn record(
    app: &AppState,
    caller: &crate::store::Caller,
    (function, action): (cw_model::Function, cw_model::Action),
    permit: &auth::Permit,
    endpoint: routes::Endpoint,
    outcome: &Result<endpoints::Reply, ApiError>,
) {
    let needed = match outcome {
        Ok(reply) => Some(cw_model::PermissionLevel::needed(
            action,
            if reply.others { cw_model::Ownership::Others } else { cw_model::Ownership::Own },
        )),
        Err(e) if e.status == StatusCode::FORBIDDEN => None,
        Err(_) => return,
    };
    let granted = permit.granted;
    let would_refuse = permit.would_refuse || (app.store.soft_mode() && needed.is_some_and(|n| n > granted));
    if let (Some(_), Some(item)) = (needed, customize::setup_item(endpoint)) {
        app.store.record_item(&caller.company, &caller.identifier, function, item);
    }
    app.store.record_use(&caller.company, &caller.identifier, Use { function, action, granted, needed, would_refuse });
}

/// Reads a JSON request body, with ConnectWise-shaped errors for every way it can be wrong.
async fn read_json(headers: &HeaderMap, body: Body, config: &ApiConfig) -> Result<serde_json::Value, ApiError> {
    let limit = config.max_body_bytes;
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = String::from_utf8_lossy(ct.as_bytes());
        if !media::is_json_content_type(&ct) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("Content-Type {ct} is not supported; send application/json."),
            ));
        }
    }
    let read = tokio::time::timeout(config.body_timeout, axum::body::to_bytes(body, limit)).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeout",
            format!("The request body did not arrive within {} seconds.", config.body_timeout.as_secs()),
        )
    })?;
    let bytes = read.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLarge",
            format!("The request body is larger than {limit} bytes."),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request", "body", "A JSON request body is required."));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("request", "body", format!("The request body is not valid JSON: {e}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_prefix_matches_without_regard_to_case() {
        assert_eq!(api_path("/v4_6_release/apis/3.0/system/info", "v4_6_release/"), Some("/system/info"));
        assert_eq!(api_path("/V4_6_RELEASE/APIS/3.0/system/info", "v4_6_release/"), Some("/system/info"));
        assert_eq!(api_path("/v2020_1/apis/3.0/system/info", "v4_6_release/"), None);
        assert_eq!(api_path("/v4_6_release/apis/3.01/x", "v4_6_release/"), None);
    }
}
