//! One client around one `reqwest::Client`: Basic auth and `clientId` on every call, the
//! versioned `Accept` header, timeouts, retries with backoff that honour `Retry-After`,
//! paging through `Link` headers, and typed errors decoded from ConnectWise's error body.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::Error;
use crate::config::Connection;

/// The API version asked for in `Accept`.
pub const API_VERSION: &str = "2025.8";
/// The most pages a listing follows (1,000 records each): a runaway `Link` chain stops here.
const MAX_PAGES: usize = 10_000;

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The first backoff; it doubles per attempt.
    pub backoff: Duration,
    /// The longest wait, whatever `Retry-After` says.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { retries: 5, backoff: Duration::from_millis(200), max_wait: Duration::from_secs(60) }
    }
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    site: String,
    api: String,
    auth: SecretString,
    client_id: String,
    retry: RetryPolicy,
    is_mock: bool,
    company: String,
    company_name: String,
}

impl Client {
    /// Discovers the codebase (`/login/companyinfo/{company}`) and whether the server is
    /// mock-connectwise (`GET /__mock/`), and checks nothing else.
    pub async fn connect(conn: &Connection, retry: RetryPolicy, timeout: Duration) -> Result<Self, Error> {
        // reqwest is built without a default crypto provider; install one (idempotent).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("cw-provisioner/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build an HTTP client: {e}")))?;
        let site = conn.url.trim_end_matches('/').to_owned();
        if !(site.starts_with("http://") || site.starts_with("https://")) {
            return Err(Error::Config(format!("CW_URL '{site}' must start with http:// or https://")));
        }
        let auth = format!("{}+{}:{}", conn.company, conn.public_key, conn.private_key.expose_secret());
        let mut client = Self {
            http,
            api: String::new(),
            site,
            auth: SecretString::from(format!("Basic {}", base64(&auth))),
            client_id: conn.client_id.clone(),
            retry,
            is_mock: false,
            company: conn.company.clone(),
            company_name: String::new(),
        };
        let company = percent_encoding::utf8_percent_encode(&conn.company, percent_encoding::NON_ALPHANUMERIC);
        let info =
            client.send(Method::GET, &format!("{}/login/companyinfo/{company}", client.site), None, false).await?;
        let codebase = info.1["Codebase"].as_str().unwrap_or("v4_6_release/").to_owned();
        client.company_name = info.1["CompanyName"].as_str().unwrap_or_default().to_owned();
        client.api = format!("{}/{}apis/3.0", client.site, codebase.trim_start_matches('/'));
        client.is_mock = client.send(Method::GET, &format!("{}/__mock/", client.site), None, false).await.is_ok();
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

    /// `GET` one resource.
    pub async fn get(&self, path: &str) -> Result<Value, Error> {
        Ok(self.send(Method::GET, &format!("{}{path}", self.api), None, true).await?.1)
    }

    /// `GET` a list, following `Link: rel="next"` to the end.
    pub async fn get_all(&self, path: &str) -> Result<Vec<Value>, Error> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{}{path}{sep}pageSize=1000", self.api);
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let (headers, body) = self.send(Method::GET, &url, None, true).await?;
            match body {
                Value::Array(items) => out.extend(items),
                other => return Err(Error::Other(format!("GET {path}: expected a list, got {other}"))),
            }
            match next_link(&headers) {
                Some(next) => url = next,
                None => return Ok(out),
            }
        }
        Err(Error::Other(format!("GET {path}: more than {MAX_PAGES} pages")))
    }

    /// `POST` a new record.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        Ok(self.send(Method::POST, &format!("{}{path}", self.api), Some(body), true).await?.1)
    }

    /// `PATCH` with `[{op, path, value}]`.
    pub async fn patch(&self, path: &str, ops: &Value) -> Result<Value, Error> {
        Ok(self.send(Method::PATCH, &format!("{}{path}", self.api), Some(ops), true).await?.1)
    }

    /// `DELETE` a record.
    pub async fn delete(&self, path: &str) -> Result<(), Error> {
        self.send(Method::DELETE, &format!("{}{path}", self.api), None, true).await.map(|_| ())
    }

    /// Calls the mock console (`/__mock{path}`); only on mock-connectwise.
    pub async fn console(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Error> {
        if !self.is_mock {
            return Err(Error::Other("the mock console exists only on mock-connectwise".into()));
        }
        Ok(self.send(method, &format!("{}/__mock{path}", self.site), body, false).await?.1)
    }

    /// One call with retries. 429 and 503 (the server did not act) are retried for every
    /// method, after `Retry-After` when given; other 5xx and transport failures only for
    /// methods that are safe to repeat (GET, PUT, DELETE). A POST that fails in transport is
    /// left to the caller, which looks before it creates again.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        auth: bool,
    ) -> Result<(HeaderMap, Value), Error> {
        let path = url.strip_prefix(&self.api).unwrap_or(url).to_owned();
        let repeatable = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        let mut attempt = 0;
        loop {
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
            let wait = match req.send().await {
                Ok(res) => {
                    let status = res.status();
                    let headers = res.headers().clone();
                    let bytes = res.bytes().await;
                    match (status, bytes) {
                        (s, Ok(bytes)) if s.is_success() => {
                            let value = if bytes.is_empty() {
                                Value::Null
                            } else {
                                serde_json::from_slice(&bytes).map_err(|e| {
                                    Error::Other(format!("{method} {path}: the answer is not JSON: {e}"))
                                })?
                            };
                            return Ok((headers, value));
                        }
                        (s, Ok(bytes)) => {
                            let retryable = s == StatusCode::TOO_MANY_REQUESTS
                                || s == StatusCode::SERVICE_UNAVAILABLE
                                || (repeatable && s.is_server_error());
                            if !retryable || attempt >= self.retry.retries {
                                return Err(Error::api(&method, &path, s, &bytes));
                            }
                            tracing::warn!(%method, %path, status = s.as_u16(), attempt, "retrying");
                            retry_after(&headers).unwrap_or_else(|| self.backoff(attempt))
                        }
                        (_, Err(e)) if repeatable && attempt < self.retry.retries => {
                            tracing::warn!(%method, %path, error = %e, attempt, "answer broke off; retrying");
                            self.backoff(attempt)
                        }
                        (_, Err(e)) => {
                            return Err(Error::Transport { call: format!("{method} {path}"), message: e.to_string() });
                        }
                    }
                }
                Err(e) if repeatable && attempt < self.retry.retries => {
                    tracing::warn!(%method, %path, error = %e, attempt, "transport error; retrying");
                    self.backoff(attempt)
                }
                Err(e) => {
                    let message = if e.is_timeout() { "timed out".to_owned() } else { transport_cause(&e) };
                    return Err(Error::Transport { call: format!("{method} {path}"), message });
                }
            };
            tokio::time::sleep(wait.min(self.retry.max_wait)).await;
            attempt += 1;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.backoff.saturating_mul(2u32.saturating_pow(attempt))
    }
}

/// The innermost cause of a transport error, which names what actually went wrong.
fn transport_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{e} ({cause})")
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim().eq_ignore_ascii_case("rel=\"next\""))
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

fn base64(input: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            "<http://x/a?page=1>; rel=\"first\", <http://x/a?page=3>; rel=\"next\", <http://x/a?page=9>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&h).as_deref(), Some("http://x/a?page=3"));
        h.insert("link", "<http://x/a?page=9>; rel=\"last\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn basic_auth_is_standard_base64() {
        assert_eq!(base64("cw+pub:priv"), "Y3crcHViOnByaXY=");
        assert_eq!(base64("ab"), "YWI=");
        assert_eq!(base64("abc"), "YWJj");
    }
}
