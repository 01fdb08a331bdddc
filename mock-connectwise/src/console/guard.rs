//! What every `/__mock` request passes before a console route sees it: the optional console
//! token, and for state-changing calls the cross-site checks (a same-origin or absent
//! `Origin`, a JSON body, or a form for the web UI) and a body read under the same size and
//! time limits as the API's, so no web page a developer visits can wipe or rewrite the mock
//! and no slow client holds a console request open.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::state::{AppState, ConsoleToken};

/// The largest console request body (a fixture set, a form); larger ones get 413. The same
/// as axum's default limit for the JSON extractors the console routes use.
pub(crate) const CONSOLE_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The body limit of a `/__mock` path: `POST /__mock/state` streams its body under its own,
/// larger cap (an export of a million members must import); every other route reads its
/// body whole under [`CONSOLE_MAX_BODY_BYTES`].
pub(crate) fn body_limit(path: &str) -> usize {
    if path == STREAMED { super::state::MAX_IMPORT_BYTES } else { CONSOLE_MAX_BODY_BYTES }
}

/// The one console route that reads its own body, as it arrives.
const STREAMED: &str = "/__mock/state";

/// The header that carries the console token (`Authorization: Bearer` does too).
pub(crate) const TOKEN_HEADER: &str = "x-mock-token";
/// The cookie the web UI carries the token in, set by `GET /__mock/ui/?token=...`.
const TOKEN_COOKIE: &str = "mock-token";

/// The middleware: passes everything outside `/__mock` through untouched.
pub(crate) async fn guard(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/__mock") {
        return next.run(req).await;
    }
    match check(&app, req).await {
        Ok(req) => next.run(req).await,
        Err(refusal) => refusal,
    }
}

async fn check(app: &AppState, req: Request) -> Result<Request, Response> {
    let ui = req.uri().path().starts_with("/__mock/ui");
    if let Some(token) = &app.config.console_token {
        if let Some(entered) = ui_login(token, &req) {
            return Err(entered);
        }
        if !presented(req.headers()).is_some_and(|t| token.matches(t)) {
            return Err(ApiError::unauthorized(format!(
                "The mock console needs its token: send {TOKEN_HEADER}: <token> or Authorization: Bearer <token> (the browser UI: open /__mock/ui/?token=<token> once)."
            ))
            .into_response());
        }
    }
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(req);
    }
    same_origin(req.headers()).map_err(IntoResponse::into_response)?;
    let has_body =
        req.headers().contains_key(header::TRANSFER_ENCODING) || declared_length(req.headers()).is_some_and(|n| n > 0);
    if !has_body {
        return Ok(req);
    }
    content_type(req.headers(), ui).map_err(IntoResponse::into_response)?;
    if req.uri().path() == STREAMED {
        let limit = body_limit(STREAMED);
        if declared_length(req.headers()).is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit).into_response());
        }
        return Ok(req);
    }
    read_body(app, req).await.map_err(IntoResponse::into_response)
}

/// The token the request presents, from the header, a Bearer `Authorization` or the UI's
/// cookie.
fn presented(headers: &HeaderMap) -> Option<&str> {
    if let Some(t) = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(t.trim());
    }
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some((scheme, t)) = auth.trim().split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") {
                return Some(t.trim());
            }
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
}

/// `GET /__mock/ui/...?token=T` with the right token: a redirect to the same page without
/// it that sets the UI's cookie (`SameSite=Strict`, so other sites' pages never send it).
fn ui_login(token: &ConsoleToken, req: &Request) -> Option<Response> {
    if req.method() != Method::GET || !req.uri().path().starts_with("/__mock/ui") {
        return None;
    }
    let query = req.uri().query()?;
    let given = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v)?;
    if !token.matches(&given) {
        return None;
    }
    let rest: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "token"))
        .finish();
    let target = if rest.is_empty() { req.uri().path().to_owned() } else { format!("{}?{rest}", req.uri().path()) };
    let cookie = format!("{TOKEN_COOKIE}={}; Path=/__mock; HttpOnly; SameSite=Strict", token.0);
    Some((StatusCode::SEE_OTHER, [(header::LOCATION, target), (header::SET_COOKIE, cookie)]).into_response())
}

