//! One client around one `reqwest::Client`: Basic auth and `clientId` on every call, the
//! versioned `Accept` header, retries with backoff that honour `Retry-After` (up to a cap),
//! paging through `Link` headers (same origin only, see [`crate::link`]), typed records
//! decoded from every answer, and typed errors decoded from ConnectWise's error body.
//!
//! Everything is bounded ([`Limits`]): the bytes read from one answer, the time of one
//! attempt and of the whole command, the pages of one listing, and the wait a server may ask
//! for. Each limit, when hit, is its own [`Error`] variant that names it.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::config::Connection;
use crate::records::CompanyInfo;
use crate::{Error, link};

/// The API version asked for in `Accept`.
pub const API_VERSION: &str = "2025.8";

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The first backoff; it doubles per attempt.
    pub backoff: Duration,
    /// The longest wait. A server whose `Retry-After` asks for more is not waited for: the
    /// call fails at once with [`Error::RetryAfterTooLong`].
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { retries: 5, backoff: Duration::from_millis(200), max_wait: Duration::from_secs(60) }
    }
}

/// What one client will spend on a server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// One attempt: connecting, sending, and reading the whole answer. A timed-out attempt
    /// is not retried.
    pub timeout: Duration,
    /// The whole command (every call, retry and wait), counted from `connect`.
    pub command_timeout: Option<Duration>,
    /// The most bytes read from one answer.
    pub max_body: usize,
    /// The most pages one listing follows.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            command_timeout: Some(Duration::from_secs(600)),
            max_body: 16 * 1024 * 1024,
            max_pages: 1_000,
        }
    }
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    site: String,
    api: String,
    api_url: Url,
    auth: SecretString,
    client_id: String,
    retry: RetryPolicy,
    limits: Limits,
    deadline: Option<Instant>,
    is_mock: bool,
    company: String,
    company_name: String,
}

