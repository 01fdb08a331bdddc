//! The mock's state: every tenant's records, roles, keys and tokens, behind one cloneable
//! [`Store`] handle.
//!
//! Handlers call `Store` methods, never a lock. Each method takes the lock once, checks and
//! changes what it must under that one guard, renders its answer while the records are still
//! borrowed, and releases the lock before returning; no lock is ever held across `.await`.
//! Reads share an `RwLock`; the request and permission journals have their own locks so a
//! read never waits on a write to them. Lists and counts ([`Store::list`], [`Store::count`])
//! hold the lock at most a millisecond at a time (see [`planner`]), so a long query never
//! stalls writers or other readers.
//!
//! - [`table`]: one collection's records and unique index;
//! - [`index`]: secondary indexes (equality, prefix) kept in step with every write;
//! - [`planner`]: which index answers a query, and scans in time slices under a budget;
//! - [`tenant`]: one company's tables and what belongs to it;
//! - [`records`]: list, count, get, create, replace, patch, delete, generic over collections;
//! - [`patch`]: ConnectWise PATCH operations;
//! - [`derived`]: what the server fills in on writes (booleans, default references, computed
//!   fields per family, API members' twins); [`udf`]: user-defined fields (`customFields`);
//! - [`notes`]: ticket notes the server writes (a new ticket's description) and checks;
//! - [`access`]: authentication, API keys and member tokens;
//! - [`roles`]: security-role levels, settings and `mySecurity`;
//! - [`reports`]: API report data;
//! - [`fixtures`]: loading fixture sets and generated bulk data;
//! - [`populate`]: one generated record in every empty collection (`--populate`);
//! - [`journal`]: the permission journal (what each member's calls needed);
//! - [`visibility`]: which records a caller sees and owns (`My`, member level, excluded boards).
//! - [`persist`]: the state file (`--state-file`): an SQLite database every write is committed
//!   to before it is answered; also the export/import form of the whole state.

pub(crate) mod access;
pub(crate) mod bulk;
pub(crate) mod callback_hooks;
pub(crate) mod derived;
pub(crate) mod fixtures;
pub(crate) mod index;
pub(crate) mod journal;
pub(crate) mod notes;
pub(crate) mod patch;
pub(crate) mod persist;
pub(crate) mod planner;
pub(crate) mod populate;
pub(crate) mod prepare;
pub(crate) mod records;
pub(crate) mod render;
pub(crate) mod reports;
pub(crate) mod roles;
pub(crate) mod secrets;
pub(crate) mod table;
pub(crate) mod tenant;
pub(crate) mod udf;
pub(crate) mod visibility;
pub(crate) mod whole;
pub(crate) mod writes;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::Clock;
use crate::query::QueryError;
use crate::validate::FieldError;
use cw_model::RoleLevels;
pub(crate) use fixtures::FixtureSet;
use journal::{PermissionJournal, Use};
use secrets::KeyGen;
use tenant::Tenant;

/// Errors of store operations; the API layer turns them into ConnectWise error bodies.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("company {0} is not known")]
    UnknownCompany(String),
    /// "Member 12 not found".
    #[error("{0} not found")]
    NotFound(String),
    #[error("{noun} object is invalid")]
    Invalid { noun: &'static str, errors: Vec<FieldError> },
    /// The caller's level is `My` and the record was entered by someone else.
    #[error("record entered by {entered_by}")]
    NotOwn { entered_by: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("{0}")]
    BadRequest(String),
    /// The state file could not be written; the write was undone.
    #[error(transparent)]
    Unsaved(#[from] persist::SaveError),
}

/// Why [`Store::load`] or [`Store::reset`] changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The fixture set could not be loaded.
    #[error(transparent)]
    Fixtures(#[from] fixtures::FixtureError),
    /// The state file could not be written.
    #[error(transparent)]
    Unsaved(#[from] persist::SaveError),
}

/// The authenticated identity behind a request.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) company: String,
    /// The member (or API member) acting; 0 for an integrator login.
    pub(crate) member_id: u32,
    /// The member identifier, or the integrator's username.
    pub(crate) identifier: String,
    pub(crate) role: Option<(u32, String)>,
    pub(crate) levels: RoleLevels,
    pub(crate) via: Via,
}

/// How the caller authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    ApiKey,
    Token,
    /// An integrator login (`x-cw-usertype: integrator`), which may only ask for member
    /// tokens; `can_impersonate` is its `memberApiFlag` or `canAccessAllApisFlag`.
    Integrator {
        can_impersonate: bool,
    },
}

