//! Paging through `Link: <...>; rel="next"`: which target the server names, and whether the
//! client may follow it. The admin's credentials go with every page, so a next link is
//! followed only on the configured origin (scheme, host and port) and under the API root;
//! anything else stops the listing with [`Error::ForeignLink`](crate::Error::ForeignLink).

use reqwest::Url;
use reqwest::header::HeaderMap;

/// The `rel="next"` target of a `Link` header, as written.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers.get_all("link").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            })
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

/// Resolves `link` against the page it came from and checks it stays on `api`'s origin and
/// under its path; `Err` says why not.
pub(crate) fn follow(api: &Url, current: &Url, link: &str) -> Result<Url, String> {
    let next = current.join(link).map_err(|e| format!("it is not a URL ({e})"))?;
    if next.scheme() != api.scheme() {
        return Err(format!("its scheme '{}' is not the configured '{}'", next.scheme(), api.scheme()));
    }
    if next.host_str() != api.host_str() || next.port_or_known_default() != api.port_or_known_default() {
        return Err(format!("it points to another host ({}), not the configured {}", origin(&next), origin(api)));
    }
    if !next.username().is_empty() || next.password().is_some() {
        return Err("it carries credentials of its own".into());
    }
    let root = api.path().trim_end_matches('/');
    if !next.path().starts_with(&format!("{root}/")) {
        return Err(format!("its path '{}' is outside the API root '{root}'", next.path()));
    }
    Ok(next)
}

fn origin(url: &Url) -> String {
    format!("{}://{}:{}", url.scheme(), url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
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
    fn only_links_on_the_configured_origin_under_the_api_root_are_followed() {
        let api = Url::parse("http://127.0.0.1:8080/v4_6_release/apis/3.0").unwrap();
        let page = Url::parse("http://127.0.0.1:8080/v4_6_release/apis/3.0/system/members?page=1").unwrap();
        let ok = |l: &str| follow(&api, &page, l).map(|u| u.to_string());

        assert_eq!(
            ok("http://127.0.0.1:8080/v4_6_release/apis/3.0/system/members?page=2").as_deref(),
            Ok("http://127.0.0.1:8080/v4_6_release/apis/3.0/system/members?page=2")
        );
        assert_eq!(
            ok("members?page=2").as_deref(),
            Ok("http://127.0.0.1:8080/v4_6_release/apis/3.0/system/members?page=2")
        );
        for (hostile, why) in [
            ("http://127.0.0.1:9999/v4_6_release/apis/3.0/system/members?page=2", "another host"),
            ("http://evil.example:8080/v4_6_release/apis/3.0/x", "another host"),
            ("https://127.0.0.1:8080/v4_6_release/apis/3.0/x", "scheme"),
            ("http://u:p@127.0.0.1:8080/v4_6_release/apis/3.0/x", "credentials"),
            ("http://127.0.0.1:8080/__mock/reset", "outside the API root"),
            ("/v4_6_release/apis/3.0/../../collect", "outside the API root"),
            ("/v4_6_release/apis/3.0x/y", "outside the API root"),
            ("//evil.example/v4_6_release/apis/3.0/x", "another host"),
        ] {
            let e = ok(hostile).unwrap_err();
            assert!(e.contains(why), "{hostile}: {e}");
        }
    }
}
