//! `--in-process`: the mock's own work per request, without sockets or client.

use super::*;

/// `--in-process`: the GET scenarios served by the router itself, one at a time, for
/// `--secs` each: what the mock spends per request, without sockets, HTTP parsing or client.
pub(super) async fn in_process(app: &TestApp, integration: &Creds, idents: &[String], opts: &Options) {
    let router = mock_connectwise::App::new(app.store.clone(), mock_connectwise::ApiConfig::default());
    let basic = |c: &Creds| {
        use base64::Engine;
        let raw = format!("{}+{}:{}", c.company, c.public, c.private);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    };
    let lookup =
        |n: usize| format!("/system/members?conditions=identifier%3D%22{}%22", encode(&idents[n % idents.len()]));
    type Path<'a> = Box<dyn Fn(usize) -> String + 'a>;
    let scenarios: Vec<(&str, &Creds, Path<'_>)> = vec![
        ("GET /system/members?pageSize=25 (of 100k)", &app.admin, Box::new(|_| "/system/members?pageSize=25".into())),
        ("GET members, identifier lookup (100k)", &app.admin, Box::new(lookup)),
        ("GET members, conditions + orderBy (100k)", &app.admin, Box::new(|_| FILTERED.into())),
        ("GET /system/members/count", &app.admin, Box::new(|_| "/system/members/count".into())),
        (
            "GET /company/companies as the integration role",
            integration,
            Box::new(|_| "/company/companies?pageSize=25".into()),
        ),
    ];
    let host = app.url.trim_start_matches("http://");
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["scenario, in process", "requests", "µs per request", "CPU µs per request", "body bytes"]);
    for (name, creds, path) in scenarios.iter().filter(|(name, ..)| opts.runs(name)) {
        eprintln!("bench: in process: {name}...");
        let auth = basic(creds);
        let (started, cpu_before, mut n, mut bytes) = (Instant::now(), on_cpu_ns(), 0usize, 0usize);
        let more = |n: usize| match opts.requests {
            Some(limit) => (n as u64) < limit,
            None => started.elapsed() < Duration::from_secs(opts.secs),
        };
        while more(n) {
            let req = axum::http::Request::get(format!("/v4_6_release/apis/3.0{}", path(n)))
                // The host clients use, so links (and the render cache keyed by them) match.
                .header("host", host)
                .header("authorization", &auth)
                .header("clientid", &creds.client_id)
                .header("accept", "*/*")
                .body(axum::body::Body::empty())
                .expect("a request");
            let res = router.clone().serve(req).await;
            assert!(res.status().is_success(), "{name}: {}", res.status());
            bytes += axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("a body").len();
            n += 1;
        }
        let us = started.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
        let cpu_us = (on_cpu_ns() - cpu_before) as f64 / 1e3 / n.max(1) as f64;
        table.add_row([
            (*name).to_owned(),
            n.to_string(),
            format!("{us:.1}"),
            format!("{cpu_us:.1}"),
            (bytes / n.max(1)).to_string(),
        ]);
    }
    println!("{table}");
}

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`; 0 elsewhere): the in-process
/// timing that other processes on the machine do not inflate.
fn on_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
