//! **provisioner** — plans, applies and verifies the ConnectWise Manage setup an API
//! integration needs (steps S0–S9.8 of "Initial setup in ConnectWise"), against
//! mock-connectwise or a real server.
//!
//! - [`config`]: the `CW_*` connection settings and dotenv files.
//! - [`client`]: the one HTTP client (auth, bounded retries, same-origin paging, limits);
//!   [`records`]: the typed records it decodes; [`Error`]: what can go wrong, with sources.
//! - [`state`]: what the server holds now, read as the administrator.
//! - [`plan`], [`apply`], [`verify`]: the three commands, each returning a [`report::Report`].
//! - [`keyfile`]: the integration's identity, checked writable first, written atomically
//!   with mode 0600, never replacing a file without a backup; `keep`: each secret written
//!   to it the moment it exists.
//! - [`validate`]: every name and value of a setup, checked before the first change.
//! - [`profiles`]: the built-in profiles as a table (`provisioner profiles`).
//! - The required levels come from a [`cw_model::Profile`] (`--profile`, default the seed's page).

pub mod apply;
pub mod client;
pub mod config;
mod error;
mod keep;
pub mod keyfile;
mod link;
pub mod plan;
pub mod profiles;
pub mod records;
pub mod report;
pub mod state;
pub mod validate;
pub mod verify;

pub use client::{Client, Limits, RetryPolicy};
pub use cw_model::{Connection, Profile};
pub use error::Error;
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

/// An error and its sources, one after another (`a: b: c`), skipping a source whose text
/// the message already holds.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}
