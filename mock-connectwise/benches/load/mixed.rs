//! The 90/10 read/write mix, alone and beside a pathological query.

use super::*;

/// The 90/10 mix alone, then again while one client keeps a pathological query running
/// (each stopped by a 1 s budget), and what that did to everyone else's latency.
pub(super) async fn mixed(app: &TestApp, idents: &[String], opts: &Options) {
    let make = mixed_workload(&app.api, &app.admin, idents);
    let time = Duration::from_secs(opts.secs * 2);
    eprintln!("bench: mixed 90/10 read/write...");
    let mut alone = Samples::default();
    drive(&make, opts.connections, time, &mut alone).await;

    eprintln!("bench: mixed 90/10 read/write with a 1 s pathological query running...");
    let budget = app.store.query_budget();
    app.store.set_query_budget(Duration::from_secs(1));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let long = tokio::spawn({
        let (stop, client) = (stop.clone(), reqwest::Client::new());
        let f = authed(
            &app.api,
            &app.admin,
            Method::GET,
            &format!("/system/members?conditions={}", encode(&pathological())),
        );
        async move {
            let mut ran = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let status = f(&client).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                ran.push((t.elapsed(), status));
            }
            ran
        }
    });
    let mut with = Samples::default();
    drive(&make, opts.connections, time, &mut with).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ran = long.await.expect("the pathological client");
    app.store.set_query_budget(budget);

    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["mixed 90/10 read/write, 100k members", "req/s", "p50 ms", "p99 ms", "errors", "target"]);
    let (alone_p99, with_p99) = (alone.pct(0.99), with.pct(0.99));
    for (name, s, target) in
        [("alone", &mut alone, "p99 < 5 ms"), ("while a 1 s pathological query runs", &mut with, "")]
    {
        table.add_row([
            name.to_owned(),
            format!("{:.0}", s.rps()),
            format!("{:.2}", s.pct(0.50)),
            format!("{:.2}", s.pct(0.99)),
            s.errors.to_string(),
            target.to_owned(),
        ]);
    }
    let statuses: Vec<String> = ran.iter().map(|(d, s)| format!("{s} in {} ms", d.as_millis())).collect();
    table.add_row([
        format!("p99 added by the pathological queries ({})", statuses.join(", ")),
        String::new(),
        String::new(),
        format!("{:+.2}", with_p99 - alone_p99),
        String::new(),
        "< 5 ms".to_owned(),
    ]);
    println!("\n{table}");
}
