//! `Accept` and `Content-Type` read as RFC 9110 media types, not searched for substrings.
//!
//! `Accept` is a comma-separated list of media ranges, each with `;`-separated parameters and
//! an optional `q` weight (RFC 9110 §12.5.1). The API version is the `version` parameter of
//! the ConnectWise range, `application/vnd.connectwise.com+json`. Public clients send
//! `application/vnd.connectwise.com+json; version=2021.1, application/json` (a list) and
//! `version=3.0.0; application/json` (not a media range at all); the mock serves both, and
//! serves any version it does not know as the latest, as ConnectWise documents for requests
//! without one ("By default all requests will receive the latest version").

use axum::http::{HeaderMap, header};

use super::CURRENT_VERSION;

/// The ConnectWise media type whose `version` parameter picks the API version.
pub(crate) const CONNECTWISE_TYPE: &str = "application/vnd.connectwise.com+json";

/// The oldest version in the PSA release numbering (2019.1); older ones are served as the latest.
const OLDEST_VERSION: (u32, u32) = (2019, 1);

/// One media range of an `Accept` header.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MediaRange {
    /// `type/subtype`, lower-cased.
    pub(crate) essence: String,
    /// Parameters other than `q`, names lower-cased, values unquoted.
    pub(crate) params: Vec<(String, String)>,
    /// The weight, 0.0 to 1.0 (1.0 when absent or malformed).
    pub(crate) q: f32,
}

/// Splits on `sep` outside double-quoted strings.
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

/// Whether `s` is a media-type token pair `type/subtype` (`*` allowed).
fn is_essence(s: &str) -> bool {
    let token =
        |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    s.split_once('/').is_some_and(|(t, st)| token(t) && token(st))
}

/// Parses one media type or range (`type/subtype; name=value; ...`); `None` when the part
/// before the first `;` is not `type/subtype`.
fn parse_one(text: &str) -> Option<MediaRange> {
    let mut pieces = split_unquoted(text, ';').into_iter();
    let essence = pieces.next()?.trim().to_ascii_lowercase();
    if !is_essence(&essence) {
        return None;
    }
    let mut params = Vec::new();
    let mut q = 1.0;
    for p in pieces {
        let Some((name, value)) = p.split_once('=') else { continue };
        let name = name.trim().to_ascii_lowercase();
        let value = unquote(value);
        if name == "q" {
            q = value.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).unwrap_or(1.0);
        } else {
            params.push((name, value));
        }
    }
    Some(MediaRange { essence, params, q })
}

/// The media ranges of an `Accept` value, malformed ones left out.
pub(crate) fn parse_accept(accept: &str) -> Vec<MediaRange> {
    split_unquoted(accept, ',').into_iter().filter_map(parse_one).collect()
}

/// The version a client asked for: the `version` parameter of the highest-weighted
/// ConnectWise range, if any.
pub(crate) fn requested_version(headers: &HeaderMap) -> Option<String> {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect::<Vec<_>>()
        .join(",");
    parse_accept(&accept)
        .into_iter()
        .filter(|r| r.essence == CONNECTWISE_TYPE && r.q > 0.0)
        .max_by(|a, b| a.q.total_cmp(&b.q))
        .and_then(|r| r.params.into_iter().find(|(n, _)| n == "version").map(|(_, v)| v))
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (y, r) = v.trim().split_once('.')?;
    Some((y.parse().ok()?, r.parse().ok()?))
}

/// The version a call is served as: the one asked for when it is a release the mock knows
/// (2019.1 up to [`CURRENT_VERSION`]), else the latest. Never a refusal.
pub(crate) fn served_version(headers: &HeaderMap) -> String {
    let current = parse_version(CURRENT_VERSION);
    match requested_version(headers) {
        Some(v) => match (parse_version(&v), current) {
            (Some(asked), Some(cur)) if asked >= OLDEST_VERSION && asked <= cur => format!("{}.{}", asked.0, asked.1),
            _ => CURRENT_VERSION.to_owned(),
        },
        None => CURRENT_VERSION.to_owned(),
    }
}

/// Whether a `Content-Type` is JSON: `application/json` or any `application/*+json`
/// (`application/vnd.connectwise.com+json`), with any parameters.
pub(crate) fn is_json_content_type(value: &str) -> bool {
    parse_one(value).is_some_and(|m| {
        m.essence == "application/json"
            || m.essence.strip_prefix("application/").is_some_and(|sub| sub.ends_with("+json"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn served(accept: &str) -> String {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        served_version(&h)
    }

    #[test]
    fn a_list_of_media_ranges_takes_the_version_from_the_connectwise_range() {
        assert_eq!(served("application/vnd.connectwise.com+json; version=2021.1, application/json"), "2021.1");
        assert_eq!(served("application/json, application/vnd.connectwise.com+json;version=\"2025.8\""), "2025.8");
        assert_eq!(
            served(
                "application/vnd.connectwise.com+json; version=2021.1; q=0.5, application/vnd.connectwise.com+json; version=2025.8"
            ),
            "2025.8"
        );
    }

    #[test]
    fn unknown_older_newer_and_malformed_versions_are_served_as_the_latest() {
        for accept in [
            "version=3.0.0; application/json",
            "application/vnd.connectwise.com+json; version=3.0.0",
            "application/vnd.connectwise.com+json; version=2018.6",
            "application/vnd.connectwise.com+json; version=2099.1",
            "application/vnd.connectwise.com+json; version=latest",
            "application/vnd.connectwise.com+json",
            "application/json",
            "*/*",
            ";;,,",
        ] {
            assert_eq!(served(accept), CURRENT_VERSION, "{accept}");
        }
        assert_eq!(served_version(&HeaderMap::new()), CURRENT_VERSION);
    }

    #[test]
    fn media_ranges_keep_parameters_and_weights() {
        let r = parse_accept(r#"text/html;q=0.2, Application/VND.ConnectWise.com+JSON; Version="2025.8", nonsense"#);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].essence, "text/html");
        assert!((r[0].q - 0.2).abs() < f32::EPSILON);
        assert_eq!(r[1].essence, CONNECTWISE_TYPE);
        assert_eq!(r[1].params, [("version".to_owned(), "2025.8".to_owned())]);
    }

    #[test]
    fn content_types_are_json_only_by_their_media_type() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            "application/vnd.connectwise.com+json; version=2025.8",
            "application/merge-patch+json",
        ] {
            assert!(is_json_content_type(ok), "{ok}");
        }
        for bad in [
            "text/plain; note=json",
            "application/jsonx",
            "json",
            "application/x-www-form-urlencoded",
            "text/json-ish",
            "",
        ] {
            assert!(!is_json_content_type(bad), "{bad}");
        }
    }
}
