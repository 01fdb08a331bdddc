//! The SQLite connection: opening and locking the file, checking it, loading the whole state
//! from it, writing batches of rows in one transaction, and reading single rows back to undo
//! a write whose transaction failed.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params_from_iter};

use super::StateError;
use super::rows::{self, Got, Row, TABLES, TableDef};
use crate::store::State;
use crate::store::tenant::Tenant;

/// What `meta.format` holds in every state file of this layout.
pub(crate) const FORMAT: &str = "mock-connectwise-state/sqlite/1";

/// The open database.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) conn: Connection,
}

/// What a refusal to start says about what to do next.
const WHAT_TO_DO: &str = "it cannot be trusted, so the mock will not start on it. Restore the file from a backup or \
     load a saved export into a fresh one (POST /__mock/state), or move it (and its -wal file) aside to start afresh \
     from the fixtures";

fn corrupt(path: &Path, message: impl std::fmt::Display) -> StateError {
    StateError::Corrupt { path: path.to_owned(), message: format!("{message}; {WHAT_TO_DO}") }
}

/// Whether an SQLite error means another connection holds the lock.
fn busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

impl Db {
    /// Opens (creating if need be) and locks `path`: WAL, `synchronous=FULL`, and an
    /// exclusive lock held until the process ends, so a second process is refused.
    pub(crate) fn open(path: &Path) -> Result<Self, StateError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let map = |e: rusqlite::Error| classify(path, e);
        let conn = Connection::open_with_flags(path, flags).map_err(map)?;
        // Set before the first access: in exclusive mode SQLite keeps its WAL index in memory
        // and the file lock it takes for as long as the connection lives.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE").map_err(map)?;
        // For a new file: 16 KiB pages hold a record of up to about 4 KB in its b-tree page
        // (with 4 KiB pages, a 1.6 KB member spilled to an overflow page of its own: three
        // times the bytes). Ignored for an existing file.
        conn.pragma_update(None, "page_size", 16384).map_err(map)?;
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).map_err(map)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StateError::Unreadable {
                path: path.to_owned(),
                message: format!("journal mode {mode}, not WAL"),
            });
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(map)?;
        // A failed large transaction (an import on a full disk) leaves no oversized WAL behind.
        conn.pragma_update(None, "journal_size_limit", 64 << 20).map_err(map)?;
        // Take the exclusive lock now, not at the first write.
        conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;").map_err(map)?;
        Ok(Self { conn })
    }

    /// Whether the file has no tables yet (a new state file).
    pub(crate) fn is_empty(&self, path: &Path) -> Result<bool, StateError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        Ok(n == 0)
    }

    /// `PRAGMA quick_check`: every page, b-tree and free list is well formed.
    pub(crate) fn quick_check(&self, path: &Path) -> Result<(), StateError> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check").map_err(|e| classify(path, e))?;
        let found: Vec<String> =
            stmt.query_map([], |r| r.get(0)).and_then(Iterator::collect).map_err(|e| classify(path, e))?;
        if found.len() == 1 && found[0] == "ok" {
            return Ok(());
        }
        Err(corrupt(path, format!("SQLite's quick_check found damage ({})", found.join("; "))))
    }

    /// Creates the tables and writes `state` (a new file), in one transaction.
    pub(crate) fn create(&mut self, state: &State) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        for t in TABLES {
            tx.execute(&t.create(), [])?;
        }
        write_state(&tx, state, 1)?;
        tx.commit()?;
        self.fold_wal();
        Ok(())
    }

    /// After a transaction as large as the state: copies the WAL into the database and
    /// truncates it, so the WAL does not stay as large as the database beside it.
    fn fold_wal(&mut self) {
        if let Err(e) = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "cannot checkpoint the state file's WAL; SQLite will retry");
        }
    }

    /// Replaces everything with `state`, in one transaction.
    pub(crate) fn replace(&mut self, state: &State, generation: u64) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        for t in TABLES {
            tx.execute(&format!("DELETE FROM {}", t.name), [])?;
        }
        write_state(&tx, state, generation)?;
        tx.commit()?;
        self.fold_wal();
        Ok(())
    }

    /// Writes and deletes rows in one transaction. On an error nothing of it is kept.
    pub(crate) fn commit<'a>(
        &mut self,
        changes: impl Iterator<Item = &'a super::change::RowChange>,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        for c in changes {
            match c {
                super::change::RowChange::Put(row) => put(&tx, row)?,
                super::change::RowChange::Delete(table, key) => {
                    tx.prepare_cached(&table.delete())?.execute(params_from_iter(key.iter()))?;
                }
            }
        }
        tx.commit()
    }

    /// After a failed transaction: makes sure none is left open, and gives back the space
    /// the WAL grew to (best effort: on a full disk a checkpoint may fail too).
    pub(crate) fn settle(&mut self) {
        if !self.conn.is_autocommit() {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                super::fatal("rolling back a failed state transaction", &e);
            }
        }
        let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    /// A meta value.
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>, Bad> {
        let mut out = None;
        self.each(&rows::META, Some(&[rusqlite::types::Value::Text(key.to_owned())]), |g| {
            out = Some(g.text(1)?.to_owned());
            Ok(())
        })?;
        Ok(out)
    }

    /// Sets a meta value (its own transaction).
    pub(crate) fn set_meta(&mut self, key: &str, value: &str) -> rusqlite::Result<()> {
        put(&self.conn, &rows::meta_row(key, value))
    }

    /// Calls `f` with every row of `table` (or the one with `key`), each checked against
    /// its checksum first.
    pub(crate) fn each(
        &self,
        table: &TableDef,
        key: Option<&[rusqlite::types::Value]>,
        mut f: impl FnMut(&Got<'_>) -> Result<(), String>,
    ) -> Result<(), Bad> {
        let sql = if key.is_some() { table.select_one() } else { table.select_all() };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut found = match key {
            Some(k) => stmt.query(params_from_iter(k.iter()))?,
            None => stmt.query([])?,
        };
        let n = table.columns.len();
        while let Some(row) = found.next()? {
            let mut values: Vec<ValueRef<'_>> = Vec::with_capacity(n);
            for i in 0..n {
                values.push(row.get_ref(i)?);
            }
            let stored = row.get_ref(n)?;
            let what = || describe(table, &values);
            if stored != ValueRef::Integer(rows::checksum(table, values.iter().copied())) {
                return Err(Bad::Row(format!("{} does not match its checksum", what())));
            }
            f(&Got(&values)).map_err(|e| Bad::Row(format!("{}: {e}", what())))?;
        }
        Ok(())
    }
}

