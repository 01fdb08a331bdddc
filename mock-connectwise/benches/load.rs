//! `cargo bench -p mock-connectwise --bench load`: the mock under load, in one run on one
//! machine, against the ceiling of a bare axum handler. Prints a table; see docs/benchmark.md.
//!
//! Options (after `--`): `--secs N` per scenario (default 3), `--connections N` (default 16),
//! `--skip-suite` to leave out the `cargo test` timings, `--only TEXT` to run only the
//! scenarios whose name contains TEXT (and none of the million-record or memory parts unless
//! TEXT names them: `1M`, `memory`, `mixed`), `--in-process` to time the mock's own work per
//! request instead: the router called directly, no socket and no client, single-threaded (the
//! numbers to profile with `perf record`; `--only` picks the scenarios; `--requests N` runs
//! exactly N of each, for counting instructions with `perf stat`).

/// The allocator the mock binary ships with (`src/main.rs`), for the mock and the ceiling alike.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use mock_connectwise::{Creds, FixtureSet, TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Clone)]
struct Options {
    secs: u64,
    connections: usize,
    suite: bool,
    only: Option<String>,
    in_process: bool,
    /// `--requests N`: in process, exactly N requests per scenario instead of `--secs`.
    requests: Option<u64>,
}

impl Options {
    fn runs(&self, name: &str) -> bool {
        self.only.as_deref().is_none_or(|o| name.contains(o))
    }
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
        only: args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned(),
        in_process: args.iter().any(|a| a == "--in-process"),
        requests: value("--requests"),
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

/// Spawns the release binary and returns (time to first answered request, resident memory
/// right then, resident memory once lookups have built the member indexes).
async fn start_binary(members: usize) -> (Duration, u64, u64) {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-connectwise"))
        .args(["--listen", "127.0.0.1:0", "--members", &members.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mock binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut env = std::collections::HashMap::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_owned(), v.to_owned());
        }
        if env.contains_key("CW_CLIENT_ID") {
            break;
        }
    }
    let url = env.get("CW_URL").cloned().unwrap_or_default();
    let client = reqwest::Client::new();
    // The URL is printed once the listener is bound; the first answer proves it serves.
    let ready = loop {
        if client.get(format!("{url}/login/companyinfo/cwmock")).send().await.is_ok_and(|r| r.status().is_success()) {
            break started.elapsed();
        }
    };
    let pid = child.id().unwrap_or(0);
    let rss = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0u64)
            / 1024
    };
    let at_start = rss();
    let get = |cond: &str| {
        client
            .get(format!("{url}/v4_6_release/apis/3.0/system/members?conditions={}", encode(cond)))
            .basic_auth(
                format!(
                    "{}+{}",
                    env.get("CW_COMPANY").map_or("", String::as_str),
                    env.get("CW_PUBLIC_KEY").map_or("", String::as_str)
                ),
                env.get("CW_PRIVATE_KEY"),
            )
            .header("clientId", env.get("CW_CLIENT_ID").map_or("", String::as_str))
    };
    for cond in ["identifier = \"admin1\"", "lastName like \"S%\"", "firstName = \"John\"", "securityRole/id = 1"] {
        let status = get(cond).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
        assert_eq!(status, 200, "warming the index of {cond}");
    }
    let with_indexes = rss();
    let _ = child.kill().await;
    (ready, at_start, with_indexes)
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
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
    // `--only callbacks` runs the callbacks case alone (see `callbacks_case`, below).
    if !opts.only.as_deref().is_some_and(|o| CALLBACKS_CASE.starts_with(o)) {
        rt.block_on(run(opts.clone()));
    }
    if opts.runs(CALLBACKS_CASE) {
        rt.block_on(callbacks_case(&opts));
    }
}

async fn spawn(members: usize) -> TestApp {
    let fixtures = FixtureSet::builtin().with_bulk_members(members, 1);
    TestApp::spawn_with(TestOptions { fixtures, ..TestOptions::default() }).await
}

/// Up to 1000 identifiers of the app's members (every 97th).
async fn identifiers(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for page in 1..=10 {
        let got =
            app.get(&format!("/system/members?pageSize=1000&page={}&fields=identifier", page * 9)).await.expect(200);
        out.extend(
            got.body.as_array().into_iter().flatten().filter_map(|m| m["identifier"].as_str().map(str::to_owned)),
        );
    }
    out.into_iter().step_by(10).collect()
}

