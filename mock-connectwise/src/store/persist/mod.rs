//! `--state-file PATH`: state that survives restarts and `kill -9`.
//!
//! Two files: the snapshot `PATH` (the whole state as one JSON document, [`form`]) and the
//! log `PATH.log` ([`wal`]), whose records ([`change`]) say what each write changed since the
//! snapshot. The store commits a write by running it under its lock, appending one record
//! while the lock is still held (so the log's order is the order of commits), releasing the
//! lock, and waiting for `fdatasync` to cover the record before the write is answered.
//!
//! At start the snapshot is read, then the log replayed; a torn or corrupt tail (the frame a
//! `kill -9` interrupted) is discarded with a warning naming its byte offset and cut off, so
//! later records follow intact ones. When the log outgrows the snapshot, a new snapshot is
//! written next to `PATH`, synced, renamed over it and the directory synced; only then does a
//! new, empty log replace the old one. Each log names the snapshot generation it continues,
//! so an old log left by an interrupted compaction is recognised and set aside.
//!
//! An I/O error while logging or syncing stops the process (as PostgreSQL does since 2018):
//! the write is already in memory and cannot be taken back, and after a failed `fsync` the
//! kernel no longer says what reached the disk; answering would promise what may be lost.

mod change;
pub(crate) mod form;
mod read;
#[cfg(test)]
mod tests;
mod wal;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub(crate) use change::Mark;
use form::StateOut;
use read::Trust;

use super::fixtures::FixtureError;
use super::tenant::Tenant;
use super::{State, Store};

/// Why a state file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file could not be read or written.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not a state file this mock can load.
    #[error("state file {path} cannot be loaded: {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// There was no state file and the fixtures to start one could not be loaded.
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
}

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

/// The smallest log worth compacting; below it, replay is faster than rewriting a snapshot.
/// `CW_MOCK_STATE_COMPACT_BYTES` lowers it, so tests can kill the mock mid-compaction.
const MIN_COMPACT: u64 = 8 << 20;

fn compact_floor() -> u64 {
    std::env::var("CW_MOCK_STATE_COMPACT_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(MIN_COMPACT)
}

/// The open state file.
#[derive(Debug)]
pub(crate) struct Persister {
    path: PathBuf,
    wal: wal::Wal,
    generation: AtomicU64,
    snapshot_len: AtomicU64,
    compacting: AtomicBool,
    /// The log size below which compaction is not worth it.
    floor: u64,
}

/// What [`Persister::open`] found.
pub(crate) struct Opened {
    pub(crate) persister: Persister,
    pub(crate) state: State,
    /// For a restored state, a number that differs on every start with a different history,
    /// mixed into a `--seed` so generated keys never repeat ones made before the restart.
    pub(crate) restart_mix: Option<u64>,
}

fn log_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".log");
    PathBuf::from(name)
}