/// One answer, read whole and within the limits.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Client {
    /// Connects with the default [`Limits`] and a per-attempt `timeout`; see [`Client::connect_with`].
    pub async fn connect(conn: &Connection, retry: RetryPolicy, timeout: Duration) -> Result<Self, Error> {
        Self::connect_with(conn, retry, Limits { timeout, ..Limits::default() }).await
    }

    /// Discovers the codebase (`/login/companyinfo/{company}`) and whether the server is
    /// mock-connectwise (`GET /__mock/`), and checks nothing else. The command's time limit
    /// starts now.
    pub async fn connect_with(conn: &Connection, retry: RetryPolicy, limits: Limits) -> Result<Self, Error> {
        // reqwest is built without a default crypto provider; install one (idempotent).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(limits.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cw-provisioner/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::HttpClient)?;
        let site = conn.url.trim_end_matches('/').to_owned();
        let bad_url = |problem| Error::BadUrl { what: "CW_URL", value: site.clone(), problem };
        let site_url = Url::parse(&site).map_err(|_| bad_url("is not a URL"))?;
        if !matches!(site_url.scheme(), "http" | "https") || site_url.host_str().is_none() {
            return Err(bad_url("must start with http:// or https:// and name a host"));
        }
        let auth = format!("{}+{}:{}", conn.company, conn.public_key, conn.private_key.expose_secret());
        let mut client = Self {
            http,
            api: String::new(),
            api_url: site_url,
            site,
            auth: SecretString::from(format!("Basic {}", base64(&auth))),
            client_id: conn.client_id.clone(),
            retry,
            limits,
            deadline: limits.command_timeout.map(|d| Instant::now() + d),
            is_mock: false,
            company: conn.company.clone(),
            company_name: String::new(),
        };
        let company = percent_encoding::utf8_percent_encode(&conn.company, percent_encoding::NON_ALPHANUMERIC);
        let url = format!("{}/login/companyinfo/{company}", client.site);
        let info: CompanyInfo = client.call(Method::GET, &url, None::<&()>, false).await?.1;
        let codebase = codebase(info.codebase.as_deref().unwrap_or("v4_6_release/"))?;
        client.company_name = info.company_name.unwrap_or_default();
        client.api = format!("{}/{codebase}apis/3.0", client.site);
        client.api_url = Url::parse(&client.api).map_err(|_| Error::BadUrl {
            what: "the server's Codebase",
            value: codebase.to_owned(),
            problem: "does not make a URL",
        })?;
        let probe = format!("{}/__mock/", client.site);
        client.is_mock =
            client.send(Method::GET, &probe, None::<&()>, false).await.is_ok_and(|a| a.status.is_success());
        Ok(client)
    }

    /// Whether the server is mock-connectwise (its console does the UI-only steps).
    pub fn is_mock(&self) -> bool {
        self.is_mock
    }

    /// The company id the client logs in to.
    pub fn company(&self) -> &str {
        &self.company
    }

    /// The company's display name from `companyinfo`.
    pub fn company_name(&self) -> &str {
        &self.company_name
    }

    /// The API root (`.../v4_6_release/apis/3.0`).
    pub fn api_root(&self) -> &str {
        &self.api
    }

    /// The limits this client keeps.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// `GET` one resource (or one page of a list) as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        Ok(self.call(Method::GET, &format!("{}{path}", self.api), None::<&()>, true).await?.1)
    }

    /// `GET` a list, following `Link: rel="next"` to the end: only on the configured origin
    /// and under the API root, at most [`Limits::max_pages`] pages, never the same page twice.
    pub async fn get_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, Error> {
        let call = format!("GET {path}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let first = format!("{}{path}{sep}pageSize=1000", self.api);
        let mut url = Url::parse(&first).map_err(|_| Error::BadUrl {
            what: "the listing",
            value: first.clone(),
            problem: "does not make a URL",
        })?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for _ in 0..self.limits.max_pages {
            seen.insert(url.clone());
            let (headers, page): (_, Vec<T>) = self.call(Method::GET, url.as_str(), None::<&()>, true).await?;
            out.extend(page);
            let Some(next) = link::next_link(&headers) else { return Ok(out) };
            url = link::follow(&self.api_url, &url, &next).map_err(|reason| Error::ForeignLink {
                call: call.clone(),
                link: next.clone(),
                reason,
            })?;
            if seen.contains(&url) {
                return Err(Error::LinkLoop { call, link: next });
            }
        }
        Err(Error::TooManyPages { call, max: self.limits.max_pages })
    }

    /// `POST` a new record; the answer as `T`.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, Error> {
        Ok(self.call(Method::POST, &format!("{}{path}", self.api), Some(body), true).await?.1)
    }

    /// `PATCH` with `[{op, path, value}]`; the answer as `T`.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, ops: &B) -> Result<T, Error> {
        Ok(self.call(Method::PATCH, &format!("{}{path}", self.api), Some(ops), true).await?.1)
    }

    /// `DELETE` a record.
    pub async fn delete(&self, path: &str) -> Result<(), Error> {
        self.send(Method::DELETE, &format!("{}{path}", self.api), None::<&()>, true).await.map(|_| ())
    }

    /// Calls the mock console (`/__mock{path}`); only on mock-connectwise.
    pub async fn console<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        if !self.is_mock {
            return Err(Error::NotMock);
        }
        Ok(self.call(method, &format!("{}/__mock{path}", self.site), body, false).await?.1)
    }

    /// One call whose successful answer is decoded as `T` (an empty answer as JSON `null`).
    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&B>,
        auth: bool,
    ) -> Result<(HeaderMap, T), Error> {
        let answer = self.send(method.clone(), url, body, auth).await?;
        let bytes: &[u8] = if answer.body.is_empty() { b"null" } else { &answer.body };
        let value =
            serde_json::from_slice(bytes).map_err(|source| Error::Decode { call: self.name(&method, url), source })?;
        Ok((answer.headers, value))
    }

    /// `GET /system/info` → `GET /system/info`: the call as errors name it.
    fn name(&self, method: &Method, url: &str) -> String {
        let under = |root: &str| if root.is_empty() { None } else { url.strip_prefix(root) };
        let path = under(&self.api).or_else(|| under(&self.site)).unwrap_or(url);
        format!("{method} {path}")
    }

    /// One call with retries; a successful answer, or the error. 429 and 503 (the server did
    /// not act) are retried for every method, after `Retry-After` when given; other 5xx and
    /// transport failures only for methods that are safe to repeat (GET, PUT, DELETE). A POST
    /// that fails in transport is left to the caller, which looks before it creates again.
    /// Timeouts and oversized answers are not retried.
    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: &str,
        body: Option<&B>,
        auth: bool,
    ) -> Result<Answer, Error> {
        let call = self.name(&method, url);
        let repeatable = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        let mut attempt = 0;
        loop {
            let last = attempt >= self.retry.retries;
            let wait = match self.attempt(&call, &method, url, body, auth).await {
                Ok(a) if a.status.is_success() => return Ok(a),
                Ok(a) => {
                    let s = a.status;
                    let busy = s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::SERVICE_UNAVAILABLE;
                    if last || !(busy || (repeatable && s.is_server_error())) {
                        return Err(Error::api(call, s, &a.body));
                    }
                    tracing::warn!(%call, status = s.as_u16(), attempt, "retrying");
                    self.retry_wait(&call, s, &a.headers, attempt)?
                }
                Err(Error::Transport { source, .. }) if repeatable && !last => {
                    tracing::warn!(%call, error = %source, attempt, "transport error; retrying");
                    self.backoff(attempt)
                }
                Err(e) => return Err(e),
            };
            if self.deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return Err(self.command_timeout(call));
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt, bounded in time (the per-attempt limit or what is left of the command's)
    /// and in size.
    async fn attempt<B: Serialize + ?Sized>(
        &self,
        call: &str,
        method: &Method,
        url: &str,
        body: Option<&B>,
        auth: bool,
    ) -> Result<Answer, Error> {
        let left = self.deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Err(self.command_timeout(call.to_owned()));
        }
        let budget = left.map_or(self.limits.timeout, |l| l.min(self.limits.timeout));
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(ACCEPT, format!("application/vnd.connectwise.com+json; version={API_VERSION}"));
        if auth {
            req = req.header(AUTHORIZATION, self.auth.expose_secret()).header("clientId", &self.client_id);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let exchange = async {
            let mut res = req.send().await?;
            let (status, headers) = (res.status(), res.headers().clone());
            let body = read_capped(&mut res, self.limits.max_body).await?;
            Ok::<_, ReadError>(Answer { status, headers, body })
        };
        match tokio::time::timeout(budget, exchange).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(ReadError::TooLarge)) => Err(Error::TooLarge { call: call.to_owned(), limit: self.limits.max_body }),
            Ok(Err(ReadError::Http(source))) => {
                Err(Error::Transport { call: call.to_owned(), detail: transport_cause(&source), source })
            }
            Err(_) if budget < self.limits.timeout => Err(self.command_timeout(call.to_owned())),
            Err(_) => Err(Error::Timeout { call: call.to_owned(), after: budget }),
        }
    }

    /// How long to wait before retrying a busy answer: `Retry-After` up to the cap (beyond it,
    /// fail now and say so), else the backoff.
    fn retry_wait(&self, call: &str, status: StatusCode, headers: &HeaderMap, attempt: u32) -> Result<Duration, Error> {
        match retry_after(headers) {
            Some(secs) if Duration::from_secs(secs) > self.retry.max_wait => Err(Error::RetryAfterTooLong {
                call: call.to_owned(),
                status: status.as_u16(),
                seconds: secs,
                cap: self.retry.max_wait,
            }),
            Some(secs) => Ok(Duration::from_secs(secs)),
            None => Ok(self.backoff(attempt)),
        }
    }

    fn command_timeout(&self, call: String) -> Error {
        Error::CommandTimeout { call, limit: self.limits.command_timeout.unwrap_or_default() }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.backoff.saturating_mul(2u32.saturating_pow(attempt)).min(self.retry.max_wait)
    }
}