fn lookups(api: &str, creds: &Creds, path: &str, values: Vec<String>) -> MakeRequest {
    let urls: Vec<_> =
        values.into_iter().map(|v| authed(api, creds, Method::GET, &path.replace("{}", &encode(&v)))).collect();
    Arc::new(move |c: &reqwest::Client, n| urls[n as usize % urls.len()](c))
}

/// A query that checks 300 `like "%N%"` terms against every member: the worst a client
/// can ask within the conditions limits.
fn pathological() -> String {
    (0..300).map(|n| format!("firstName like \"%{n}%\"")).collect::<Vec<_>>().join(" or ")
}

/// 90% reads (identifier lookups, single members, 25-member pages), 10% PATCHes.
fn mixed_workload(api: &str, creds: &Creds, idents: &[String]) -> MakeRequest {
    let lookup = lookups(api, creds, "/system/members?conditions=identifier%3D%22{}%22", idents.to_vec());
    let (api, creds) = (api.to_owned(), creds.clone());
    Arc::new(move |c: &reqwest::Client, n| match n % 10 {
        0 => authed(&api, &creds, Method::PATCH, &format!("/system/members/{}", 10 + n % 90_000))(c)
            .json(&json!([{ "op": "replace", "path": "title", "value": format!("t{n}") }])),
        1..=4 => lookup(c, n),
        5..=7 => authed(&api, &creds, Method::GET, &format!("/system/members/{}", 10 + n % 90_000))(c),
        _ => authed(&api, &creds, Method::GET, &format!("/system/members?pageSize=25&page={}", 1 + n % 200))(c),
    })
}