/// Why reading rows failed: SQLite itself, or a row that is not what was written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Bad {
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Row(String),
}

/// "records row (cwmock, /service/tickets, 12)".
fn describe(table: &TableDef, values: &[ValueRef<'_>]) -> String {
    let key: Vec<String> = values
        .iter()
        .take(table.key)
        .map(|v| match v {
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Text(t) => String::from_utf8_lossy(t).chars().take(80).collect(),
            _ => "?".to_owned(),
        })
        .collect();
    format!("{} row ({})", table.name, key.join(", "))
}

fn put(conn: &Connection, row: &Row) -> rusqlite::Result<()> {
    conn.prepare_cached(&row.table.upsert())?.execute(params_from_iter(row.with_checksum()))?;
    Ok(())
}

fn write_state(conn: &Connection, state: &State, generation: u64) -> rusqlite::Result<()> {
    put(conn, &rows::meta_row("format", FORMAT))?;
    put(conn, &rows::meta_row("generation", &generation.to_string()))?;
    for t in state.tenants() {
        for row in tenant_rows(t) {
            put(conn, &row)?;
        }
    }
    Ok(())
}

/// Every row of one tenant.
fn tenant_rows(t: &Tenant) -> impl Iterator<Item = Row> + '_ {
    use crate::resources::Res;
    let sequences = Res::all().filter(|r| t.last_ids[r.index()] != 0).map(|r| rows::sequence_row(t, r));
    let records = Res::all().flat_map(move |res| t.table(res).iter().map(move |r| rows::record_row(t, res, r)));
    let keys = t.keys.keys().filter_map(|&id| rows::key_row(t, id));
    let tokens = t.tokens.keys().filter_map(|p| rows::token_row(t, p));
    std::iter::once(rows::tenant_row(t))
        .chain(sequences)
        .chain(records)
        .chain(keys)
        .chain(tokens)
        .chain(rows::report_rows(t))
}

/// Turns an SQLite error at open into what the operator needs to hear.
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> StateError {
    use rusqlite::ErrorCode as C;
    if busy(&e) {
        return StateError::InUse { path: path.to_owned() };
    }
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => corrupt(
            path,
            "it is not an SQLite database, or its header is damaged (older mock-connectwise versions wrote JSON state \
             files: export the state with that version, GET /__mock/state, and import it into this one)",
        ),
        Some(C::DatabaseCorrupt) => corrupt(path, format!("SQLite reports damage ({e})")),
        _ => StateError::Unreadable { path: path.to_owned(), message: e.to_string() },
    }
}

/// Stores one row of a tenant's table in the tenant.
type Apply = fn(&mut Tenant, &Got<'_>) -> Result<(), String>;

/// Reads the whole state, every row checked.
pub(crate) fn load(db: &Db, path: &Path) -> Result<(State, u64), StateError> {
    let bad = |e: Bad| match e {
        Bad::Sql(e) => classify(path, e),
        Bad::Row(m) => corrupt(path, m),
    };
    match db.meta("format").map_err(bad)? {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(StateError::Unreadable { path: path.to_owned(), message: format!("format {f}, not {FORMAT}") });
        }
        None => return Err(corrupt(path, "it has no format row")),
    }
    let generation = db
        .meta("generation")
        .map_err(bad)?
        .and_then(|g| g.parse().ok())
        .ok_or_else(|| corrupt(path, "its generation is missing"))?;
    let mut state = State::default();
    db.each(&rows::TENANTS, None, |g| {
        let mut t = Tenant::new(g.text(0)?, g.text(1)?);
        t.last_key_id = g.u32(2)?;
        if state.tenant(&t.company).is_ok() {
            return Err(format!("company {} appears twice", t.company));
        }
        state.insert_tenant(t);
        Ok(())
    })
    .map_err(bad)?;
    let per_tenant: [(&TableDef, Apply); 5] = [
        (&rows::SEQUENCES, rows::apply_sequence),
        (&rows::RECORDS, rows::apply_record),
        (&rows::API_KEYS, rows::apply_key),
        (&rows::TOKENS, rows::apply_token),
        (&rows::REPORTS, rows::apply_report),
    ];
    for (table, apply) in per_tenant {
        db.each(table, None, |g| {
            let t = state.tenant_mut(g.text(0)?).map_err(|e| e.to_string())?;
            apply(t, g)
        })
        .map_err(bad)?;
    }
    if state.tenants().next().is_none() {
        return Err(corrupt(path, "it holds no tenant"));
    }
    for t in state.tenants() {
        super::read::check(t).map_err(|e| corrupt(path, format!("company {}: {e}", t.company)))?;
    }
    Ok((state, generation))
}