/// A rendered page of a list.
#[derive(Debug)]
pub(crate) struct Listed {
    pub(crate) body: Vec<u8>,
    /// Records matching the query (all pages).
    pub(crate) total: usize,
    /// The id of the last record on this page (for forward-only `pageId` links).
    pub(crate) last_id: Option<u32>,
    /// Whether any matching record was entered by someone other than the caller.
    pub(crate) others: bool,
}

/// A rendered single record.
#[derive(Debug)]
pub(crate) struct One {
    pub(crate) id: u32,
    pub(crate) body: Vec<u8>,
    /// Whether the record was entered by someone other than the caller.
    pub(crate) others: bool,
}

/// How the store is set up.
#[derive(Clone)]
pub struct StoreConfig {
    /// The time source (a fixed clock makes `_info` dates and token expiry testable).
    pub clock: Arc<dyn Clock>,
    /// A seed for generated keys, salts and passwords; `None` draws them from the OS.
    pub key_seed: Option<u64>,
    /// The fixture set [`Store::reset`] reloads.
    pub fixtures: FixtureSet,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig").field("key_seed", &self.key_seed).finish_non_exhaustive()
    }
}

/// The handle to all mock state; clone it freely.
#[derive(Clone, Debug)]
pub struct Store {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: RwLock<State>,
    config: StoreConfig,
    keys: KeyGen,
    /// Soft mode: nothing is refused for want of a level; would-be refusals are journaled.
    soft: AtomicBool,
    permissions: Mutex<PermissionJournal>,
    /// How long a query may run, in milliseconds (see [`planner`]).
    budget_ms: std::sync::atomic::AtomicU64,
    /// Queries past their first slice, now running.
    long_queries: std::sync::atomic::AtomicUsize,
    /// The state file (`--state-file`), if any.
    persist: Option<persist::Persister>,
    /// Counts write-lock acquisitions: a cache of answers derived from the state is current
    /// while this has not moved.
    writes: std::sync::atomic::AtomicU64,
    /// Sees every write (callbacks).
    observer: std::sync::OnceLock<Arc<dyn callback_hooks::WriteObserver>>,
}

/// Everything behind the lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Tenants by lower-cased company id.
    tenants: BTreeMap<String, Tenant>,
}

impl State {
    pub(crate) fn tenant(&self, company: &str) -> Result<&Tenant, StoreError> {
        self.tenants.get(&company.to_ascii_lowercase()).ok_or_else(|| StoreError::UnknownCompany(company.to_owned()))
    }

    pub(crate) fn tenant_mut(&mut self, company: &str) -> Result<&mut Tenant, StoreError> {
        self.tenants
            .get_mut(&company.to_ascii_lowercase())
            .ok_or_else(|| StoreError::UnknownCompany(company.to_owned()))
    }

    pub(crate) fn insert_tenant(&mut self, tenant: Tenant) {
        self.tenants.insert(tenant.company.to_ascii_lowercase(), tenant);
    }

    pub(crate) fn tenants(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.values()
    }
}

impl Store {
    /// A store loaded with `config.fixtures`.
    pub fn new(config: StoreConfig) -> Result<Self, fixtures::FixtureError> {
        let keys = config.key_seed.map_or(KeyGen::Os, KeyGen::seeded);
        let mut state = config.fixtures.build(&keys, config.clock.now())?;
        persist::forget_all(&mut state);
        Ok(Self::with(config, keys, state, None))
    }

