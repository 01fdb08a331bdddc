//! The HTTP face of the mock: `GET /login/companyinfo/{company}`, everything under
//! `/{codebase}apis/3.0`, and the mock console under `/__mock`.
//!
//! One dispatcher serves `apis/3.0` ([`api`]): it finds the route ([`routes`]), checks the
//! `clientId` and `Authorization` headers and the security-role level the route needs
//! ([`auth`]), runs the endpoint ([`endpoints`]) and renders every failure as ConnectWise's
//! error body ([`error`]).

pub(crate) mod auth;
pub(crate) mod endpoints;
pub(crate) mod error;
pub(crate) mod routes;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::store::Store;
use crate::store::journal::Use;
use error::{ApiError, JSON};
use routes::Matched;

/// The API version the mock reports (`api-current-version`); the schemas are the official
/// 2025.8 and 2026.4 ones.
pub const CURRENT_VERSION: &str = "2026.4";
/// The codebase the API is served under unless configured otherwise.
pub const DEFAULT_CODEBASE: &str = "v4_6_release/";
/// The largest request body accepted (an assumption; ConnectWise does not publish one).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The path prefix before `apis/3.0`, with its trailing slash (`v4_6_release/`).
    pub codebase: String,
    /// The largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self { codebase: DEFAULT_CODEBASE.to_owned(), max_body_bytes: DEFAULT_MAX_BODY_BYTES }
    }
}

/// What every handler gets.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) config: Arc<ApiConfig>,
}

/// The whole mock as an axum router, ready to serve or to drive with `oneshot` in tests.
pub fn router(store: Store, config: ApiConfig) -> Router {
    let state = AppState { store, config: Arc::new(config) };
    Router::new()
        .route("/login/companyinfo/{company}", get(company_info))
        .nest("/__mock", crate::console::router())
        .fallback(api)
        .with_state(state)
}

/// A successful JSON response with the headers ConnectWise sends.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    res
}

/// The site root the client used (`http://host:port`), for links.
pub(crate) fn site(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

async fn company_info(State(app): State<AppState>, Path(company): Path<String>, headers: HeaderMap) -> Response {
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
        Err(_) => ApiError::not_found("Cannot route. Codebase/company is invalid").into_response(),
    }
}

/// The path after `/{codebase}apis/3.0/`, or `None` when the prefix is not this server's.
fn api_path<'p>(path: &'p str, codebase: &str) -> Option<&'p str> {
    let prefix = format!("/{codebase}apis/3.0");
    let head = path.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(&prefix) {
        return None;
    }
    let rest = &path[prefix.len()..];
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

fn accept_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let Some(v) = accept.split(';').map(str::trim).find_map(|p| p.strip_prefix("version=")) else { return Ok(()) };
    let v = v.trim_matches('"');
    let parse = |s: &str| -> Option<(u32, u32)> {
        let (y, r) = s.split_once('.')?;
        Some((y.parse().ok()?, r.parse().ok()?))
    };
    match (parse(v), parse(CURRENT_VERSION)) {
        (Some(asked), Some(current)) if asked <= current => Ok(()),
        (Some(_), _) => Err(ApiError::bad_request(
            "request",
            "Accept",
            format!("API version {v} is not available; the newest is {CURRENT_VERSION}."),
        )),
        (None, _) => Err(ApiError::bad_request(
            "request",
            "Accept",
            format!("'{v}' is not an API version such as {CURRENT_VERSION}."),
        )),
    }
}

/// Serves everything under `/{codebase}apis/3.0`.
async fn api(State(app): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let mut res = match handle(&app, &parts, body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    };
    res.headers_mut().insert("api-current-version", HeaderValue::from_static(CURRENT_VERSION));
    res
}

async fn handle(app: &AppState, parts: &Parts, body: Body) -> Result<Response, ApiError> {
    let path = parts.uri.path();
    let Some(rest) = api_path(path, &app.config.codebase) else {
        return Err(ApiError::not_found(format!(
            "Cannot route. Codebase/company is invalid ({path} is not under /{}apis/3.0).",
            app.config.codebase
        )));
    };
    let decoded: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let (route, params) = match routes::find(parts.method.as_str(), &segs) {
        Matched::Found(r, p) => (r, p),
        Matched::WrongMethod(allowed) => {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("The requested resource does not support http method '{}'.", parts.method),
            )
            .with_header(header::ALLOW, allowed.join(", ")));
        }
        Matched::NotFound => return Err(ApiError::not_found(format!("The requested resource {rest} was not found."))),
    };
    auth::client_id(&parts.headers)?;
    accept_version(&parts.headers)?;
    let creds = auth::credentials(&parts.headers)?;
    let caller = app
        .store
        .authenticate(&creds.company, &creds.public, &creds.private, creds.integrator)
        .map_err(ApiError::unauthorized)?;
    auth::integrator_may(&caller, route.endpoint == routes::Endpoint::MemberTokens)?;
    let soft = app.store.soft_mode();
    let permit = match auth::permit(&caller, route.needs, soft) {
        Ok(p) => p,
        Err(e) => {
            if let Some((function, action)) = route.needs {
                let granted = caller.levels.get(function, action);
                app.store.record_use(
                    &caller.company,
                    &caller.identifier,
                    Use { function, action, granted, needed: None, would_refuse: false },
                );
            }
            return Err(e);
        }
    };
    let body = if parts.method == Method::POST || parts.method == Method::PUT || parts.method == Method::PATCH {
        Some(read_json(&parts.headers, body, app.config.max_body_bytes).await?)
    } else {
        None
    };
    let call = endpoints::Call { app, parts, caller: &caller, permit: &permit, params: &params, body };
    let outcome = endpoints::serve(&call, route.endpoint);
    if let Some((function, action)) = route.needs {
        let granted = permit.granted;
        let needed = match &outcome {
            Ok(reply) => Some(if action == crate::permissions::Action::Add || reply.others {
                crate::permissions::PermissionLevel::All
            } else {
                crate::permissions::PermissionLevel::My
            }),
            Err(e) if e.status == StatusCode::FORBIDDEN => None,
            Err(_) => return outcome.map(endpoints::Reply::into_response),
        };
        let would_refuse = permit.would_refuse || (soft && needed.is_some_and(|n| n > granted));
        app.store.record_use(
            &caller.company,
            &caller.identifier,
            Use { function, action, granted, needed, would_refuse },
        );
    }
    outcome.map(endpoints::Reply::into_response)
}

/// Reads a JSON request body, with ConnectWise-shaped errors for every way it can be wrong.
async fn read_json(headers: &HeaderMap, body: Body, limit: usize) -> Result<serde_json::Value, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if !ct.to_ascii_lowercase().contains("json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("Content-Type {ct} is not supported; send application/json."),
            ));
        }
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
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

    #[test]
    fn versioned_accept_headers_up_to_the_current_version_are_honoured() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accept_version(&h("application/vnd.connectwise.com+json; version=2025.8")).is_ok());
        assert!(accept_version(&h("application/vnd.connectwise.com+json")).is_ok());
        assert!(accept_version(&h("application/json")).is_ok());
        assert!(accept_version(&h("application/vnd.connectwise.com+json; version=2099.1")).is_err());
        assert!(accept_version(&h("application/vnd.connectwise.com+json; version=latest")).is_err());
    }
}
