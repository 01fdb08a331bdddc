//! The provisioner's one error type. Every variant says which call failed and why in one
//! line, and keeps the error it came from as its `source` (reqwest, I/O, serde, settings,
//! profile), so nothing is lost between the wire and the message.

use std::time::Duration;

use serde::Deserialize;

use crate::keyfile::KeyFileError;

/// Everything that can go wrong, each with the cause in one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error body.
    #[error("{call}: {status} {code}: {message}")]
    Api {
        /// Method and path under the API root (`GET /system/info`).
        call: String,
        /// The HTTP status.
        status: u16,
        /// ConnectWise's error `code`.
        code: String,
        /// ConnectWise's error `message`, with the `errors` entries appended.
        message: String,
    },
    /// No answer (refused, reset, dropped).
    #[error("{call}: no answer ({detail})")]
    Transport {
        /// Method and path under the API root.
        call: String,
        /// The innermost cause, which names what actually went wrong.
        detail: String,
        /// What the transport said.
        #[source]
        source: reqwest::Error,
    },
    /// One attempt took longer than the per-call limit (`--timeout`).
    #[error("{call}: timed out after {} s without a complete answer", secs(*after))]
    Timeout {
        /// Method and path.
        call: String,
        /// The limit that ran out.
        after: Duration,
    },
    /// The whole command took longer than its limit (`--command-timeout`).
    #[error("{call}: timed out: the command's limit of {} s ran out", secs(*limit))]
    CommandTimeout {
        /// The call under way when time ran out.
        call: String,
        /// The command's limit.
        limit: Duration,
    },
    /// An answer larger than the client reads.
    #[error("{call}: the answer is larger than {limit} bytes; stopped reading")]
    TooLarge {
        /// Method and path.
        call: String,
        /// The most bytes read from one answer.
        limit: usize,
    },
    /// A successful answer that is not the JSON expected.
    #[error("{call}: the answer is not what was expected: {source}")]
    Decode {
        /// Method and path.
        call: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A `Link: rel="next"` this client will not follow (it would send the credentials
    /// elsewhere).
    #[error("{call}: refusing to follow the server's next-page link <{link}>: {reason}")]
    ForeignLink {
        /// The listing.
        call: String,
        /// The link as the server gave it.
        link: String,
        /// Why it is refused.
        reason: String,
    },
    /// A `Link` chain that comes back to a page already read.
    #[error("{call}: the server's next-page links loop back to <{link}>")]
    LinkLoop {
        /// The listing.
        call: String,
        /// The page seen twice.
        link: String,
    },
    /// A `Link` chain longer than the client follows.
    #[error("{call}: more than {max} pages; stopped following the server's next-page links")]
    TooManyPages {
        /// The listing.
        call: String,
        /// The most pages followed.
        max: usize,
    },
    /// `Retry-After` asks for a longer wait than the client accepts.
    #[error(
        "{call}: the server answered {status} and asked to retry after {seconds} s (Retry-After), \
         more than the {} s this client waits; try again later",
        secs(*cap)
    )]
    RetryAfterTooLong {
        /// Method and path.
        call: String,
        /// The status (429 or 503).
        status: u16,
        /// The server's `Retry-After`.
        seconds: u64,
        /// The longest wait accepted.
        cap: Duration,
    },
    /// `CW_URL` is not an http(s) URL, or the server's codebase is not a path.
    #[error("{what} '{value}' {problem}")]
    BadUrl {
        /// What the value is (`CW_URL`, `the server's Codebase`).
        what: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("cannot build an HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// A console call against a server that is not mock-connectwise.
    #[error("the mock console exists only on mock-connectwise")]
    NotMock,
    /// A value from the server the provisioner will not store (a key that is not plausible).
    #[error("the server's {what} is not plausible ({reason}); refusing to store it")]
    Implausible {
        /// What the value is.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A successful answer that lacks what the procedure needs.
    #[error("{call}: {problem}")]
    Unexpected {
        /// Method and path.
        call: String,
        /// What is missing.
        problem: String,
    },
    /// A create that kept failing in transport, looked for after every attempt, never found.
    #[error("could not create {value} at {path} after {attempts} attempts")]
    NotCreated {
        /// The collection.
        path: String,
        /// The record's key value.
        value: String,
        /// Attempts made.
        attempts: usize,
        /// The last transport failure.
        #[source]
        source: Box<Error>,
    },
    /// A name or value of the setup that cannot be used; found before anything changes.
    #[error("{what} {value:?} cannot be used: {reason}")]
    InvalidSetup {
        /// Which value (`integrator username`, `member identifier`, ...).
        what: &'static str,
        /// The value as given.
        value: String,
        /// Why not.
        reason: String,
    },
    /// The setup names the member whose keys the provisioner runs with: applying it would
    /// reassign the caller's own role and lock it out.
    #[error(
        "refusing to take over API member '{member}': it is the member whose keys this command runs with \
         (public key {public_key}); give the integration a member of its own (--member or the profile's [member])"
    )]
    SelfTakeover {
        /// The member's identifier.
        member: String,
        /// The administrator's public key.
        public_key: String,
    },
    /// Missing settings, or an unreadable env file.
    #[error(transparent)]
    Settings(#[from] cw_model::SettingsError),
    /// A profile that does not load.
    #[error(transparent)]
    Profile(#[from] cw_model::ProfileError),
    /// The key file could not be checked, written or read.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s:.1}") }
}

/// ConnectWise's error body, `{code, message, errors: [{message}]}`; every part optional.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    errors: Option<Vec<ErrorItem>>,
}

#[derive(Debug, Deserialize)]
struct ErrorItem {
    message: Option<String>,
}

/// The most characters of a non-JSON error body repeated in a message.
const MAX_ERROR_TEXT: usize = 300;

impl Error {
    pub(crate) fn api(call: String, status: reqwest::StatusCode, body: &[u8]) -> Self {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let details: String =
            parsed.errors.iter().flatten().filter_map(|e| e.message.as_deref()).map(|m| format!(" [{m}]")).collect();
        let message =
            parsed.message.unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(MAX_ERROR_TEXT).collect());
        Self::Api {
            call,
            status: status.as_u16(),
            code: parsed.code.unwrap_or_else(|| "Unknown".into()),
            message: message + &details,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the error is a timeout (of one call or of the command).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::CommandTimeout { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_is_decoded_with_its_details_and_a_foreign_one_is_shortened() {
        let e = Error::api(
            "POST /x".into(),
            reqwest::StatusCode::BAD_REQUEST,
            br#"{"code":"InvalidObject","message":"bad","errors":[{"message":"name is required"}]}"#,
        );
        assert_eq!(e.to_string(), "POST /x: 400 InvalidObject: bad [name is required]");
        let e = Error::api("GET /y".into(), reqwest::StatusCode::BAD_GATEWAY, "x".repeat(10_000).as_bytes());
        assert!(e.to_string().len() < 400, "{e}");
    }

    #[test]
    fn timeouts_are_named_as_timeouts_with_their_limit() {
        let e = Error::Timeout { call: "GET /a".into(), after: Duration::from_secs(30) };
        assert_eq!(e.to_string(), "GET /a: timed out after 30 s without a complete answer");
        let e = Error::Timeout { call: "GET /a".into(), after: Duration::from_millis(1500) };
        assert!(e.to_string().contains("after 1.5 s"), "{e}");
        assert!(e.is_timeout());
    }
}