/// Why an answer could not be read.
enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e)
    }
}

/// The whole body, refusing more than `limit` bytes (by `Content-Length` before reading, and
/// while streaming for answers that do not say or lie).
async fn read_capped(res: &mut reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if res.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The server's codebase (`v4_6_release/`), checked to be plain path segments.
fn codebase(raw: &str) -> Result<&str, Error> {
    let trimmed = raw.trim_start_matches('/');
    let plain = trimmed.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
    if !plain || trimmed.split('/').any(|s| s == "." || s == "..") || !trimmed.ends_with('/') {
        return Err(Error::BadUrl {
            what: "the server's Codebase",
            value: raw.chars().take(100).collect(),
            problem: "is not a plain path such as v4_6_release/",
        });
    }
    Ok(trimmed)
}

/// The innermost cause of a transport error, which names what actually went wrong.
fn transport_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{e}: {cause}")
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

fn base64(input: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_standard_base64() {
        assert_eq!(base64("cw+pub:priv"), "Y3crcHViOnByaXY=");
        assert_eq!(base64("ab"), "YWI=");
        assert_eq!(base64("abc"), "YWJj");
    }

    #[test]
    fn a_codebase_must_be_plain_path_segments() {
        assert_eq!(codebase("v4_6_release/").ok(), Some("v4_6_release/"));
        assert_eq!(codebase("/v2025_1/").ok(), Some("v2025_1/"));
        for bad in ["../evil/", "http://evil/", "v4?x=1/", "v4_6_release", "a/../"] {
            assert!(codebase(bad).is_err(), "{bad}");
        }
    }
}
