//! **mock-connectwise** — a stateful mock of the ConnectWise Manage (PSA) REST API
//! (`/{codebase}apis/3.0`) that enforces security-role permission levels as the real server
//! does.
//!
//! How the pieces relate:
//! - [`permissions`] is the one permission table: module > function rows, the level each
//!   route needs, and the levels the integration's role must hold (steps S9.2–S9.8). The
//!   router enforces it, the settings endpoints report it, and the provisioner and the
//!   conformance features read it from here.
//! - `schema` loads the official OpenAPI schemas; `validate` checks bodies against them; `doc`
//!   stores records compactly keyed by them; `render` writes them back out as ConnectWise JSON.
//! - `query` is the query language of every list (`conditions`, `orderBy`, `fields`, paging).
//! - [`Store`] is the one handle to all state (tenants, records, roles, keys, tokens, journals).
//! - `api` serves `apis/3.0` and `/login/companyinfo`; `console` serves `/__mock`, where what
//!   ConnectWise does only in its UI (API keys, role levels) and mock controls live.
//! - `traffic` holds injected faults, the request journal and the rate limit.
//! - [`Tls`] makes the self-signed certificate for `--tls`.
//! - [`serve`] runs it all on a bound listener; the binary is thin wiring around it.
//! - `TestApp` (feature `test-util`) starts a mock on `127.0.0.1:0` for tests of any crate.

mod api;
mod clock;
mod console;
mod datetime;
mod doc;
pub mod permissions;
mod query;
mod render;
mod resources;
mod schema;
mod server;
mod store;
mod tls;
mod traffic;
mod validate;

#[cfg(feature = "test-util")]
mod testing;

pub use api::{ApiConfig, CURRENT_VERSION, DEFAULT_BODY_TIMEOUT, DEFAULT_CODEBASE, DEFAULT_MAX_BODY_BYTES, router};
pub use clock::{Clock, ManualClock, SystemClock};
pub use console::guard::ConsoleToken;
pub use server::serve;
pub use server::{DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT};
pub use store::access::{MAX_KEY_DESCRIPTION, SaveAction, TOKEN_LIFETIME_SECS};
pub use store::fixtures::{AdminCredentials, DEFAULT_CLIENT_ID, FixtureError, FixtureSet};
pub use store::persist::StateError;
pub use store::{Store, StoreConfig};
#[cfg(feature = "test-util")]
pub use testing::{Checked, Creds, TEST_EPOCH, TestApp, TestOptions};
pub use tls::Tls;
pub use traffic::ratelimit::RateLimit;
pub use traffic::requests::DEFAULT_JOURNAL_CAPACITY;
