//! Callbacks delivered as ConnectWise delivers them: every add, update and delete of a record
//! of the fifteen callback types is `POST`ed, signed, to each active `/system/callbacks` entry
//! whose type and level match, with the real server's retry and disabling rules, and every
//! attempt is journaled for the people testing their handlers (`/__mock/callbacks`).
//!
//! How the pieces relate: the store calls the [`Sink`] under its write lock after every write
//! (`store::callback_hooks::WriteObserver`); [`collect`] turns what the write changed into
//! [`deliver::Job`]s there (the `Entity` must be rendered while the record is still
//! borrowed), and they are queued once the lock is released. [`deliver`] owns the bounded
//! queue, the workers, the retries and the journal; [`faults`] the injected delivery faults;
//! [`sign`] the signing keys `key_url` serves and the `x-content-signature`. The registration
//! rules are checked in the store's write pipeline from `cw_model::callbacks`.

pub(crate) mod collect;
pub(crate) mod deliver;
pub(crate) mod faults;
mod journal;
pub(crate) mod sign;

use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

use crate::store::Store;
use crate::store::callback_hooks::{Removed, WriteObserver};
use crate::store::persist::Mark;
use crate::store::tenant::Tenant;
use cw_model::callbacks::rules;

/// How callbacks are delivered (`--callbacks off` turns them off). The defaults are the real
/// server's rules; tests shorten the waits so they run in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct CallbackSettings {
    /// Deliver at all; when off, writes fire nothing.
    pub enabled: bool,
    /// The waits before the first and the second retry (ConnectWise: 2 s, then 4 s).
    pub retry_delays: [Duration; 2],
    /// How long one delivery may take (ConnectWise: 5 s).
    pub timeout: Duration,
    /// Consecutive days of failed deliveries after which an entry is disabled (ConnectWise:
    /// 3); 0 disables it at its first failed delivery.
    pub disable_after_days: u32,
    /// The most deliveries waiting (new and retries); past it the oldest is dropped.
    pub queue_capacity: usize,
    /// How many deliveries are in flight at once.
    pub concurrency: usize,
}

/// The most deliveries waiting by default.
pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;
/// The deliveries in flight at once by default.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// The largest body delivered; a larger one (a huge record) is dropped and counted.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

impl Default for CallbackSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            retry_delays: rules::RETRY_DELAYS,
            timeout: rules::TIMEOUT,
            disable_after_days: rules::DISABLE_AFTER_DAYS,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// The callbacks engine of one mock: settings, queue, journal, faults, signing keys.
#[derive(Clone, Debug)]
pub(crate) struct Callbacks(Arc<Engine>);

/// Everything the engine holds.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) settings: CallbackSettings,
    pub(crate) store: Store,
    /// Where the mock is reached (`http://127.0.0.1:PORT`) and its codebase, for `FromUrl`,
    /// `key_url` and the `Entity`'s links.
    site: RwLock<String>,
    codebase: String,
    pub(crate) queue: deliver::Queue,
    pub(crate) faults: faults::Faults,
    pub(crate) keys: sign::Keys,
}

/// What the store holds: a weak link back, so the store and the engine do not keep each
/// other alive.
#[derive(Debug)]
struct Sink(Mutex<Weak<Engine>>);

impl Callbacks {
    /// The engine of `store`: the one already attached (a second router over the same
    /// store), or a new one.
    pub(crate) fn attach(store: &Store, settings: CallbackSettings, codebase: &str, public_url: Option<&str>) -> Self {
        let site = public_url.map_or_else(|| "http://localhost".to_owned(), |u| u.trim_end_matches('/').to_owned());
        let fresh = || {
            Arc::new(Engine {
                settings: settings.clone(),
                store: store.clone(),
                site: RwLock::new(site.clone()),
                codebase: codebase.to_owned(),
                queue: deliver::Queue::default(),
                faults: faults::Faults::default(),
                keys: sign::Keys::default(),
            })
        };
        let existing: Option<Arc<dyn std::any::Any + Send + Sync>> = store.observer().map(|o| o as _);
        if let Some(sink) = existing.and_then(|o| o.downcast::<Sink>().ok()) {
            let mut link = sink.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(engine) = link.upgrade() {
                return Self(engine);
            }
            let engine = fresh();
            *link = Arc::downgrade(&engine);
            return Self(engine);
        }
        let engine = fresh();
        store.set_observer(Arc::new(Sink(Mutex::new(Arc::downgrade(&engine)))));
        Self(engine)
    }

    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.0
    }

    /// Back to the start, as `POST /__mock/reset` leaves the store: nothing queued, an empty
    /// journal, zero counters, not paused, no delivery fault rules. The signing keys stay: a
    /// receiver that cached one still verifies (ConnectWise's keys outlive any data change).
    pub(crate) fn reset(&self) {
        self.0.queue.reset();
        self.0.faults.reset();
    }

    /// Sets the site root the mock is reached at, unless a public URL was configured.
    pub(crate) fn learn_site(&self, scheme: &str, addr: std::net::SocketAddr, public_url: bool) {
        if !public_url {
            *self.0.site.write().unwrap_or_else(PoisonError::into_inner) = format!("{scheme}://{addr}");
        }
    }
}

impl Engine {
    /// `http://host:port`.
    pub(crate) fn site(&self) -> String {
        self.site.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The codebase path (`v4_6_release/`).
    pub(crate) fn codebase(&self) -> &str {
        &self.codebase
    }
}

impl WriteObserver for Sink {
    fn observe(&self, tenant: &Tenant, mark: &Mark, removed: Vec<Removed>) -> Option<Box<dyn FnOnce() + Send>> {
        let engine = self.0.lock().unwrap_or_else(PoisonError::into_inner).upgrade()?;
        if !engine.settings.enabled {
            return None;
        }
        let jobs = collect::jobs(&engine, tenant, mark, &removed);
        if jobs.is_empty() {
            return None;
        }
        Some(Box::new(move || {
            deliver::enqueue(&engine, jobs);
        }))
    }
}