impl Persister {
    /// Loads `path` and replays its log, or, when there is no state file yet, starts one
    /// from `fresh()`.
    pub(crate) fn open(path: &Path, fresh: impl FnOnce() -> Result<State, FixtureError>) -> Result<Opened, StateError> {
        let io = |p: &Path| {
            let p = p.to_owned();
            move |source| StateError::Io { path: p, source }
        };
        let unreadable = |p: &Path, message: String| StateError::Unreadable { path: p.to_owned(), message };
        let started = std::time::Instant::now();
        let log = log_path(path);
        if !path.exists() {
            if log.exists() {
                let message = format!("{} exists without its snapshot; remove it to start afresh", log.display());
                return Err(unreadable(path, message));
            }
            let mut state = fresh()?;
            forget_all(&mut state);
            let len = write_snapshot(path, &state, 1).map_err(io(path))?;
            let wal = wal::Wal::create(&log, 1).map_err(io(&log))?;
            tracing::info!(path = %path.display(), "state file created from the fixtures");
            let persister = Self::new(path, wal, 1, len);
            return Ok(Opened { persister, state, restart_mix: None });
        }
        let file = std::fs::File::open(path).map_err(io(path))?;
        let snapshot_bytes = file.metadata().map_err(io(path))?.len();
        let source = serde_json::de::IoRead::new(std::io::BufReader::with_capacity(1 << 20, file));
        let read = read::read_state(source, Trust::Own).map_err(|e| unreadable(path, e.to_string()))?;
        let (generation, mut state) = (read.generation, read.state);
        let log_bytes = match std::fs::read(&log) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&log)(e)),
        };
        let scan = match &log_bytes {
            Some(b) => Some(wal::scan(b).ok_or_else(|| unreadable(&log, "not a mock-connectwise log".into()))?),
            None => None,
        };
        let (wal, replayed) = match scan {
            Some(s) if s.generation == generation => {
                for (offset, payload) in &s.frames {
                    let change: change::ChangeIn = serde_json::from_slice(payload)
                        .map_err(|e| unreadable(&log, format!("record at byte offset {offset}: {e}")))?;
                    change
                        .apply(&mut state)
                        .map_err(|e| unreadable(&log, format!("record at byte offset {offset}: {e}")))?;
                }
                let total = log_bytes.as_ref().map_or(0, |b| b.len() as u64);
                if s.good_len < total {
                    tracing::warn!(
                        log = %log.display(),
                        offset = s.good_len,
                        discarded_bytes = total - s.good_len,
                        "discarding a torn or corrupt tail at byte offset {} of {} ({} bytes); every complete record before it is kept",
                        s.good_len,
                        log.display(),
                        total - s.good_len,
                    );
                }
                (wal::Wal::open(&log, s.good_len).map_err(io(&log))?, s.frames.len() as u64)
            }
            Some(s) if s.generation > generation => {
                let message =
                    format!("its log continues generation {}, newer than the snapshot's {generation}", s.generation);
                return Err(unreadable(path, message));
            }
            stale => {
                if let Some(s) = stale {
                    tracing::warn!(log = %log.display(), "setting aside the log of generation {} (already in snapshot {generation})", s.generation);
                }
                (wal::Wal::create(&log, generation).map_err(io(&log))?, 0)
            }
        };
        forget_all(&mut state);
        let ms = started.elapsed().as_millis() as u64;
        tracing::info!(path = %path.display(), generation, replayed, snapshot_bytes, ms, "state restored");
        let persister = Self::new(path, wal, generation, snapshot_bytes);
        Ok(Opened { persister, state, restart_mix: Some(generation.rotate_left(32) ^ replayed ^ 0x5eed) })
    }

    fn new(path: &Path, wal: wal::Wal, generation: u64, snapshot_len: u64) -> Self {
        Self {
            path: path.to_owned(),
            wal,
            generation: AtomicU64::new(generation),
            snapshot_len: AtomicU64::new(snapshot_len),
            compacting: AtomicBool::new(false),
            floor: compact_floor(),
        }
    }

    /// Appends what a write changed in `t`; returns where to [`Persister::sync`] to, or `None`
    /// when nothing changed. Called under the state lock.
    pub(crate) fn log(&self, t: &mut Tenant, mark: &Mark) -> Option<u64> {
        let payload = change::encode(t, mark)?;
        match self.wal.append(&wal::frame(&payload)) {
            Ok(at) => Some(at),
            Err(e) => fatal("appending to the state log", &e),
        }
    }

    /// Waits until the log is durable up to `position`.
    ///
    /// On a multi-threaded tokio runtime the wait is announced with `block_in_place`, so the
    /// runtime moves other tasks off this thread: otherwise only as many writers as there are
    /// worker threads could wait at once, and group commit would have little to group.
    pub(crate) fn sync(&self, position: u64) {
        let sync = || {
            if let Err(e) = self.wal.sync(position) {
                fatal("syncing the state log", &e);
            }
        };
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread { tokio::task::block_in_place(sync) } else { sync() }
    }

    /// Whether the log has grown enough to compact, claiming the compaction if so.
    pub(crate) fn wants_compaction(&self) -> bool {
        let limit = self.snapshot_len.load(Ordering::Relaxed).max(self.floor);
        self.wal.len() > limit && !self.compacting.swap(true, Ordering::AcqRel)
    }

    /// Writes `state` as the next snapshot and starts an empty log. The caller holds the
    /// state lock (read or write), so no write is logged meanwhile.
    pub(crate) fn compact(&self, state: &State) -> std::io::Result<()> {
        let generation = self.generation.load(Ordering::Acquire) + 1;
        let started = std::time::Instant::now();
        let result = write_snapshot(&self.path, state, generation).map(|len| {
            // The snapshot of the next generation is in place: the old log may no longer be
            // appended to (a restart would set it aside), so failing to replace it is fatal.
            if let Err(e) = self.wal.restart(generation) {
                fatal("starting a new state log after a compaction", &e);
            }
            self.generation.store(generation, Ordering::Release);
            self.snapshot_len.store(len, Ordering::Relaxed);
            tracing::info!(
                generation,
                bytes = len,
                ms = started.elapsed().as_millis() as u64,
                "state compacted into a snapshot"
            );
        });
        self.compacting.store(false, Ordering::Release);
        result
    }

    /// The current snapshot generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// Compacts on a thread of its own, so the write that crossed the limit is not delayed.
pub(crate) fn compact_in_background(store: &Store) {
    let store = store.clone();
    let spawned = std::thread::Builder::new().name("state-compaction".into()).spawn(move || {
        if let Some(p) = &store.shared.persist {
            let state = store.read();
            if let Err(e) = p.compact(&state) {
                tracing::warn!(error = %e, "compaction failed; the log keeps every write and compaction is retried later");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the compaction thread");
    }
}

/// Stops the process after a failed log write or sync (see the module docs for why).
pub(crate) fn fatal(what: &str, e: &std::io::Error) -> ! {
    tracing::error!(error = %e, "{what} failed; stopping so that no write is answered that may not be durable");
    eprintln!("mock-connectwise: {what} failed: {e}; stopping");
    std::process::abort()
}

fn write_snapshot(path: &Path, state: &State, generation: u64) -> std::io::Result<u64> {
    replace_file(path, |f| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        serde_json::to_writer(&mut w, &StateOut { state, generation })?;
        w.flush()
    })?;
    Ok(std::fs::metadata(path)?.len())
}

/// Writes a file next to `path`, syncs it, renames it over `path` and syncs the directory:
/// whatever moment the process dies, `path` is the old file or the new one, whole. An error
/// before the rename leaves `path` as it was.
pub(crate) fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    write(&mut f)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    // Past the rename the new file may already be what a restart reads: there is no going
    // back to the old one, so a failure to make the rename durable is fatal.
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        fatal("syncing the state file's directory", &e);
    }
    Ok(())
}

/// The whole state as a state document (`GET /__mock/state`).
pub(crate) fn export(state: &State, generation: u64) -> Vec<u8> {
    // Serialising the store's own strings and numbers cannot fail.
    serde_json::to_vec(&StateOut { state, generation }).unwrap_or_default()
}

/// A client's state document, checked whole (`POST /__mock/state`).
pub(crate) fn import(text: &[u8]) -> Result<State, String> {
    read::read_state(serde_json::de::SliceRead::new(text), Trust::Import).map(|s| s.state).map_err(|e| e.to_string())
}
