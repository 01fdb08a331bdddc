//! `provisioner`: plan, apply and verify the ConnectWise integration setup (S0–S9.8).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use provisioner::apply::{ApplyOptions, Repairs};
use provisioner::config::Settings;
use provisioner::verify::VerifyOptions;
use provisioner::{Client, Error, Limits, Profile, Report, RetryPolicy, Setup};
use secrecy::SecretString;

/// Plans, applies and verifies the ConnectWise Manage setup an API integration needs
/// (integrator login, API member, API key, security role with the levels of S9.2-S9.8).
///
/// Connection: each setting comes from its flag, else from --env-file, else from the
/// environment (CW_URL, CW_COMPANY, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID).
/// plan and apply run as an administrator; verify runs as the integration itself
/// (e.g. `provisioner verify --env-file cw-integration.env`).
///
/// Exit codes: 0 = everything required holds, 1 = something is missing or failed (named
/// by step ID), 2 = the command could not run (settings, connection).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    conn: ConnArgs,
    /// Print a machine-readable JSON report instead of the table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct ConnArgs {
    /// Site root, e.g. https://na.myconnectwise.net or http://127.0.0.1:8080 [env: CW_URL]
    #[arg(long, global = true)]
    url: Option<String>,
    /// Company id used at login [env: CW_COMPANY]
    #[arg(long, global = true)]
    company: Option<String>,
    /// API public key [env: CW_PUBLIC_KEY]
    #[arg(long, global = true)]
    public_key: Option<String>,
    /// API private key (prefer the environment or --env-file) [env: CW_PRIVATE_KEY]
    #[arg(long, global = true)]
    private_key: Option<String>,
    /// clientId from developer.connectwise.com [env: CW_CLIENT_ID]
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// A dotenv file with CW_* settings (such as the key file apply writes).
    #[arg(long, global = true)]
    env_file: Option<PathBuf>,
    /// The integration profile: a built-in's name (sophos-central, the default) or a TOML
    /// file [env: CW_PROFILE]
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Seconds before one call times out (connecting, sending and reading the whole answer).
    #[arg(long, global = true, default_value_t = 30)]
    timeout: u64,
    /// Seconds the whole command may take, every call, retry and wait included.
    #[arg(long, global = true, default_value_t = 600)]
    command_timeout: u64,
    /// Retries of a call answered 429/503 (after Retry-After) or lost in transport.
    #[arg(long, global = true, default_value_t = 5)]
    retries: u32,
}

#[derive(Args, Debug)]
struct SetupArgs {
    /// The integration's security role (S9; default: the profile's); `Member` uses the
    /// built-in role (S9.1).
    #[arg(long)]
    role: Option<String>,
    /// The API member's identifier (S2-S3, at most 15 characters; default: the profile's).
    #[arg(long)]
    member: Option<String>,
    /// The integrator login's username (S0; default: the profile's).
    #[arg(long)]
    integrator: Option<String>,
    /// Where apply writes (and plan reads) the integration's identity, dotenv, mode 0600.
    #[arg(long, default_value = "cw-integration.env")]
    key_file: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show every step S0-S9.8 as done / to do / UI only. Changes nothing.
    Plan(SetupArgs),
    /// Make the changes the API allows; on mock-connectwise also the UI-only ones.
    Apply {
        #[command(flatten)]
        setup: SetupArgs,
        /// Make a new API key even if the member has keys whose private half is unknown.
        #[arg(long)]
        new_key: bool,
        /// Give the integrator login a new password (kept in the key file first) when the key
        /// file does not keep its current one.
        #[arg(long)]
        new_password: bool,
        /// Also print the new private key (it is always in the key file).
        #[arg(long)]
        show_private_key: bool,
    },
    /// As the integration: keys authenticate, rights hold every level of S9.2-S9.8,
    /// behavioural probes agree; warns about excess privileges.
    Verify {
        /// Only read: skip the Add and Edit probes.
        #[arg(long)]
        read_only: bool,
    },
    /// List the built-in integration profiles (id, name, rows, source). Needs no server.
    Profiles,
}

