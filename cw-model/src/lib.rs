//! **cw-model** — the vocabulary every crate of the workspace shares, and nothing that serves
//! or calls HTTP.
//!
//! - [`level`]: [`PermissionLevel`], [`Action`] and the one rule of what a level allows
//!   ([`PermissionLevel::grant`]).
//! - [`function`]: the security-role rows ([`Function`]), grouped by module as the UI shows them.
//! - [`role`]: [`RoleLevels`], what one role holds (levels and Customize lists), and
//!   [`Requirement`], one level a profile needs.
//! - [`profile`]: integration [`Profile`]s, a vendor's setup page as a TOML file; the seed's
//!   page is the default ([`Profile::seed`]).
//! - [`connection`]: the `CW_*` settings ([`Settings`]) and one identity ([`Connection`]),
//!   with dotenv reading and safe writing.
//! - [`console`]: the mock console's paths and typed bodies.
//! - [`conditions`]: quoting a value into a `conditions` string ([`conditions::quote`]).
//! - [`callbacks`]: callback types and levels, registration refusals, delivery rules.
//!
//! The mock enforces what these types say, the provisioner verifies against them, and the
//! conformance features check both; `mock-connectwise` maps its routes onto [`Function`]s.

pub mod callbacks;
pub mod conditions;
pub mod connection;
pub mod console;
pub mod function;
pub mod level;
pub mod profile;
pub mod role;

pub use connection::{Connection, Settings, SettingsError};
pub use function::{Function, ModuleFunction};
pub use level::{Action, Grant, Ownership, PermissionLevel, UnknownName};
pub use profile::{DEFAULT_PROFILE, IntegratorSpec, MemberSpec, Profile, ProfileError, ProfileRow};
pub use role::{Requirement, RoleLevels};
