//! `mock-connectwise`: serve the mock on a local address until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

/// mimalloc instead of glibc's malloc: allocation was a quarter of the mock's CPU per call,
/// with arena contention between worker threads (docs/benchmark.md measures the difference).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use mock_connectwise::{ApiConfig, FixtureSet, Store, StoreConfig, SystemClock, serve};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A stateful mock of the ConnectWise Manage REST API that enforces security-role levels.
///
/// Every flag can also be set in the environment (`CW_MOCK_<FLAG>`, e.g. `CW_MOCK_SOFT=true`,
/// `CW_MOCK_LISTEN=0.0.0.0:8080`), as containers are configured; a flag given wins.
///
/// After binding it prints the seeded admin's connection settings on stdout, one per line
/// (CW_URL, CW_COMPANY, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID), so `eval` or `set -a`
/// can use them. Logs go to stderr (RUST_LOG sets the filter, default `info`).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed in CW_URL).
    #[arg(long, env = "CW_MOCK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A fixture directory (one JSON file per tenant); default: the built-in set, a copy of
    /// the repository's fixtures/default.
    #[arg(long, env = "CW_MOCK_FIXTURES")]
    fixtures: Option<PathBuf>,
    /// Generate this many extra members (with `fake`) in the first tenant.
    #[arg(long, env = "CW_MOCK_MEMBERS", default_value_t = 0)]
    members: usize,
    /// Generate this many extra companies (with `fake` names, each with its Main site) in the
    /// first tenant.
    #[arg(long, env = "CW_MOCK_COMPANIES", default_value_t = 0)]
    companies: usize,
    /// Generate this many service tickets in the first tenant, spread over the generated
    /// companies (or the fixture's companies when --companies is 0) and the active service
    /// boards, each with a status of its board.
    #[arg(long, env = "CW_MOCK_TICKETS", default_value_t = 0)]
    tickets: usize,
    /// Seed for generated members, companies, tickets, keys and passwords (the same seed gives
    /// the same data).
    #[arg(long, env = "CW_MOCK_SEED")]
    seed: Option<u64>,
    /// The codebase path before apis/3.0, with its trailing slash.
    #[arg(long, env = "CW_MOCK_CODEBASE", default_value = mock_connectwise::DEFAULT_CODEBASE)]
    codebase: String,
    /// Start in soft mode: nothing is refused for want of a security-role level, and every
    /// would-be refusal is recorded in the permission journal (GET /__mock/permission-journal).
    #[arg(long, env = "CW_MOCK_SOFT")]
    soft: bool,
    /// After the fixtures load (and after every reset, and when a new state file is made),
    /// give every stored collection that has no record one generated record, so that every
    /// GET path a client can name has a record behind it (also POST /__mock/populate).
    #[arg(long, env = "CW_MOCK_POPULATE")]
    populate: bool,
    /// A per-API-key request budget, CALLS/SECONDS (e.g. 100/60); over it, calls get 429 with
    /// Retry-After. Changeable at PUT /__mock/rate-limit.
    #[arg(long, env = "CW_MOCK_RATE_LIMIT")]
    rate_limit: Option<mock_connectwise::RateLimit>,
    /// How many calls the request journal (GET /__mock/requests) keeps; 0 turns it off.
    #[arg(long, env = "CW_MOCK_JOURNAL_CAPACITY", default_value_t = mock_connectwise::DEFAULT_JOURNAL_CAPACITY)]
    journal_capacity: usize,
    /// Serve https with a self-signed certificate made at start-up (for clients that only
    /// build https:// URLs). Its PEM is written to --tls-cert-out and named on stdout as
    /// CW_CA_CERT, for the client to trust (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, curl --cacert).
    #[arg(long, env = "CW_MOCK_TLS")]
    tls: bool,
    /// Where --tls writes its certificate (replaced by a rename, never written through a
    /// symlink). Default: ca.pem in a new directory mock-connectwise-RANDOM (mode 0700) in
    /// the temp dir, removed when the mock stops.
    #[arg(long, env = "CW_MOCK_TLS_CERT_OUT", requires = "tls")]
    tls_cert_out: Option<PathBuf>,
    /// Require this token on every /__mock call (header x-mock-token or Authorization:
    /// Bearer; the browser UI: open /__mock/ui/?token=TOKEN once, which sets a cookie).
    #[arg(long, env = "CW_MOCK_CONSOLE_TOKEN", hide_env_values = true)]
    console_token: Option<mock_connectwise::ConsoleToken>,
    /// The most connections served at once; more are answered 503 and closed at once.
    #[arg(long, env = "CW_MOCK_MAX_CONNECTIONS", default_value_t = mock_connectwise::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(usize))]
    max_connections: usize,
    /// The site root clients reach the mock at (e.g. https://cw.example.test behind a proxy),
    /// for Link and _info URLs. Default: the scheme the mock serves and the Host the client
    /// used; X-Forwarded-* headers are never trusted.
    #[arg(long, env = "CW_MOCK_PUBLIC_URL")]
    public_url: Option<String>,
    /// Do not serve the web UI at /__mock/ui/ (the JSON console stays).
    #[arg(long, env = "CW_MOCK_NO_UI")]
    no_ui: bool,
    /// Keep all state in this SQLite database (plus SQLite's PATH-wal): every acknowledged
    /// write is committed to disk before it is answered, and a restart (even after kill -9)
    /// comes back with the same records, roles, keys and tokens. Made from the fixtures when
    /// missing; one mock at a time.
    #[arg(long, env = "CW_MOCK_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, env = "CW_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
    /// Deliver callbacks to /system/callbacks entries (`off`: writes fire nothing).
    #[arg(long, value_enum, env = "CW_MOCK_CALLBACKS", default_value_t = Switch::On)]
    callbacks: Switch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Pretty => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-connectwise: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let set = match &args.fixtures {
        Some(dir) => FixtureSet::from_dir(dir)?,
        None => FixtureSet::builtin(),
    };
    let seed = args.seed.unwrap_or(1);
    let set = set.with_bulk_members(args.members, seed).with_bulk_tickets(args.companies, args.tickets, seed);
    let set = set.with_populate(args.populate);
    let admin = set.admin();
    let config = StoreConfig { clock: Arc::new(SystemClock), key_seed: args.seed, fixtures: set };
    let store = match &args.state_file {
        Some(path) => Store::open(config, path)?,
        None => Store::new(config)?,
    };
    store.set_soft_mode(args.soft);
    let codebase = if args.codebase.ends_with('/') { args.codebase.clone() } else { format!("{}/", args.codebase) };
    let listener =
        TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr()?;
    let tls = if args.tls {
        let names = vec!["localhost".to_owned(), addr.ip().to_string(), "127.0.0.1".to_owned()];
        let tls = mock_connectwise::Tls::self_signed(&names)?;
        // Never through a symlink; by default in a fresh private directory (see Tls::write_cert).
        let out = tls.write_cert(args.tls_cert_out.as_deref())?;
        Some((tls, out))
    } else {
        None
    };
    let made_dir = tls
        .as_ref()
        .filter(|_| args.tls_cert_out.is_none())
        .and_then(|(_, path)| path.parent().map(std::path::Path::to_owned));
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("CW_URL={scheme}://{addr}");
    if let Some(a) = &admin {
        println!("CW_COMPANY={}", a.company);
        println!("CW_PUBLIC_KEY={}", a.public_key);
        println!("CW_PRIVATE_KEY={}", a.private_key);
        println!("CW_CLIENT_ID={}", a.client_id);
    }
    if let Some((_, path)) = &tls {
        println!("CW_CA_CERT={}", path.display());
    }
    tracing::info!(%addr, codebase = %codebase, soft = args.soft, members = args.members, companies = args.companies, tickets = args.tickets, startup_ms = started.elapsed().as_millis() as u64, "mock-connectwise listening");
    serve(
        listener,
        store,
        ApiConfig {
            codebase,
            rate_limit: args.rate_limit,
            journal_capacity: args.journal_capacity,
            tls: tls.map(|(t, _)| t),
            ui: !args.no_ui,
            console_token: args.console_token,
            max_connections: args.max_connections,
            public_url: args.public_url.clone(),
            callbacks: mock_connectwise::CallbackSettings {
                enabled: args.callbacks == Switch::On,
                ..mock_connectwise::CallbackSettings::default()
            },
            ..ApiConfig::default()
        },
        shutdown_signal(),
    )
    .await?;
    if let Some(dir) = made_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    tracing::info!("mock-connectwise stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
