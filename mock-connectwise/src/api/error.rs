//! The one error type of the HTTP layer, rendered as ConnectWise's error body
//! `{"code", "message", "errors": [{"code", "message", "resource", "field"}]}`.
//!
//! Client mistakes get a 4xx that says what to change. Internal failures get an opaque 500
//! (`code: ConnectWiseApi`) whose detail goes to the log only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::query::QueryError;
use crate::store::StoreError;
use crate::validate::FieldError;

/// The content type of every JSON response, as the real server sends it.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

/// An error response.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) errors: Option<Vec<ErrorItem>>,
    /// Extra headers (`Allow` on 405, `Retry-After` on 429/503).
    pub(crate) headers: Vec<(header::HeaderName, String)>,
}

/// One entry of `errors` (the `ValidationError` schema).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct ErrorItem {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) resource: String,
    pub(crate) field: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    errors: &'a Option<Vec<ErrorItem>>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), errors: None, headers: Vec::new() }
    }

    /// 400 `InvalidObject` with one entry per field problem.
    pub(crate) fn invalid(noun: &str, errors: &[FieldError]) -> Self {
        let items = errors
            .iter()
            .map(|e| ErrorItem {
                code: e.code.as_str(),
                message: e.message.clone(),
                resource: noun.to_owned(),
                field: e.field.clone(),
            })
            .collect();
        Self {
            errors: Some(items),
            ..Self::new(StatusCode::BAD_REQUEST, "InvalidObject", format!("{noun} object is invalid"))
        }
    }

    /// 400 for something wrong with the request as a whole (body, header, parameter).
    pub(crate) fn bad_request(resource: &str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let item = ErrorItem {
            code: "InvalidField",
            message: message.clone(),
            resource: resource.to_owned(),
            field: field.to_owned(),
        };
        Self { errors: Some(vec![item]), ..Self::new(StatusCode::BAD_REQUEST, "InvalidObject", message) }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", message)
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }

    /// An internal failure: the detail is logged, the client sees an opaque message.
    pub(crate) fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "ConnectWiseApi", "An error has occurred.")
    }

    /// 503 for a change the state file could not take (a full disk): nothing changed, and
    /// the body names no file or cause (assumption A27.1).
    pub(crate) fn unsaved(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "a change could not be saved");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ConnectWiseApi",
            "The server could not save the change, so it was not made. Try again later.",
        )
        .with_header(header::RETRY_AFTER, "5")
    }

    pub(crate) fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Converts a store error; `noun` names the resource in messages.
    pub(crate) fn from_store(e: StoreError, noun: &str) -> Self {
        match e {
            StoreError::UnknownCompany(c) => Self::unauthorized(format!("The company {c} is not known.")),
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::Invalid { noun, errors } => Self::invalid(noun, &errors),
            StoreError::NotOwn { entered_by } => Self::forbidden(format!("the record was entered by {entered_by}")),
            StoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, "Conflict", m),
            StoreError::Query(QueryError { param, message }) => {
                Self::bad_request(noun, param, format!("{param}: {message}"))
            }
            StoreError::BadRequest(m) => Self::bad_request(noun, "", m),
            StoreError::Unsaved(e) => Self::unsaved(&e),
        }
    }

    /// The body as JSON bytes.
    pub(crate) fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&Body { code: self.code, message: &self.message, errors: &self.errors }).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body()).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                res.headers_mut().insert(name.clone(), v);
            }
        }
        res
    }
}

/// Rewrites an error answer that is not already JSON (axum's extractor rejections are plain
/// text) as the ConnectWise error body, keeping its status and its message.
pub(crate) async fn as_connectwise_error(res: Response) -> Response {
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(super::media::is_json_content_type);
    if !(status.is_client_error() || status.is_server_error()) || json {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Rejection texts are short; anything longer is cut, not buffered.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::PAYLOAD_TOO_LARGE => "RequestTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        s if s.is_server_error() => "ConnectWiseApi",
        _ => "InvalidObject",
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("Error").to_owned() } else { text };
    let mut out = ApiError::new(status, code, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        Self::bad_request("", e.param, e.to_string())
    }
}