async fn run(opts: Options) {
    eprintln!("bench: generating 100,000 members...");
    let app = spawn(100_000).await;
    let integration =
        app.member_with_levels("BenchSync", &mock_connectwise::permissions::Profile::seed().levels()).await;
    let idents = identifiers(&app).await;
    if opts.in_process {
        return in_process(&app, &integration, &idents, &opts).await;
    }
    let api = app.api.clone();
    let admin = app.admin.clone();
    // Ceilings: a bare axum handler returning a fixed body of about the size of each
    // scenario's answer (60 bytes, one member, 25 members), so only the mock's own work (auth,
    // permissions, query, rendering) shows in the ratio.
    let page: &'static [u8] = Box::leak(
        app.get("/system/members?pageSize=25").await.expect(200).body.to_string().into_bytes().into_boxed_slice(),
    );
    let one_path = format!("/system/members?conditions={}", encode(&format!("identifier = \"{}\"", idents[0])));
    let one: &'static [u8] =
        Box::leak(app.get(&one_path).await.expect(200).body.to_string().into_bytes().into_boxed_slice());
    let small: &'static [u8] = br#"[{"id":1,"identifier":"jdoe","firstName":"Jane","lastName":"Doe"}]"#;
    let mut bare_urls = Vec::new();
    for body in [small, one, page] {
        let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        bare_urls.push(format!("http://{}/", bare.local_addr().expect("addr")));
        tokio::spawn(
            async move { axum::serve(bare, Router::new().route("/", get(move || async move { body }))).await },
        );
    }
    let ceiling = |i: usize| -> MakeRequest {
        let url = bare_urls[i].clone();
        Arc::new(move |c: &reqwest::Client, _| c.get(&url))
    };
    let ceilings: Vec<(&str, MakeRequest)> = vec![
        ("ceiling: bare axum, fixed 60-byte body", ceiling(0)),
        ("ceiling: bare axum, fixed one-member body", ceiling(1)),
        ("ceiling: bare axum, fixed 25-member body", ceiling(2)),
    ];

    let filtered = FILTERED;
    let mut scenarios: Vec<(String, MakeRequest)> = vec![
        ("GET /system/members?pageSize=25 (of 100k)".into(), {
            let f = authed(&api, &admin, Method::GET, "/system/members?pageSize=25");
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
        (
            "GET members, identifier lookup (100k)".into(),
            lookups(&api, &admin, "/system/members?conditions=identifier%3D%22{}%22", idents.clone()),
        ),
        ("GET members, conditions + orderBy (100k)".into(), {
            let f = authed(&api, &admin, Method::GET, filtered);
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
        ("GET /system/members/count".into(), {
            let f = authed(&api, &admin, Method::GET, "/system/members/count");
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
        ("POST /system/members".into(), {
            let f = authed(&api, &admin, Method::POST, "/system/members");
            Arc::new(move |c: &reqwest::Client, n| {
                f(c).json(&json!({
                    "identifier": format!("b{n:x}"), "firstName": "Bench", "lastName": "Mark", "licenseClass": "F",
                    "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
                    "securityRole": { "id": 2 }
                }))
            })
        }),
        ("PATCH /system/members/{id}".into(), {
            let api = api.clone();
            let admin = admin.clone();
            Arc::new(move |c: &reqwest::Client, n| {
                let id = 10 + (n % 90_000);
                authed(&api, &admin, Method::PATCH, &format!("/system/members/{id}"))(c)
                    .json(&json!([{ "op": "replace", "path": "title", "value": format!("t{n}") }]))
            })
        }),
        ("GET /company/companies as the integration role".into(), {
            let f = authed(&api, &integration, Method::GET, "/company/companies?pageSize=25");
            Arc::new(move |c: &reqwest::Client, _| f(c))
        }),
    ];
    scenarios.retain(|(name, _)| opts.runs(name));
    let big = if opts.runs("1M") {
        eprintln!("bench: generating 1,000,000 members and 1,000,000 tickets over 10,000 companies...");
        let big = spawn(1_000_000).await;
        let companies = big.store.generate_tickets(&big.admin.company, 10_000, 1_000_000).expect("tickets generated");
        let idents = identifiers(&big).await;
        let company_ids: Vec<String> = companies.iter().step_by(7).map(u32::to_string).collect();
        scenarios.push((
            "GET members, identifier lookup (1M)".into(),
            lookups(&big.api, &big.admin, "/system/members?conditions=identifier%3D%22{}%22", idents),
        ));
        scenarios.push((
            "GET tickets, company/id lookup (1M tickets)".into(),
            lookups(&big.api, &big.admin, "/service/tickets?conditions=company%2Fid%3D{}", company_ids),
        ));
        scenarios.extend(same_records_asked_every_way(&big).await.into_iter().filter(|(name, _)| opts.runs(name)));
        Some(big)
    } else {
        None
    };

    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["scenario", "req/s", "p50 ms", "p99 ms", "body bytes", "errors", "of ceiling"]);
    // Each scenario runs in short rounds alternating with the ceiling whose body is nearest
    // its own in size, so drift in the machine's speed during the run cancels out of the
    // ratio.
    let mut sizes = Vec::new();
    for (_, c) in &ceilings {
        let mut probe = Samples::default();
        drive(c, 1, Duration::from_millis(100), &mut probe).await;
        sizes.push(probe.bytes().max(1) as f64);
    }
    let round = Duration::from_millis(500);
    let rounds = (opts.secs * 2).max(1);
    let mut ceiling_totals: Vec<Samples> = ceilings.iter().map(|_| Samples::default()).collect();
    let mut rows = Vec::new();
    for (name, make) in scenarios {
        eprintln!("bench: {name}...");
        // The 100k filtered list keeps its two connections (one per core) from earlier rounds;
        // the million-record forms all run on `--connections`, so their ratios compare.
        let narrow = name == "GET members, conditions + orderBy (100k)";
        let connections = if narrow { 2 } else { opts.connections };
        let mut mine = Samples::default();
        drive(&make, 1, Duration::from_millis(100), &mut mine).await;
        let own = mine.bytes().max(1) as f64;
        let which = (0..sizes.len())
            .min_by(|&a, &b| (own / sizes[a]).ln().abs().total_cmp(&(own / sizes[b]).ln().abs()))
            .unwrap_or(0);
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
        let label = if narrow { format!("{name} [{connections} connections]") } else { name.clone() };
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
        if c.lat.is_empty() {
            continue;
        }
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
    let forms = against_the_plain_page(&rows);
    for row in rows {
        table.add_row(row);
    }
    println!(
        "Load: {} connections, {} s per scenario, client and server on the same machine\n{table}",
        opts.connections, opts.secs
    );
    if let Some(forms) = forms {
        println!("\n{forms}");
    }
    drop(big);

    if opts.runs("mixed") {
        mixed(&app, &idents, &opts).await;
    }

    let mut other = Table::new();
    other.load_style(UTF8_FULL_CONDENSED);
    other.set_header(["measure", "value", "target"]);
    let sizes: &[(usize, &str, &str)] =
        &[(0, "< 100 ms", "≤ 30 MB"), (100_000, "", ""), (1_000_000, "< 3 s", "< 320 MB")];
    for &(members, start_target, memory_target) in sizes.iter().filter(|_| opts.runs("memory")) {
        eprintln!("bench: starting the binary with {members} extra members...");
        let (ready, rss, indexed) = start_binary(members).await;
        other.add_row([
            format!("start-up to first answer, {members} extra members"),
            format!("{} ms", ready.as_millis()),
            start_target.to_owned(),
        ]);
        other.add_row([format!("resident memory, {members} extra members"), format!("{rss} MB"), String::new()]);
        other.add_row([
            format!("resident memory, {members} extra members, member indexes built"),
            format!("{indexed} MB"),
            memory_target.to_owned(),
        ]);
    }
    other.add_row([
        "store heap estimate, 100k members (with the indexes built above)".to_owned(),
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

/// The 90/10 mix alone, then again while one client keeps a pathological query running
/// (each stopped by a 1 s budget), and what that did to everyone else's latency.
async fn mixed(app: &TestApp, idents: &[String], opts: &Options) {
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

/// The filtered + ordered list: about 9,400 of 100,000 members match.
const FILTERED: &str = "/system/members?conditions=lastName%20like%20%22S%25%22%20and%20inactiveFlag%3Dfalse&orderBy=lastName%20desc,firstName&pageSize=25";

/// `--in-process`: the GET scenarios served by the router itself, one at a time, for
/// `--secs` each: what the mock spends per request, without sockets, HTTP parsing or client.
async fn in_process(app: &TestApp, integration: &Creds, idents: &[String], opts: &Options) {
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

// ---------------------------------------------------------------------------------------------
// Callbacks (issue 26): a ticket POST's latency is unchanged while every write fires a callback
// to a receiver that takes 5 s to answer. Self-contained: its own mock, receiver and table.
// ---------------------------------------------------------------------------------------------

/// The callbacks case's name (and what `--only` selects it by).
const CALLBACKS_CASE: &str = "callbacks: POST /service/tickets with a 5 s receiver";

/// POST /service/tickets on two mocks, one without any callback entry and one with an
/// owner-level ticket entry whose receiver answers after 5 s (the delivery timeout), driven in
/// alternating one-second rounds so the machine's other load falls on both alike; the p99 with
/// callbacks must stay within 1.5 x the p99 without (+0.5 ms for timer noise).
async fn callbacks_case(opts: &Options) {
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

/// The 1M plain page, and the forms compared with it and with the navigable filtered page.
const PLAIN_1M: &str = "GET /system/members?pageSize=25 (of 1M)";
const NAVIGABLE_1M: &str = "GET members, filtered + ordered, navigable (1M)";
/// `lastName like "S%" and inactiveFlag = false` (about 94,000 of 1,000,000 members match).
const FILTER_1M: &str = "lastName like \"S%\" and inactiveFlag = false";

/// Issue 29: the same records asked for every way a client asks, at a million members and a
/// million tickets: a navigable page (whose `Link: rel="last"` needs the total), the count,
/// forward-only pages from random cursors, `childConditions`, `customFieldConditions`, and
/// tickets as sync applications ask (`closedFlag`, `status/id in (...)`, `lastUpdated`).
async fn same_records_asked_every_way(big: &TestApp) -> Vec<(String, MakeRequest)> {
    let (api, admin) = (big.api.clone(), big.admin.clone());
    let get = |path: String| -> MakeRequest {
        let f = authed(&api, &admin, Method::GET, &path);
        Arc::new(move |c: &reqwest::Client, _| f(c))
    };
    // Forward-only pages from cursors spread over the table: each request one page, as a
    // sync application resuming where it stopped asks.
    let forward = |path: String, last: u32| -> MakeRequest {
        let urls: Vec<_> = (0..64u32)
            .map(|i| authed(&api, &admin, Method::GET, &format!("{path}&pageId={}", i * (last / 64))))
            .collect();
        Arc::new(move |c: &reqwest::Client, n| {
            urls[n as usize % urls.len()](c).header("pagination-type", "forward-only")
        })
    };
    // Custom fields on 2,000 members (every 500th), as an integration tags the ones it syncs.
    for id in (10..1_000_000u32).step_by(500) {
        let patch = json!([{ "op": "add", "path": "customFields", "value": [{ "id": 7, "caption": "Tier", "type": "Text", "entryMethod": "EntryField", "numberOfDecimals": 0, "value": if id % 1000 == 10 { "Gold" } else { "Silver" } }] }]);
        big.call(&admin, Method::PATCH, &format!("/system/members/{id}"), Some(patch)).await.expect(200);
    }
    // The ticket statuses of the generated tickets: the first two open ones seen.
    let tickets = big.get("/service/tickets?pageSize=200&fields=status,closedFlag").await.expect(200);
    let mut open: Vec<i64> = Vec::new();
    for t in tickets.body.as_array().into_iter().flatten() {
        if let (Some(id), Some(false)) = (t["status"]["id"].as_i64(), t["closedFlag"].as_bool()) {
            if !open.contains(&id) && open.len() < 2 {
                open.push(id);
            }
        }
    }
    let statuses = open.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sync = format!("closedFlag = false and status/id in ({statuses})");
    let company = big.get("/company/companies?pageSize=1&orderBy=id%20desc&fields=types").await.expect(200);
    let type_id = company.body[0]["types"][0]["id"].as_i64().unwrap_or(1);
    let members = encode(FILTER_1M);
    let since = encode("lastUpdated > [2000-01-01T00:00:00Z]");
    vec![
        (PLAIN_1M.into(), get("/system/members?pageSize=25".into())),
        (
            NAVIGABLE_1M.into(),
            get(format!("/system/members?conditions={members}&orderBy=lastName%20desc,firstName&pageSize=25")),
        ),
        ("GET /system/members/count, filtered (1M)".into(), get(format!("/system/members/count?conditions={members}"))),
        (
            "GET members, filtered, forward-only (1M)".into(),
            forward(format!("/system/members?conditions={members}&pageSize=25"), 1_000_000),
        ),
        (
            "GET members, filtered, navigable in id order (1M)".into(),
            get(format!("/system/members?conditions={members}&pageSize=25&page=3")),
        ),
        (
            "GET members, customFieldConditions (1M)".into(),
            get(format!("/system/members?customFieldConditions={}&pageSize=25", encode("id = 7 and value = \"Gold\""))),
        ),
        (
            "GET companies, childConditions types/id (10k companies of the 1M run)".into(),
            get(format!("/company/companies?childConditions={}&pageSize=25", encode(&format!("types/id = {type_id}")))),
        ),
        (
            "GET tickets, closedFlag + status/id in (1M tickets)".into(),
            get(format!("/service/tickets?conditions={}&pageSize=25", encode(&sync))),
        ),
        (
            "GET /service/tickets/count, closedFlag + status/id in (1M tickets)".into(),
            get(format!("/service/tickets/count?conditions={}", encode(&sync))),
        ),
        (
            "GET tickets, closedFlag + status/id in, forward-only (1M tickets)".into(),
            forward(format!("/service/tickets?conditions={}&pageSize=25", encode(&sync)), 1_000_000),
        ),
        (
            "GET tickets, lastUpdated since, forward-only (1M tickets)".into(),
            forward(format!("/service/tickets?conditions={since}&pageSize=25"), 1_000_000),
        ),
    ]
}

/// Each million-record form's req/s against the plain 1M page (target ≥ 10%), and the count
/// and forward-only page against the navigable one (target ≥ 50%); `None` without the plain
/// page in this run.
fn against_the_plain_page(rows: &[[String; 7]]) -> Option<Table> {
    let rps = |name: &str| rows.iter().find(|r| r[0] == name).and_then(|r| r[1].parse::<f64>().ok());
    let plain = rps(PLAIN_1M)?;
    let navigable = rps(NAVIGABLE_1M);
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["same records, every way (1M)", "req/s", "of the plain page", "of the navigable page"]);
    for row in rows.iter().filter(|r| r[0].contains("1M")) {
        let Ok(mine) = row[1].parse::<f64>() else { continue };
        let of_navigable = match navigable {
            Some(n) if row[0].contains("members/count") || row[0].contains("members, filtered, forward") => {
                format!("{:.0}% (≥ 50%)", 100.0 * mine / n)
            }
            _ => String::new(),
        };
        table.add_row([row[0].clone(), row[1].clone(), format!("{:.0}% (≥ 10%)", 100.0 * mine / plain), of_navigable]);
    }
    Some(table)
}
