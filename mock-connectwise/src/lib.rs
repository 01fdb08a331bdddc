//! **mock-connectwise** — a stateful mock of the ConnectWise Manage (PSA) REST API
//! (`/{codebase}apis/3.0`) that enforces security-role permission levels as the real server
//! does.
//!
//! How the pieces relate (lower layers never import higher ones; `tests/architecture.rs`
//! reads the `crate::` paths of every module and fails on any import cycle):
//! - the vocabulary (levels, role rows, profiles) is `cw-model`'s; [`permissions`] re-exports
//!   it for other crates together with the level every route needs ([`permissions::route_rules`],
//!   generated from the router's own table).
//! - `schema` loads the official OpenAPI schemas; `validate` checks bodies against them; `doc`
//!   stores records compactly keyed by them; `query` is the query language of every list.
//! - [`Store`] is the one handle to all state (tenants, records, roles, keys, tokens, journals,
//!   indexes, the state file); `store::render` writes records back out as ConnectWise JSON.
//! - `traffic` holds injected faults, the request journal and the rate limit.
//! - `state` is what every handler shares ([`ApiConfig`], the application state, the site
//!   root of a request); `api` serves `apis/3.0` and `/login/companyinfo` on it; `console`
//!   serves `/__mock` (what ConnectWise does only in its UI, and mock controls) on it.
//! - `callbacks` delivers `/system/callbacks` entries' callbacks (signed, retried, journaled)
//!   from what every store write changed; the console's `/__mock/callbacks` drives it.
//! - `app` composes them into one router ([`router`]); [`serve`] runs it on a bound listener
//!   with the connection limits; the binary is thin wiring around it. [`Tls`] makes the
//!   self-signed certificate for `--tls`.
//! - `TestApp` (feature `test-util`) starts a mock on `127.0.0.1:0` for tests of any crate.

mod api;
mod app;
mod callbacks;
mod clock;
mod console;
mod datetime;
mod doc;
pub mod permissions;
mod query;
mod resources;
mod schema;
mod server;
mod state;
mod store;
mod tls;
mod traffic;
mod validate;

#[cfg(feature = "test-util")]
mod testing;

pub use api::CURRENT_VERSION;
pub use app::{App, router};
pub use callbacks::{
    CallbackSettings, DEFAULT_CONCURRENCY, DEFAULT_QUEUE_CAPACITY, MAX_BODY_BYTES as MAX_CALLBACK_BODY_BYTES,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use server::serve;
pub use state::{
    ApiConfig, ConsoleToken, DEFAULT_BODY_TIMEOUT, DEFAULT_CODEBASE, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT,
};
pub use store::access::{MAX_KEY_DESCRIPTION, SaveAction, TOKEN_LIFETIME_SECS};
pub use store::fixtures::{AdminCredentials, DEFAULT_CLIENT_ID, FixtureError, FixtureSet};
pub use store::persist::{SaveError, StateError};
pub use store::{LoadError, Store, StoreConfig};
#[cfg(feature = "test-util")]
pub use testing::{Checked, Creds, TEST_EPOCH, TestApp, TestOptions};
pub use tls::Tls;
pub use traffic::ratelimit::RateLimit;
pub use traffic::requests::DEFAULT_JOURNAL_CAPACITY;
