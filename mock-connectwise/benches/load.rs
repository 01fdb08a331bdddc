//! `cargo bench -p mock-connectwise --bench load`: the mock under load, in one run on one
//! machine, against the ceiling of a bare axum handler. Prints a table; see README.
//!
//! Options (after `--`): `--secs N` per scenario (default 3), `--connections N` (default 16),
//! `--skip-suite` to leave out the `cargo test` timings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use mock_connectwise::{Creds, FixtureSet, TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Clone, Copy)]
struct Options {
    secs: u64,
    connections: usize,
    suite: bool,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| -> Option<u64> {
        args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
    };
    Options {
        secs: value("--secs").unwrap_or(3),
        connections: value("--connections").map_or(16, |c| c as usize),
        suite: !args.iter().any(|a| a == "--skip-suite"),
    }
}

/// Raw samples of one scenario: latencies (µs), errors, body bytes, busy time.
#[derive(Default)]
struct Samples {
    lat: Vec<u32>,
    errors: usize,
    bytes: usize,
    secs: f64,
}

impl Samples {
    fn rps(&self) -> f64 {
        self.lat.len() as f64 / self.secs.max(1e-9)
    }

    fn bytes(&self) -> usize {
        self.bytes / self.lat.len().max(1)
    }

    fn pct(&mut self, p: f64) -> f64 {
        self.lat.sort_unstable();
        let i = ((self.lat.len() as f64 * p) as usize).min(self.lat.len().saturating_sub(1));
        self.lat.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// Numbers requests across all runs, so created identifiers never collide.
static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

/// Drives `make` from `connections` concurrent workers for `time`, adding to `into`; any
/// answer that is not 2xx counts as an error.
async fn drive(make: &MakeRequest, connections: usize, time: Duration, into: &mut Samples) {
    let deadline = Instant::now() + time;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let make = make.clone();
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client");
            let (mut lat, mut errors, mut bytes) = (Vec::new(), 0, 0usize);
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match make(&client, SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).send().await {
                    Ok(r) => {
                        let good = r.status().is_success();
                        match r.bytes().await {
                            Ok(b) => {
                                bytes += b.len();
                                good
                            }
                            Err(_) => false,
                        }
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_micros() as u32);
                errors += usize::from(!ok);
            }
            (lat, errors, bytes)
        }));
    }
    for w in workers {
        let (lat, e, b) = w.await.expect("a worker");
        into.lat.extend(lat);
        into.errors += e;
        into.bytes += b;
    }
    into.secs += started.elapsed().as_secs_f64();
}

fn authed(
    api: &str,
    creds: &Creds,
    method: Method,
    path: &str,
) -> impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + use<> {
    let (url, user, pass, client_id) = (
        format!("{api}{path}"),
        format!("{}+{}", creds.company, creds.public),
        creds.private.clone(),
        creds.client_id.clone(),
    );
    move |c: &reqwest::Client| {
        c.request(method.clone(), &url).basic_auth(&user, Some(&pass)).header("clientId", &client_id)
    }
}

/// Spawns the release binary and returns (time to first answered request, resident memory).
async fn start_binary(members: usize) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-connectwise"))
        .args(["--listen", "127.0.0.1:0", "--members", &members.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mock binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut url = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(u) = line.strip_prefix("CW_URL=") {
            url = u.to_owned();
            break;
        }
    }
    let client = reqwest::Client::new();
    // The URL is printed once the listener is bound; the first answer proves it serves.
    let ready = loop {
        if client.get(format!("{url}/login/companyinfo/cwmock")).send().await.is_ok_and(|r| r.status().is_success()) {
            break started.elapsed();
        }
    };
    let rss = std::fs::read_to_string(format!("/proc/{}/status", child.id().unwrap_or(0)))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0u64);
    let _ = child.kill().await;
    (ready, rss / 1024)
}