    /// A store kept in the state file `path` (`--state-file`): restored from it when it
    /// exists, else loaded with `config.fixtures` and written to it. Every acknowledged write
    /// is committed before its method returns (see the `store::persist` module).
    pub fn open(config: StoreConfig, path: &std::path::Path) -> Result<Self, persist::StateError> {
        let keys = config.key_seed.map_or(KeyGen::Os, KeyGen::seeded);
        let opened = persist::Persister::open(path, || config.fixtures.build(&keys, config.clock.now()))?;
        let keys = match (config.key_seed, opened.restart_mix) {
            (Some(seed), Some(mix)) => KeyGen::seeded(seed ^ mix),
            _ => keys,
        };
        Ok(Self::with(config, keys, opened.state, Some(opened.persister)))
    }

    fn with(config: StoreConfig, keys: KeyGen, state: State, persist: Option<persist::Persister>) -> Self {
        let shared = Shared {
            state: RwLock::new(state),
            config,
            keys,
            soft: AtomicBool::new(false),
            permissions: Mutex::new(PermissionJournal::default()),
            budget_ms: std::sync::atomic::AtomicU64::new(
                u64::try_from(planner::DEFAULT_BUDGET.as_millis()).unwrap_or(u64::MAX),
            ),
            long_queries: std::sync::atomic::AtomicUsize::new(0),
            persist,
            writes: std::sync::atomic::AtomicU64::new(0),
            observer: std::sync::OnceLock::new(),
        };
        Self { shared: Arc::new(shared) }
    }

    /// Runs `f` on a tenant under the read lock.
    pub(crate) fn read_tenant<R>(
        &self,
        company: &str,
        f: impl FnOnce(&tenant::Tenant) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        f(self.read().tenant(company)?)
    }

    /// Runs `f` on a tenant under the write lock: one check-and-change, one guard.
    pub(crate) fn write_tenant<R>(
        &self,
        company: &str,
        f: impl FnOnce(&mut tenant::Tenant, &KeyGen, i64) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let now = self.now();
        let mut state = self.write();
        let tenant = state.tenant_mut(company)?;
        let mark = persist::Mark::of(tenant);
        let out = f(tenant, &self.shared.keys, now);
        // Callbacks: what this write changed, seen under the lock, sent once it is released.
        let fired = self.observe(tenant, &mark);
        let Some(p) = &self.shared.persist else {
            persist::forget_changes(tenant);
            drop(state);
            if let Some(send) = fired {
                send();
            }
            return out;
        };
        // Queued under the lock (queue order is write order), committed after it (group
        // commit); a failed commit has undone the write in memory when `wait` returns.
        let queued = p.queue(tenant, &mark);
        drop(state);
        if let Some(queued) = queued {
            p.wait(queued, self)?;
        }
        if let Some(send) = fired {
            send();
        }
        out
    }

    fn observe(&self, tenant: &tenant::Tenant, mark: &persist::Mark) -> Option<Box<dyn FnOnce() + Send>> {
        let removed = callback_hooks::take_removed();
        self.shared.observer.get()?.observe(tenant, mark, removed)
    }

    /// Sets what sees every write (once; later calls are ignored and answer false).
    pub(crate) fn set_observer(&self, observer: Arc<dyn callback_hooks::WriteObserver>) -> bool {
        self.shared.observer.set(observer).is_ok()
    }

    /// What sees every write, if anything was set.
    pub(crate) fn observer(&self) -> Option<Arc<dyn callback_hooks::WriteObserver>> {
        self.shared.observer.get().cloned()
    }

    /// Checks credentials; the error is the message of the 401.
    pub(crate) fn authenticate(
        &self,
        company: &str,
        public: &str,
        private: &str,
        integrator: bool,
    ) -> Result<Caller, String> {
        let now = self.now();
        let state = self.read();
        let tenant =
            state.tenant(company).map_err(|_| format!("The company id '{company}' is not known to this server."))?;
        tenant.authenticate(public, private, integrator, now).map_err(|e| e.to_string())
    }

    /// Whether soft mode is on.
    pub fn soft_mode(&self) -> bool {
        self.shared.soft.load(Ordering::Relaxed)
    }

    /// Turns soft mode on or off.
    pub fn set_soft_mode(&self, on: bool) {
        self.shared.soft.store(on, Ordering::Relaxed);
    }

