//! **provisioner** — plans, applies and verifies the ConnectWise Manage setup an API
//! integration needs (steps S0–S9.8 of "Initial setup in ConnectWise"), against
//! mock-connectwise or a real server.
//!
//! - [`config`]: the `CW_*` connection settings and dotenv files.
//! - [`client`]: the one HTTP client (auth, retries, paging, typed errors).
//! - [`state`]: what the server holds now, read as the administrator.
//! - [`plan`], [`apply`], [`verify`]: the three commands, each returning a [`report::Report`].
//! - [`keyfile`]: the integration's identity, written once, atomically, mode 0600.
//! - The required levels come from a [`cw_model::Profile`] (`--profile`, default the seed's page).

pub mod apply;
pub mod client;
pub mod config;
pub mod keyfile;
pub mod plan;
pub mod report;
pub mod state;
pub mod verify;

pub use client::{Client, RetryPolicy};
pub use cw_model::{Connection, Profile};
pub use report::{Report, Status, StepReport};

/// What the provisioner sets up: the profile, and the names of the records it owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// The integration profile whose levels the role must hold.
    pub profile: Profile,
    /// The security role for the integration (S9). `Member` reuses the built-in role (S9.1).
    pub role: String,
    /// The API member's identifier (S2–S3; at most 15 characters).
    pub member: String,
    /// The API member's display name (at most 30 characters).
    pub member_name: String,
    /// The integrator login's username (S0).
    pub integrator: String,
    /// The API key's description (S6).
    pub key_description: String,
}

impl Setup {
    /// The names a profile gives (role, member, integrator login).
    pub fn for_profile(profile: Profile) -> Self {
        Self {
            role: profile.role.clone(),
            member: profile.member.identifier.clone(),
            member_name: profile.member.name.clone(),
            integrator: profile
                .integrator_login
                .as_ref()
                .map_or_else(|| "IntegrationSync".into(), |i| i.username.clone()),
            key_description: format!("{} (provisioner)", profile.name).chars().take(100).collect(),
            profile,
        }
    }
}

impl Default for Setup {
    fn default() -> Self {
        Self::for_profile(Profile::seed().clone())
    }
}

/// Everything that can go wrong, each with the cause in one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error body.
    #[error("{call}: {status} {code}: {message}")]
    Api {
        /// Method and path under the API root (`GET /system/info`).
        call: String,
        /// The HTTP status.
        status: u16,
        /// ConnectWise's error `code`.
        code: String,
        /// ConnectWise's error `message`, with the `errors` entries appended.
        message: String,
    },
    /// No answer (refused, timed out, dropped).
    #[error("{call}: no answer: {message}")]
    Transport {
        /// Method and path under the API root.
        call: String,
        /// What the transport said.
        message: String,
    },
    /// Missing or malformed settings.
    #[error("{0}")]
    Config(String),
    /// Missing settings, or an unreadable env file.
    #[error(transparent)]
    Settings(#[from] cw_model::SettingsError),
    /// A profile that does not load.
    #[error(transparent)]
    Profile(#[from] cw_model::ProfileError),
    /// The key file could not be written or read.
    #[error("key file: {0}")]
    KeyFile(String),
    /// Anything else, said plainly.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub(crate) fn api(method: &reqwest::Method, path: &str, status: reqwest::StatusCode, body: &[u8]) -> Self {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let details = v["errors"]
            .as_array()
            .map(|items| {
                items.iter().filter_map(|e| e["message"].as_str()).map(|m| format!(" [{m}]")).collect::<String>()
            })
            .unwrap_or_default();
        let message = v["message"].as_str().map_or_else(|| String::from_utf8_lossy(body).into_owned(), str::to_owned);
        Self::Api {
            call: format!("{method} {path}"),
            status: status.as_u16(),
            code: v["code"].as_str().unwrap_or("Unknown").to_owned(),
            message: message + &details,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}
