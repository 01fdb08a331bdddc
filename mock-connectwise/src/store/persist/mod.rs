//! The state file (`--state-file PATH`): an SQLite database that survives the process.
//!
//! The in-memory store stays the query engine; the database is what survives. A write runs
//! under the store's lock as always; before the lock is released, what it changed (the
//! tables' `touched` lists, see [`change`]) becomes rows, queued in the order of the writes.
//! The writer then waits for a transaction that holds its rows to commit: whichever waiting
//! writer gets the connection first commits everything queued so far in one transaction (group
//! commit), so concurrent writers share one `fsync`. Only then is the write answered.
//!
//! If a commit fails (a full disk, an I/O error), SQLite rolls it back; the rows it named and
//! those of every write queued behind it are read back from the database, which still holds
//! them as they were, and put back in memory under the store's lock; each of those writes is
//! answered with an error and the process serves on. A database that cannot even be read back
//! stops the process ([`fatal`]): memory and disk could no longer be reconciled.
//!
//! Reset, fixture loads and imports replace every row in one transaction; memory is replaced
//! only once it has committed. The file is opened in WAL mode with `synchronous=FULL` (a commit
//! is on disk before it is acknowledged, power loss included) and `locking_mode=EXCLUSIVE` (a
//! second process is refused). At start the WAL is checked ([`walcheck`]), then `PRAGMA
//! quick_check`, and every row against its checksum ([`rows`]) as the state is loaded.

mod change;
mod db;
pub(crate) mod form;
mod read;
mod rows;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_damage;
mod walcheck;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

pub(crate) use change::Mark;
use change::RowChange;
use db::Db;
use form::StateOut;
use read::Trust;

use super::fixtures::FixtureError;
use super::tenant::Tenant;
use super::{State, Store};

/// Why a state file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file cannot be opened, read or created.
    #[error("state file {path} cannot be used: {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another process has the file open.
    #[error(
        "state file {path} is in use by another process (each state file serves one mock at a time): stop that mock, or give this one another --state-file"
    )]
    InUse {
        /// The file.
        path: PathBuf,
    },
    /// The file is damaged.
    #[error("state file {path} is damaged: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is damaged, and what to do.
        message: String,
    },
    /// There was no state file and the fixtures to start one could not be loaded.
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
}

/// A change that could not be made durable; nothing of it was kept.
#[derive(Clone, Debug, thiserror::Error)]
#[error("the state file could not be written: {0}")]
pub struct SaveError(String);

/// API keys and tokens a write changed (records are tracked by their tables).
#[derive(Debug, Default)]
pub(crate) struct Touched {
    pub(crate) keys: Vec<u32>,
    pub(crate) tokens: Vec<String>,
}

impl Touched {
    /// Notes that a token is being removed; for `retain` closures, always `false`.
    pub(crate) fn gone(list: &mut Vec<String>, public: &str) -> bool {
        list.push(public.to_owned());
        false
    }
}

/// Drops a tenant's touched lists (nothing logs them: no state file, or a full load).
pub(crate) fn forget_changes(t: &mut Tenant) {
    for res in crate::resources::Res::all() {
        t.table_mut(res).touched.clear();
    }
    t.touched.keys.clear();
    t.touched.tokens.clear();
}

/// [`forget_changes`] for every tenant after a bulk load, giving back the lists' memory (a
/// million loaded records touched a million ids) and clearing the report tables too.
pub(crate) fn forget_all(state: &mut State) {
    for t in state.tenants.values_mut() {
        for res in crate::resources::Res::all() {
            t.table_mut(res).touched = Vec::new();
        }
        t.reports.list.touched = Vec::new();
        t.reports.data.values_mut().for_each(|d| d.rows.touched = Vec::new());
        forget_changes(t);
    }
}

/// The open state file.
#[derive(Debug)]
pub(crate) struct Persister {
    /// The connection; holding it is the right to commit.
    db: Mutex<Db>,
    /// Writes applied in memory, not yet committed, in the order they were made.
    queue: Mutex<Vec<Pending>>,
    /// How many times the whole state was replaced (the export's `generation`).
    generation: AtomicU64,
}