/// A state-changing call must come from no page at all (no `Origin`: curl, SDKs, tests) or
/// from a page of the mock itself (`Origin` naming the `Host` it was sent to).
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let same = origin
        .to_str()
        .ok()
        .and_then(|o| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")))
        .is_some_and(|authority| !host.is_empty() && authority.eq_ignore_ascii_case(host));
    if same {
        return Ok(());
    }
    let origin = String::from_utf8_lossy(origin.as_bytes()).chars().take(200).collect::<String>();
    Err(ApiError::forbidden(format!(
        "The mock console refuses changes sent from another site (Origin {origin} is not this server, {host}); call it from a script, a test or the mock's own UI."
    )))
}

/// A console body is JSON; the web UI's forms may also send form data.
fn content_type(headers: &HeaderMap, ui: bool) -> Result<(), ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
    if json || (ui && essence == "application/x-www-form-urlencoded") {
        return Ok(());
    }
    let shown = if ct.is_empty() { "none".to_owned() } else { ct.chars().take(100).collect() };
    Err(ApiError::forbidden(format!(
        "The mock console takes Content-Type: application/json for a request with a body (this one has {shown}); browsers cannot send JSON across sites, which is what keeps other web pages out."
    )))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestTooLarge",
        format!("The request body is larger than {limit} bytes."),
    )
}

/// The body, read whole under the console's size limit and the API's body timeout.
async fn read_body(app: &AppState, req: Request) -> Result<Request, ApiError> {
    let too_large = || too_large(CONSOLE_MAX_BODY_BYTES);
    if declared_length(req.headers()).is_some_and(|n| n > CONSOLE_MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let timeout = app.config.body_timeout;
    let (parts, body) = req.into_parts();
    let bytes = tokio::time::timeout(timeout, axum::body::to_bytes(body, CONSOLE_MAX_BODY_BYTES))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!("The request body did not arrive within {} seconds.", timeout.as_secs_f64()),
            )
        })?
        .map_err(|_| too_large())?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_an_absent_or_same_host_origin_may_change_state() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080")])).is_ok());
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])).is_ok());
        assert!(same_origin(&headers(&[("host", "localhost:8080"), ("origin", "https://LOCALHOST:8080")])).is_ok());
        for evil in ["http://evil.example", "http://127.0.0.1:8081", "null", "http://127.0.0.1:8080.evil.example"] {
            let e = same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", evil)])).unwrap_err();
            assert_eq!(e.status, 403, "{evil}");
        }
    }

    #[test]
    fn bodies_must_be_json_and_forms_only_for_the_ui() {
        let ct = |v: &str| headers(&[("content-type", v)]);
        assert!(content_type(&ct("application/json"), false).is_ok());
        assert!(content_type(&ct("application/json; charset=utf-8"), false).is_ok());
        assert!(content_type(&ct("application/vnd.connectwise.com+json"), false).is_ok());
        assert!(content_type(&ct("text/plain"), false).is_err());
        assert!(content_type(&ct("application/x-www-form-urlencoded"), false).is_err());
        assert!(content_type(&ct("application/x-www-form-urlencoded"), true).is_ok());
        assert!(content_type(&ct("multipart/form-data; boundary=x"), true).is_err());
        assert!(content_type(&HeaderMap::new(), false).is_err());
    }

    #[test]
    fn the_token_is_read_from_the_header_a_bearer_or_the_cookie_and_never_shown() {
        let token = ConsoleToken::new("s3cret").unwrap();
        assert!(presented(&headers(&[("x-mock-token", "s3cret")])).is_some_and(|t| token.matches(t)));
        assert!(presented(&headers(&[("authorization", "Bearer s3cret")])).is_some_and(|t| token.matches(t)));
        assert!(presented(&headers(&[("cookie", "a=b; mock-token=s3cret")])).is_some_and(|t| token.matches(t)));
        assert!(!presented(&headers(&[("x-mock-token", "s3cre")])).is_some_and(|t| token.matches(t)));
        assert!(presented(&HeaderMap::new()).is_none());
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(ConsoleToken::new(" ").is_err());
        assert!(ConsoleToken::new("a;b").is_err(), "would break the cookie");
    }
}
