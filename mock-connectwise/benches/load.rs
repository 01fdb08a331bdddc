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

#[path = "load/callbacks.rs"]
mod callbacks;
#[path = "load/drive.rs"]
mod drive;
#[path = "load/forms.rs"]
mod forms;
#[path = "load/in_process.rs"]
mod in_process;
#[path = "load/mixed.rs"]
mod mixed;

use callbacks::{CALLBACKS_CASE, callbacks_case};
use drive::{MakeRequest, Samples, authed, drive};
use forms::{against_the_plain_page, same_records_asked_every_way};
use in_process::in_process;
use mixed::mixed;

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

/// The filtered + ordered list: about 9,400 of 100,000 members match.
const FILTERED: &str = "/system/members?conditions=lastName%20like%20%22S%25%22%20and%20inactiveFlag%3Dfalse&orderBy=lastName%20desc,firstName&pageSize=25";