#[derive(Debug)]
struct Pending {
    changes: Vec<RowChange>,
    outcome: Outcome,
}

type Outcome = Arc<OnceLock<Result<(), SaveError>>>;

/// A write waiting for its commit (see [`Persister::wait`]).
#[derive(Debug)]
pub(crate) struct Queued(Outcome);

/// What [`Persister::open`] found.
pub(crate) struct Opened {
    pub(crate) persister: Persister,
    pub(crate) state: State,
    /// For a restored state, a number that differs on every start, mixed into a `--seed` so
    /// generated keys never repeat ones made before the restart.
    pub(crate) restart_mix: Option<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `PATH-wal`, SQLite's write-ahead log beside the database.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

impl Persister {
    /// Opens, checks and loads `path`, or, when there is no state file yet, creates one
    /// from `fresh()`.
    pub(crate) fn open(path: &Path, fresh: impl FnOnce() -> Result<State, FixtureError>) -> Result<Opened, StateError> {
        let started = std::time::Instant::now();
        let unreadable = |message: String| StateError::Unreadable { path: path.to_owned(), message };
        let wal = wal_path(path);
        if !path.exists() && wal.exists() {
            return Err(unreadable(format!(
                "{} exists without its database; remove it to start afresh",
                wal.display()
            )));
        }
        let damage = match std::fs::File::open(&wal) {
            Ok(f) => {
                let len = f.metadata().map_err(|e| unreadable(format!("{}: {e}", wal.display())))?.len();
                walcheck::damage(std::io::BufReader::with_capacity(1 << 20, f), len)
                    .map_err(|e| unreadable(format!("{}: {e}", wal.display())))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(unreadable(format!("{}: {e}", wal.display()))),
        };
        if let Some(damage) = damage {
            return Err(StateError::Corrupt {
                path: path.to_owned(),
                message: format!(
                    "its write-ahead log {}: {damage}; it cannot be trusted, so the mock will not start on it. \
                     Restore the file from a backup or load a saved export into a fresh one (POST /__mock/state), \
                     or move both files aside to start afresh from the fixtures",
                    wal.display()
                ),
            });
        }
        let checked_wal = started.elapsed().as_millis() as u64;
        let mut db = Db::open(path)?;
        db.conn.set_prepared_statement_cache_capacity(64);
        if db.is_empty(path)? {
            let mut state = fresh()?;
            forget_all(&mut state);
            db.create(&state).map_err(|e| unreadable(format!("cannot be written: {e}")))?;
            tracing::info!(path = %path.display(), ms = started.elapsed().as_millis() as u64, "state file created from the fixtures");
            return Ok(Opened { persister: Self::new(db, 1), state, restart_mix: None });
        }
        db.quick_check(path)?;
        let checked = started.elapsed().as_millis() as u64;
        let (mut state, generation) = db::load(&db, path)?;
        forget_all(&mut state);
        let opens = db.meta("opens").ok().flatten().and_then(|o| o.parse::<u64>().ok()).unwrap_or(0) + 1;
        let mix = match db.set_meta("opens", &opens.to_string()) {
            Ok(()) => opens,
            Err(e) => {
                db.settle();
                tracing::warn!(error = %e, "cannot count this start in the state file; generated keys are mixed with the time instead");
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(opens, |d| d.as_nanos() as u64)
            }
        };
        let ms = started.elapsed().as_millis() as u64;
        tracing::info!(path = %path.display(), generation, checked_wal, checked, ms, "state restored");
        Ok(Opened {
            persister: Self::new(db, generation),
            state,
            restart_mix: Some(mix.rotate_left(32) ^ generation ^ 0x5eed),
        })
    }

    fn new(db: Db, generation: u64) -> Self {
        Self { db: Mutex::new(db), queue: Mutex::new(Vec::new()), generation: AtomicU64::new(generation) }
    }

    /// Queues what a write changed in `t` (called under the store's lock, so the queue's
    /// order is the order of the writes); `None` when nothing changed.
    pub(crate) fn queue(&self, t: &mut Tenant, mark: &Mark) -> Option<Queued> {
        let changes = change::encode(t, mark);
        if changes.is_empty() {
            return None;
        }
        let outcome = Outcome::default();
        lock(&self.queue).push(Pending { changes, outcome: outcome.clone() });
        Some(Queued(outcome))
    }

    /// Returns once the write is committed, or undone after its transaction failed.
    ///
    /// On a multi-threaded tokio runtime the wait is announced with `block_in_place`, so the
    /// runtime moves other tasks off this thread: otherwise only as many writers as there are
    /// worker threads could wait at once, and group commit would have little to group.
    pub(crate) fn wait(&self, queued: Queued, store: &Store) -> Result<(), SaveError> {
        let wait = || loop {
            if let Some(done) = queued.0.get() {
                return done.clone();
            }
            let mut db = lock(&self.db);
            if let Some(done) = queued.0.get() {
                return done.clone();
            }
            self.round(&mut db, None, store);
        };
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread { tokio::task::block_in_place(wait) } else { wait() }
    }

    /// Commits everything queued in one transaction. If it fails, undoes in memory every
    /// write not on disk (under the store's lock: `state`, or taken here).
    fn round(&self, db: &mut Db, state: Option<&mut State>, store: &Store) {
        let batch = std::mem::take(&mut *lock(&self.queue));
        if batch.is_empty() {
            return;
        }
        let Err(e) = db.commit(batch.iter().flat_map(|p| &p.changes)) else {
            for p in batch {
                let _ = p.outcome.set(Ok(()));
            }
            return;
        };
        db.settle();
        let mut guard = None;
        let state = match state {
            Some(s) => s,
            None => &mut **guard.insert(store.write()),
        };
        let mut undone = batch;
        undone.append(&mut lock(&self.queue));
        if let Err(read) = change::restore(db, state, undone.iter().flat_map(|p| &p.changes)) {
            fatal("reading back the state file after a failed write", &read);
        }
        tracing::error!(error = %e, writes = undone.len(), "a state transaction failed; its writes are undone and answered with an error");
        let failed = SaveError(e.to_string());
        for p in undone {
            let _ = p.outcome.set(Err(failed.clone()));
        }
    }

    /// Replaces the whole state with `fresh`, durably first: on an error nothing changes.
    pub(crate) fn replace(&self, store: &Store, fresh: State) -> Result<(), SaveError> {
        let mut db = lock(&self.db);
        let mut state = store.write();
        self.round(&mut db, Some(&mut state), store);
        let generation = self.generation() + 1;
        match db.replace(&fresh, generation) {
            Ok(()) => {
                *state = fresh;
                self.generation.store(generation, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                db.settle();
                tracing::error!(error = %e, "replacing the state failed; nothing changed");
                Err(SaveError(e.to_string()))
            }
        }
    }

    /// How many times the whole state was replaced.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Rows inserted, replaced or deleted through this connection so far.
    #[cfg(test)]
    pub(crate) fn rows_written(&self) -> u64 {
        lock(&self.db).conn.total_changes()
    }

    /// Limits the database to its current size plus `extra` pages, so a test can fill it.
    #[cfg(test)]
    pub(crate) fn limit_pages(&self, extra: i64) {
        let db = lock(&self.db);
        let pages: i64 = db.conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        db.conn.pragma_update(None, "max_page_count", pages + extra).unwrap();
    }
}

/// Stops the process when the state file can no longer be reconciled with memory.
pub(crate) fn fatal(what: &str, e: &dyn std::fmt::Display) -> ! {
    tracing::error!(error = %e, "{what} failed; stopping so that no answer disagrees with the state file");
    eprintln!("mock-connectwise: {what} failed: {e}; stopping");
    std::process::abort()
}

/// Writes the whole state as a state document (`GET /__mock/state`).
pub(crate) fn export(state: &State, generation: u64, out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer(out, &StateOut { state, generation }).map_err(std::io::Error::other)
}

/// Reads a client's state document, checked whole (`POST /__mock/state`).
pub(crate) fn import(text: impl std::io::Read) -> Result<State, String> {
    read::read_state(serde_json::de::IoRead::new(text), Trust::Import).map_err(|e| e.to_string())
}
