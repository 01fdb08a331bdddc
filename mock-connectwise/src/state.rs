//! What every handler shares: the HTTP layer's settings ([`ApiConfig`]), the application
//! state ([`AppState`]: the store, the settings, the traffic controls, the API's remembered
//! callers), and the site root links are built from, stamped on every request before any
//! handler runs. It imports no handler module: `api`, `console` and `server` all build on it,
//! and `app` composes them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use subtle::ConstantTimeEq;

use crate::store::Store;
use crate::traffic::Traffic;
use crate::traffic::ratelimit::RateLimit;
use crate::traffic::requests::DEFAULT_JOURNAL_CAPACITY;

/// How long a client may take to send its request headers before the connection is closed.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an answer may wait for a client that does not read it (its socket buffers are
/// full) before the connection is closed.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The most connections served at once unless configured otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// The codebase the API is served under unless configured otherwise.
pub const DEFAULT_CODEBASE: &str = "v4_6_release/";
/// The largest request body accepted (an assumption; ConnectWise does not publish one).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a client may take to send a request body before it gets 408.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The path prefix before `apis/3.0`, with its trailing slash (`v4_6_release/`).
    pub codebase: String,
    /// The largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive; slower clients get 408.
    pub body_timeout: Duration,
    /// How long request headers may take to arrive; slower clients are disconnected.
    pub header_timeout: Duration,
    /// How many calls the request journal (`/__mock/requests`) keeps; 0 turns it off.
    pub journal_capacity: usize,
    /// The per-key request budget, if any (changeable at `/__mock/rate-limit`).
    pub rate_limit: Option<RateLimit>,
    /// Serve https with this setup instead of http.
    pub tls: Option<crate::Tls>,
    /// Serve the web UI at `/__mock/ui/` (`--no-ui` turns it off).
    pub ui: bool,
    /// Required on every `/__mock` call when set (`--console-token`).
    pub console_token: Option<ConsoleToken>,
    /// How long an answer may wait for a client that does not read it before the connection
    /// is closed.
    pub write_timeout: Duration,
    /// The most connections served at once; more are answered 503 and closed at once.
    pub max_connections: usize,
    /// The site root clients reach the mock at (`https://cw.example.test`), for `Link` and
    /// `_info` URLs; `None` builds them from the `Host` the client used and whether the
    /// mock serves TLS. `X-Forwarded-*` headers are never trusted.
    pub public_url: Option<String>,
    /// How callbacks are delivered (`--callbacks off` turns them off).
    pub callbacks: crate::callbacks::CallbackSettings,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            codebase: DEFAULT_CODEBASE.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            rate_limit: None,
            tls: None,
            ui: true,
            console_token: None,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            public_url: None,
            callbacks: crate::callbacks::CallbackSettings::default(),
        }
    }
}

/// What every handler gets.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) config: Arc<ApiConfig>,
    pub(crate) traffic: Arc<Traffic>,
    /// Callers recently authenticated, for the API dispatcher.
    pub(crate) callers: Arc<Callers>,
    /// The callbacks engine (deliveries, their journal and faults).
    pub(crate) callbacks: crate::callbacks::Callbacks,
}

/// Callers recently authenticated by API key, so a client's repeated calls skip decoding,
/// verifying and looking up the same key again. Keyed by a SHA-256 digest of the
/// `Authorization` header (the key's secret is never kept), each with the store generation
/// it was worked out at ([`Store::generation`]): good only while the store has not been
/// written to since (a key deactivated, a member or role changed, a reset: anything), so the
/// next call then authenticates afresh. Member tokens expire with time and integrator logins
/// are refused on most routes, so neither is remembered. Bounded: full, it is emptied.
#[derive(Debug, Default)]
pub(crate) struct Callers {
    pub(crate) known: std::sync::Mutex<std::collections::HashMap<HeaderDigest, (u64, Arc<Authenticated>)>>,
}

/// A SHA-256 digest of the headers that authenticate a call.
pub(crate) type HeaderDigest = [u8; 32];

/// A caller authenticated by API key, the public key the rate limit counts, and the
/// caller's company and identifier as the request journal keeps them (shared, not copied).
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub(crate) caller: crate::store::Caller,
    pub(crate) public: String,
    pub(crate) company: Arc<str>,
    pub(crate) identifier: Arc<str>,
}

/// Put in a request's extensions by the server's accept loop: notifying it closes the
/// connection at once, without an answer (the `drop` faults).
#[derive(Clone, Debug)]
pub(crate) struct Hangup(pub(crate) Arc<tokio::sync::Notify>);

/// A secret required on every console call when set (`--console-token`); never shown in
/// `Debug` output.
#[derive(Clone)]
pub struct ConsoleToken(pub(crate) String);

impl ConsoleToken {
    /// A token; empty ones are refused.
    pub fn new(token: impl Into<String>) -> Result<Self, String> {
        let token = token.into();
        if token.trim().is_empty() {
            return Err("the console token must not be empty".into());
        }
        // What a header, a query string and a cookie all carry unchanged.
        if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/=".contains(&b)) {
            return Err("the console token may hold only letters, digits and - . _ ~ / =".into());
        }
        Ok(Self(token))
    }

    pub(crate) fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl std::fmt::Debug for ConsoleToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsoleToken(***)")
    }
}

impl std::str::FromStr for ConsoleToken {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// The request header that carries the site root the mock itself worked out; whatever a
/// client sends under this name is replaced.
pub(crate) const SITE_HEADER: &str = "x-mock-connectwise-site";

/// Stamps every request with the site root for links: the configured public URL, or the
/// scheme the listener serves plus the `Host` the client used (when it is a plain host and
/// port). Never `X-Forwarded-Proto`: nothing vouches for it.
pub(crate) async fn stamp_site(State(app): State<AppState>, mut req: Request) -> Request {
    stamp(&app.config, &mut req);
    req
}

/// [`stamp_site`] in place: one allocation, for the text of the site root.
pub(crate) fn stamp(config: &ApiConfig, req: &mut Request) {
    let site = match &config.public_url {
        Some(url) => HeaderValue::from_str(url.trim_end_matches('/')).ok(),
        None => {
            let scheme = if config.tls.is_some() { "https://" } else { "http://" };
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().authority().map(axum::http::uri::Authority::as_str))
                .filter(|h| is_authority(h))
                .unwrap_or("localhost");
            let mut text = String::with_capacity(scheme.len() + host.len());
            text.push_str(scheme);
            text.push_str(host);
            HeaderValue::from_maybe_shared(axum::body::Bytes::from(text)).ok()
        }
    };
    match site {
        // A `HeaderName` made once: a `&str` name is copied into a new one on every insert.
        Some(v) => req.headers_mut().insert(HeaderName::from_static(SITE_HEADER), v),
        None => req.headers_mut().remove(HeaderName::from_static(SITE_HEADER)),
    };
}

/// A `host[:port]` (names, IPv4, bracketed IPv6) and nothing that could break out of a URL.
fn is_authority(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_'))
}

/// The site root for links (`http://host:port`), as [`stamp_site`] worked it out.
pub(crate) fn site(headers: &HeaderMap) -> String {
    headers.get(SITE_HEADER).and_then(|h| h.to_str().ok()).unwrap_or("http://localhost").to_owned()
}
