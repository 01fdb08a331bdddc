//! The callbacks case: ticket writes with and without a slow receiver.

use super::*;

// ---------------------------------------------------------------------------------------------
// Callbacks (issue 26): a ticket POST's latency is unchanged while every write fires a callback
// to a receiver that takes 5 s to answer. Self-contained: its own mock, receiver and table.
// ---------------------------------------------------------------------------------------------

/// The callbacks case's name (and what `--only` selects it by).
pub(super) const CALLBACKS_CASE: &str = "callbacks: POST /service/tickets with a 5 s receiver";

/// POST /service/tickets on two mocks, one without any callback entry and one with an
/// owner-level ticket entry whose receiver answers after 5 s (the delivery timeout), driven in
/// alternating one-second rounds so the machine's other load falls on both alike; the p99 with
/// callbacks must stay within 1.5 x the p99 without (+0.5 ms for timer noise).
pub(super) async fn callbacks_case(opts: &Options) {
    let (plain, firing) = (TestApp::spawn().await, TestApp::spawn().await);
    let post = |app: &TestApp| -> MakeRequest {
        let f = authed(&app.api, &app.admin, Method::POST, "/service/tickets");
        Arc::new(move |c: &reqwest::Client, n| {
            f(c).json(&json!({ "summary": format!("bench {n}"), "company": { "id": 2 }, "board": { "id": 1 } }))
        })
    };
    let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let slow_url = format!("http://{}/hook?id=", slow.local_addr().expect("addr"));
    let receiver = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "ok"
    });
    tokio::spawn(async move { axum::serve(slow, receiver).await });
    let entry = json!({ "url": slow_url, "objectId": 1, "type": "ticket", "level": "owner" });
    firing.call(&firing.admin, Method::POST, "/system/callbacks", Some(entry)).await.expect(201);
    let (without_make, with_make) = (post(&plain), post(&firing));
    let (mut without, mut with) = (Samples::default(), Samples::default());
    eprintln!("bench: {CALLBACKS_CASE}: {} alternating rounds...", opts.secs);
    for _ in 0..opts.secs.max(1) {
        drive(&without_make, opts.connections, Duration::from_secs(1), &mut without).await;
        drive(&with_make, opts.connections, Duration::from_secs(1), &mut with).await;
    }
    let status = firing.console(Method::GET, "/callbacks", None).await.expect(200).body;
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["scenario", "req/s", "p50 ms", "p99 ms", "errors", "target"]);
    let (p99_without, p99_with) = (without.pct(0.99), with.pct(0.99));
    for (label, s, target) in [
        ("POST /service/tickets, no callback entry", &mut without, String::new()),
        (
            "POST /service/tickets, every write fires a callback (receiver: 5 s)",
            &mut with,
            format!("p99 <= 1.5 x + 0.5 ms: {}", if p99_with <= p99_without * 1.5 + 0.5 { "met" } else { "MISSED" }),
        ),
    ] {
        table.add_row([
            label.to_owned(),
            format!("{:.0}", s.rps()),
            format!("{:.2}", s.pct(0.50)),
            format!("{:.2}", s.pct(0.99)),
            s.errors.to_string(),
            target,
        ]);
    }
    println!(
        "Callbacks: {} connections, {} s each; deliveries meanwhile: {} waiting, {} in flight, {} dropped at the queue's cap\n{table}",
        opts.connections, opts.secs, status["waiting"], status["inFlight"], status["dropped"]
    );
}