/// The settings: each from its flag, else from `--env-file`, else from the environment.
fn settings(args: &ConnArgs) -> Result<Settings, Error> {
    let flags = Settings {
        url: args.url.clone(),
        company: args.company.clone(),
        public_key: args.public_key.clone(),
        private_key: args.private_key.clone().map(SecretString::from),
        client_id: args.client_id.clone(),
        profile: args.profile.clone(),
        ..Settings::default()
    };
    let file = match &args.env_file {
        Some(path) => Settings::from_dotenv(path)?.0,
        None => Settings::default(),
    };
    Ok(flags.or(file).or(Settings::from_env()))
}

/// The profile named by `--profile`/`CW_PROFILE`, else the seed's page.
fn profile(settings: &Settings) -> Result<Profile, Error> {
    Ok(match settings.profile.as_deref() {
        Some(name) => Profile::load(name)?,
        None => Profile::seed().clone(),
    })
}

fn setup(args: &SetupArgs, profile: Profile) -> Setup {
    let mut setup = Setup::for_profile(profile);
    if let Some(role) = &args.role {
        setup.role.clone_from(role);
    }
    if let Some(member) = &args.member {
        setup.member.clone_from(member);
    }
    if let Some(integrator) = &args.integrator {
        setup.integrator.clone_from(integrator);
    }
    setup
}

async fn run(cli: &Cli) -> Result<(Report, Option<String>), Error> {
    let settings = settings(&cli.conn)?;
    // A bad profile is refused before anything is sent.
    let profile = profile(&settings)?;
    let conn = settings.integration()?;
    let retry = RetryPolicy { retries: cli.conn.retries, ..RetryPolicy::default() };
    let limits = Limits {
        timeout: Duration::from_secs(cli.conn.timeout),
        command_timeout: Some(Duration::from_secs(cli.conn.command_timeout)),
        ..Limits::default()
    };
    let client = Client::connect_with(&conn, retry, limits).await?;
    match &cli.command {
        Command::Profiles => unreachable!("handled before connecting"),
        Command::Plan(args) => {
            Ok((provisioner::plan::plan(&client, &setup(args, profile), &args.key_file).await?, None))
        }
        Command::Apply { setup: args, new_key, new_password, show_private_key } => {
            let options = ApplyOptions { key_file: args.key_file.clone(), new_key: *new_key };
            let repairs = Repairs { new_password: *new_password };
            let report =
                provisioner::apply::apply_repairing(&client, &conn, &setup(args, profile), &options, repairs).await?;
            Ok((report, show_keys(*show_private_key, &args.key_file)))
        }
        Command::Verify { read_only } => {
            Ok((provisioner::verify::verify(&client, &profile, VerifyOptions { read_only: *read_only }).await?, None))
        }
    }
}

/// The key file's keys, for `--show-private-key`.
fn show_keys(show: bool, key_file: &std::path::Path) -> Option<String> {
    if !show || !key_file.exists() {
        return None;
    }
    provisioner::keyfile::read(key_file).ok().map(|(c, _)| {
        use secrecy::ExposeSecret;
        format!("CW_PUBLIC_KEY={}\nCW_PRIVATE_KEY={}", c.public_key, c.private_key.expose_secret())
    })
}

/// `provisioner profiles`: no settings, no server.
fn list_profiles(json: bool) -> ExitCode {
    let list = provisioner::profiles::list();
    if json {
        println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
    } else {
        print!("{}", provisioner::profiles::render(&list));
    }
    if list.iter().all(|p| p.error.is_none()) { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if matches!(cli.command, Command::Profiles) {
        return list_profiles(cli.json);
    }
    match run(&cli).await {
        Ok((report, shown)) => {
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                print!("{}", report.render());
                if let Some(keys) = shown {
                    println!("\n{keys}");
                }
            }
            if report.ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("provisioner: {}", provisioner::chain(&e));
            ExitCode::from(2)
        }
    }
}