fn timed(args: &[&str]) -> Option<Duration> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let build = std::process::Command::new("cargo").args(args).arg("--no-run").current_dir(root).output().ok()?;
    if !build.status.success() {
        return None;
    }
    let started = Instant::now();
    let out = std::process::Command::new("cargo").args(args).current_dir(root).output().ok()?;
    out.status.success().then(|| started.elapsed())
}

fn main() {
    let opts = options();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    rt.block_on(run(opts));
}

async fn run(opts: Options) {
    eprintln!("bench: generating 100,000 members...");
    let fixtures = FixtureSet::builtin().with_bulk_members(100_000, 1);
    let app = TestApp::spawn_with(TestOptions { fixtures, ..TestOptions::default() }).await;
    let integration =
        app.member_with_levels("BenchSync", &mock_connectwise::permissions::Profile::seed().levels()).await;
    // Two ceilings: a bare axum handler returning a fixed small body, and one returning the
    // very bytes of a 25-member page, so list scenarios are compared with the cost of
    // moving the same payload and only the mock's own work (auth, permissions, query,
    // rendering) shows in the ratio.
    let page: &'static [u8] = Box::leak(
        app.get("/system/members?pageSize=25").await.expect(200).body.to_string().into_bytes().into_boxed_slice(),
    );
    let small: &'static [u8] = br#"[{"id":1,"identifier":"jdoe","firstName":"Jane","lastName":"Doe"}]"#;
    let mut bare_urls = Vec::new();
    for body in [small, page] {
        let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        bare_urls.push(format!("http://{}/", bare.local_addr().expect("addr")));
        tokio::spawn(
            async move { axum::serve(bare, Router::new().route("/", get(move || async move { body }))).await },
        );
    }

    let api = app.api.clone();
    let admin = app.admin.clone();
    let filtered = "/system/members?conditions=lastName%20like%20%22S%25%22%20and%20inactiveFlag%3Dfalse&orderBy=lastName%20desc,firstName&pageSize=25";
    let scenarios: Vec<(&str, MakeRequest)> = vec![
        ("ceiling: bare axum, fixed 60-byte body", {
            let url = bare_urls[0].clone();
            Arc::new(move |c: &reqwest::Client, _| c.get(&url))
        }),
        ("ceiling: bare axum, fixed 25-member body", {
            let url = bare_urls[1].clone();
            Arc::new(move |c: &reqwest::Client, _| c.get(&url))
        }),
        ("GET /system/members?pageSize=25 (of 100k)", {
            let f = authed(&api, &admin, Method::GET, "/system/members?pageSize=25");
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
        ("GET members, conditions + orderBy (100k)", {
            let f = authed(&api, &admin, Method::GET, filtered);
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
        ("GET /system/members/count", {
            let f = authed(&api, &admin, Method::GET, "/system/members/count");
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
        ("POST /system/members", {
            let f = authed(&api, &admin, Method::POST, "/system/members");
            Arc::new(move |c: &reqwest::Client, n| {
                f(c).json(&json!({
                    "identifier": format!("b{n:x}"), "firstName": "Bench", "lastName": "Mark", "licenseClass": "F",
                    "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
                    "securityRole": { "id": 2 }
                }))
            })
        }),
        ("PATCH /system/members/{id}", {
            let api = api.clone();
            let admin = admin.clone();
            Arc::new(move |c: &reqwest::Client, n| {
                let id = 10 + (n % 90_000);
                authed(&api, &admin, Method::PATCH, &format!("/system/members/{id}"))(c)
                    .json(&json!([{ "op": "replace", "path": "title", "value": format!("t{n}") }]))
            })
        }),
        ("GET /company/companies as the integration role", {
            let f = authed(&api, &integration, Method::GET, "/company/companies?pageSize=25");
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
    ];
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["scenario", "req/s", "p50 ms", "p99 ms", "body bytes", "errors", "of ceiling"]);
    // Each scenario runs in short rounds alternating with the ceiling whose body is nearer
    // its own in size, so drift in the machine's speed during the run cancels out of the
    // ratio.
    let mut scenarios = scenarios.into_iter();
    let ceilings: Vec<(&str, MakeRequest)> = scenarios.by_ref().take(2).collect();
    let mut probe = Samples::default();
    drive(&ceilings[1].1, 1, Duration::from_millis(100), &mut probe).await;
    let large_body = probe.bytes();
    let round = Duration::from_millis(500);
    let rounds = (opts.secs * 2).max(1);
    let mut ceiling_totals = [Samples::default(), Samples::default()];
    let mut rows = Vec::new();
    for (name, make) in scenarios {
        eprintln!("bench: {name}...");
        let narrow = name.contains("conditions");
        let connections = if narrow { 2 } else { opts.connections };
        let mut mine = Samples::default();
        drive(&make, 1, Duration::from_millis(100), &mut mine).await;
        let which = usize::from(mine.bytes() * 2 > large_body);
        let (mut mine, mut theirs) = (Samples::default(), Samples::default());
        for _ in 0..rounds {
            drive(&ceilings[which].1, opts.connections, round, &mut theirs).await;
            drive(&make, connections, round, &mut mine).await;
        }
        let ratio = mine.rps() / theirs.rps();
        let total = &mut ceiling_totals[which];
        total.lat.extend(theirs.lat.iter());
        total.errors += theirs.errors;
        total.bytes += theirs.bytes;
        total.secs += theirs.secs;
        let label = if narrow { format!("{name} [{connections} connections]") } else { name.to_owned() };
        rows.push([
            label,
            format!("{:.0}", mine.rps()),
            format!("{:.2}", mine.pct(0.50)),
            format!("{:.2}", mine.pct(0.99)),
            mine.bytes().to_string(),
            mine.errors.to_string(),
            format!("{:.0}%", 100.0 * ratio),
        ]);
    }
    for ((name, _), mut c) in ceilings.iter().zip(ceiling_totals) {
        table.add_row([
            (*name).to_owned(),
            format!("{:.0}", c.rps()),
            format!("{:.2}", c.pct(0.50)),
            format!("{:.2}", c.pct(0.99)),
            c.bytes().to_string(),
            c.errors.to_string(),
            "100%".to_owned(),
        ]);
    }
    for row in rows {
        table.add_row(row);
    }
    println!(
        "Load: {} connections, {} s per scenario, client and server on the same machine\n{table}",
        opts.connections, opts.secs
    );

    let mut other = Table::new();
    other.load_style(UTF8_FULL_CONDENSED);
    other.set_header(["measure", "value", "target"]);
    for (members, start_target, memory_target) in
        [(0, "< 100 ms", ""), (100_000, "", ""), (1_000_000, "< 3 s", "< 300 MB")]
    {
        eprintln!("bench: starting the binary with {members} extra members...");
        let (ready, rss) = start_binary(members).await;
        other.add_row([
            format!("start-up to first answer, {members} extra members"),
            format!("{} ms", ready.as_millis()),
            start_target.to_owned(),
        ]);
        other.add_row([
            format!("resident memory, {members} extra members"),
            format!("{rss} MB"),
            memory_target.to_owned(),
        ]);
    }
    other.add_row([
        "store heap estimate, 100k members".to_owned(),
        format!("{} MB", app.store.records_heap_bytes() / (1024 * 1024)),
        String::new(),
    ]);
    if opts.suite {
        eprintln!("bench: timing the test suites (built first, not timed)...");
        let show = |d: Option<Duration>| d.map_or_else(|| "failed".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()));
        other.add_row([
            "cargo test --workspace, once built".to_owned(),
            show(timed(&["test", "--workspace", "-q"])),
            String::new(),
        ]);
        other.add_row([
            "conformance features, embedded mock".to_owned(),
            show(timed(&["test", "-q", "-p", "conformance", "--test", "features"])),
            "< 10 s".to_owned(),
        ]);
    }
    println!("\n{other}");
}
