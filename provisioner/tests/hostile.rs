//! The client against hostile servers (issue 18, items 1 and 5): a `Link` to another origin
//! never receives the credentials; bodies, time, pages and `Retry-After` are bounded, and each
//! limit is a clear error that names it.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use provisioner::{Client, Error, Limits, RetryPolicy};
use serde_json::Value;
use support::{FAST, Reply, Request, collector, conn_to, discovery, quick_limits, serve};

const API: &str = "/v4_6_release/apis/3.0";

async fn client(url: &str, limits: Limits) -> Client {
    Client::connect_with(&conn_to(url), FAST, limits).await.expect("connects")
}

/// The page number in `...?page=N`, 1 without one.
fn page(req: &Request) -> usize {
    req.target.split("page=").nth(1).and_then(|p| p.split('&').next()?.parse().ok()).unwrap_or(1)
}

#[tokio::test]
async fn a_next_link_on_the_same_origin_is_followed_to_the_end() {
    let server = serve(|req: Request| async move {
        if let Some(r) = discovery(&req) {
            return r;
        }
        let n = page(&req);
        let reply = Reply::json(200, &format!("[{{\"id\":{n}}}]"));
        if n < 3 {
            reply.with_header("Link", &format!("<{API}/system/members?page={}>; rel=\"next\"", n + 1))
        } else {
            reply
        }
    })
    .await;

    let all: Vec<Value> = client(&server.url, quick_limits()).await.get_all("/system/members").await.unwrap();

    assert_eq!(all.len(), 3, "{all:?}");
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_and_the_collector_never_hears_from_the_client() {
    let thief = collector().await;
    let link = format!("<{}{API}/system/members?page=2>; rel=\"next\"", thief.url);
    let server = serve(move |req: Request| {
        let link = link.clone();
        async move { discovery(&req).unwrap_or_else(|| Reply::json(200, "[{\"id\":1}]").with_header("Link", &link)) }
    })
    .await;
    let client = client(&server.url, quick_limits()).await;

    let err = client.get_all::<Value>("/system/members").await.unwrap_err();
    // Give a connection that was made a moment to be counted.
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert!(matches!(err, Error::ForeignLink { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("GET /system/members") && text.contains("another host"), "{text}");
    assert_eq!(thief.count(), 0, "the collector was contacted");
    assert!(thief.received.lock().unwrap().is_empty());
    let auth = server.requests().iter().filter(|r| r.header("authorization").is_some()).count();
    assert_eq!(auth, 1, "credentials went only to the configured server, once");
}

#[tokio::test]
async fn a_next_link_outside_the_api_root_is_refused() {
    let server = serve(|req: Request| async move {
        discovery(&req)
            .unwrap_or_else(|| Reply::json(200, "[{\"id\":1}]").with_header("Link", "</__mock/reset>; rel=\"next\""))
    })
    .await;

    let err = client(&server.url, quick_limits()).await.get_all::<Value>("/system/members").await.unwrap_err();

    assert!(err.to_string().contains("outside the API root"), "{err}");
    assert!(server.requests().iter().all(|r| !r.target.contains("reset")));
}

#[tokio::test]
async fn a_self_looping_link_chain_is_detected() {
    let server = serve(|req: Request| async move {
        if let Some(r) = discovery(&req) {
            return r;
        }
        let next = if page(&req) == 2 { 3 } else { 2 };
        Reply::json(200, "[{\"id\":1}]")
            .with_header("Link", &format!("<{API}/system/members?page={next}>; rel=\"next\""))
    })
    .await;

    let err = client(&server.url, quick_limits()).await.get_all::<Value>("/system/members").await.unwrap_err();

    assert!(matches!(err, Error::LinkLoop { .. }), "{err:?}");
    assert!(err.to_string().contains("loop back"), "{err}");
    assert_eq!(server.requests().len(), 2 + 3, "discovery, then pages 1, 2, 3");
}

#[tokio::test]
async fn an_endless_link_chain_stops_at_the_page_cap() {
    let server = serve(|req: Request| async move {
        if let Some(r) = discovery(&req) {
            return r;
        }
        let next = page(&req) + 1;
        Reply::json(200, "[]").with_header("Link", &format!("<{API}/system/members?page={next}>; rel=\"next\""))
    })
    .await;
    let limits = Limits { max_pages: 25, ..quick_limits() };

    let err = client(&server.url, limits).await.get_all::<Value>("/system/members").await.unwrap_err();

    assert!(matches!(err, Error::TooManyPages { max: 25, .. }), "{err:?}");
    assert_eq!(server.requests().len(), 2 + 25);
    assert_eq!(Limits::default().max_pages, 1_000);
}

#[tokio::test]
async fn a_body_larger_than_the_cap_is_refused_whether_declared_or_streamed() {
    let declared = serve(|req: Request| async move {
        discovery(&req).unwrap_or_else(|| {
            Reply::Stall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1700000000\r\n\r\n[".to_vec(),
            )
        })
    })
    .await;
    let streamed = serve(|req: Request| async move { discovery(&req).unwrap_or(Reply::Endless) }).await;
    let limits = Limits { max_body: 1024 * 1024, ..quick_limits() };

    let started = Instant::now();
    let e1 = client(&declared.url, limits).await.get::<Value>("/system/info").await.unwrap_err();
    let e2 = client(&streamed.url, limits).await.get::<Value>("/system/info").await.unwrap_err();

    for e in [&e1, &e2] {
        assert!(matches!(e, Error::TooLarge { limit: 1_048_576, .. }), "{e:?}");
        assert!(e.to_string().contains("larger than 1048576 bytes"), "{e}");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(Limits::default().max_body, 16 * 1024 * 1024);
}

#[tokio::test]
async fn an_answer_that_never_ends_is_a_timeout_named_as_such_and_not_retried() {
    let server = serve(|req: Request| async move {
        discovery(&req).unwrap_or_else(|| {
            Reply::Stall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[".to_vec())
        })
    })
    .await;
    let client = client(&server.url, quick_limits()).await;

    let started = Instant::now();
    let err = client.get::<Value>("/system/info").await.unwrap_err();

    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.to_string(), "GET /system/info: timed out after 1 s without a complete answer");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(server.requests().len(), 2 + 1, "a timed-out call is not repeated");
}

#[tokio::test]
async fn the_command_stops_when_its_time_limit_runs_out() {
    let server = serve(|req: Request| async move {
        discovery(&req).unwrap_or_else(|| Reply::json(503, "{}").with_header("Retry-After", "1"))
    })
    .await;
    let retry = RetryPolicy { retries: 100, ..FAST };
    let limits = Limits { command_timeout: Some(Duration::from_millis(2500)), ..quick_limits() };
    let client = Client::connect_with(&conn_to(&server.url), retry, limits).await.unwrap();

    let started = Instant::now();
    let err = client.get::<Value>("/system/info").await.unwrap_err();

    assert!(matches!(err, Error::CommandTimeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out: the command's limit of 2.5 s ran out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_fast_naming_the_servers_value() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = serve(move |req: Request| {
        let counted = counted.clone();
        async move {
            discovery(&req).unwrap_or_else(|| {
                counted.fetch_add(1, Ordering::SeqCst);
                Reply::json(429, r#"{"code":"TooManyRequests","message":"slow down"}"#)
                    .with_header("Retry-After", "100000")
            })
        }
    })
    .await;
    let client = Client::connect_with(&conn_to(&server.url), RetryPolicy::default(), quick_limits()).await.unwrap();

    let started = Instant::now();
    let err = client.get::<Value>("/system/info").await.unwrap_err();

    assert!(matches!(err, Error::RetryAfterTooLong { seconds: 100_000, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("429") && text.contains("100000 s") && text.contains("60 s"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_with_the_credentials() {
    let thief = collector().await;
    let location = format!("{}{API}/system/info", thief.url);
    let server = serve(move |req: Request| {
        let location = location.clone();
        async move { discovery(&req).unwrap_or_else(|| Reply::json(302, "{}").with_header("Location", &location)) }
    })
    .await;

    let err = client(&server.url, quick_limits()).await.get::<Value>("/system/info").await.unwrap_err();
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(err.status(), Some(302), "{err:?}");
    assert_eq!(thief.count(), 0);
}

#[tokio::test]
async fn errors_keep_their_sources() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let retry = RetryPolicy { retries: 0, ..FAST };

    let refused = Client::connect_with(&conn_to(&url), retry, quick_limits()).await.unwrap_err();
    let dir = std::env::temp_dir().join(format!("prov-src-{}", std::process::id()));
    let missing = provisioner::keyfile::read(&dir.join("none.env")).unwrap_err();

    assert!(matches!(refused, Error::Transport { .. }), "{refused:?}");
    let source = std::error::Error::source(&refused).expect("a source");
    assert!(source.downcast_ref::<reqwest::Error>().is_some(), "{source:?}");
    let text = provisioner::chain(&refused);
    assert!(text.starts_with("GET /login/companyinfo/cwmock: no answer"), "{text}");
    let io = std::error::Error::source(&missing).and_then(std::error::Error::source).expect("an I/O source");
    assert!(io.downcast_ref::<std::io::Error>().is_some(), "{io:?}");
    assert!(provisioner::chain(&missing).contains("none.env"), "{}", provisioner::chain(&missing));
}

#[tokio::test]
async fn a_record_of_the_wrong_shape_is_a_decode_error_naming_the_call() {
    let server = serve(|req: Request| async move {
        if let Some(r) = discovery(&req) {
            return r;
        }
        if req.target.contains("/system/apiMembers") {
            return Reply::json(200, r#"[{"id":"seven","identifier":"SophosSync"}]"#);
        }
        Reply::json(200, "[]")
    })
    .await;
    let client = client(&server.url, quick_limits()).await;
    let file = std::env::temp_dir().join(format!("prov-shape-{}.env", std::process::id()));

    let err = provisioner::plan::plan(&client, &provisioner::Setup::default(), &file).await.unwrap_err();

    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("GET /system/apiMembers?conditions=") && text.contains("invalid type"), "{text}");
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.downcast_ref::<serde_json::Error>().is_some());
}