    fn permissions(&self) -> MutexGuard<'_, PermissionJournal> {
        self.shared.permissions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record_use(&self, company: &str, member: &str, u: Use) {
        self.permissions().record(company, member, u);
    }

    /// Records that a member's successful call used a Customize sub-item of `function`.
    pub(crate) fn record_item(&self, company: &str, member: &str, function: cw_model::Function, item: &str) {
        self.permissions().record_item(company, member, function, item);
    }

    /// The permission journal as JSON (see [`journal`]).
    pub fn permission_report(&self) -> serde_json::Value {
        self.permissions().report(self.soft_mode())
    }

    /// The least role that would have allowed a member's recorded calls.
    pub fn minimal_role(&self, company: &str, member: &str) -> Option<RoleLevels> {
        self.permissions().minimal_role(company, member)
    }

    /// The least privilege a member's recorded calls needed, as a profile (see [`journal`]).
    pub(crate) fn derived_profile(
        &self,
        company: Option<&str>,
        member: &str,
    ) -> Result<journal::DerivedProfile, journal::Unjournaled> {
        self.permissions().profile(company, member)
    }

    /// Forgets every recorded use.
    pub fn clear_permission_journal(&self) {
        self.permissions().clear();
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.shared.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        let guard = self.shared.state.write().unwrap_or_else(PoisonError::into_inner);
        self.shared.writes.fetch_add(1, Ordering::SeqCst);
        guard
    }

    /// Moves on every write: read it before deriving something from the state, and the
    /// derived answer is current while it reads the same.
    pub(crate) fn generation(&self) -> u64 {
        self.shared.writes.load(Ordering::SeqCst)
    }

    /// Seconds since the epoch, from the configured clock.
    pub(crate) fn now(&self) -> i64 {
        self.shared.config.clock.now()
    }

    /// A digest of every tenant's data (records, roles, keys, tokens; not the journals), so
    /// a test can prove that a refused request changed nothing.
    pub fn data_digest(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for t in self.read().tenants() {
            format!("{t:?}").hash(&mut h);
        }
        h.finish()
    }

    /// An estimate of the heap bytes the records of every tenant hold (documents, record
    /// slots, unique indexes), for the benchmark's memory figures.
    pub fn records_heap_bytes(&self) -> usize {
        self.read().tenants().map(tenant::Tenant::heap_size).sum()
    }

    /// Replaces all state with a fresh load of the configured fixture set.
    pub fn reset(&self) -> Result<(), LoadError> {
        self.load(&self.shared.config.fixtures.clone())
    }

    /// Replaces all state with a fresh load of `set`.
    pub fn load(&self, set: &FixtureSet) -> Result<(), LoadError> {
        // A populated mock (`--populate`) populates every set it loads.
        let populate = set.populates() || self.shared.config.fixtures.populates();
        let fresh = set.clone().with_populate(populate).build(&self.shared.keys, self.now())?;
        Ok(self.replace_state(fresh)?)
    }

    /// Replaces all state, durably first when there is a state file: on an error nothing
    /// changed.
    pub(crate) fn replace_state(&self, mut fresh: State) -> Result<(), persist::SaveError> {
        persist::forget_all(&mut fresh);
        match &self.shared.persist {
            Some(p) => p.replace(self, fresh),
            None => {
                *self.write() = fresh;
                Ok(())
            }
        }
    }

    /// Writes the whole state as a state document (`GET /__mock/state`) to `out`, under
    /// the read lock.
    pub(crate) fn export_state(&self, out: impl std::io::Write) -> std::io::Result<()> {
        let generation = self.shared.persist.as_ref().map_or(0, persist::Persister::generation);
        persist::export(&self.read(), generation, out)
    }

    /// The whole state document in memory (tests).
    #[cfg(test)]
    pub(crate) fn export_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.export_state(&mut out).unwrap_or_default();
        out
    }

    /// The company ids of all tenants.
    pub fn companies(&self) -> Vec<String> {
        self.read().tenants().map(|t| t.company.clone()).collect()
    }
}
