//! **conformance** — the living specification: the Gherkin features of `features/` run by
//! cucumber against a fresh in-process mock per scenario (default) or a ConnectWise sandbox
//! (`CW_URL`, `CW_COMPANY`, `CW_PUBLIC_KEY`, `CW_PRIVATE_KEY`, `CW_CLIENT_ID`).
//!
//! - [`world`]: the per-scenario state and the target it talks to.
//! - `steps`: step definitions, one module per concept, over the domain enums of the one
//!   permission table (`mock_connectwise::permissions`).
//! - [`runner`]: target selection, tag filtering, reports and the summary line.
//! - [`doc`]: `docs/permissions.md`, generated from the permission table and the features.

pub mod doc;
pub mod runner;
mod steps;
pub mod world;

pub use runner::{RunConfig, Summary, run};
pub use world::CwWorld;
