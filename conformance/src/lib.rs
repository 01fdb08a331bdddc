//! **conformance** — the living specification: the Gherkin features of `features/` run by
//! cucumber against a fresh in-process mock per scenario (default) or a ConnectWise sandbox
//! (`CW_URL`, `CW_COMPANY`, `CW_PUBLIC_KEY`, `CW_PRIVATE_KEY`, `CW_CLIENT_ID`, optionally a
//! sandbox administrator's `CW_ADMIN_PUBLIC_KEY`/`CW_ADMIN_PRIVATE_KEY`), for the profile
//! `CW_PROFILE` (default the seed's).
//!
//! - [`world`]: the per-scenario state and the target it talks to.
//! - [`receiver`]: a callback receiver on `127.0.0.1:0` for the callbacks scenarios.
//! - `steps`: step definitions, one module per concept, over the domain enums of the one
//!   permission table (`mock_connectwise::permissions`).
//! - [`runner`]: target selection, tag filtering, reports and the summary line.
//! - [`results`]: every finished scenario, folded into one result per step ID (S0–S9.8).
//! - [`report`]: `index.html`, the report people read.
//! - [`doc`]: `docs/permissions.md`, generated from the permission table and the features.

pub mod doc;
pub mod receiver;
pub mod report;
pub mod results;
pub mod runner;
mod steps;
pub mod world;

pub use results::{StepResult, StepStatus};
pub use runner::{RunConfig, Summary, run};
pub use world::CwWorld;
