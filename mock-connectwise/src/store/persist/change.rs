//! What one write changed, as rows: the new state of every record, API key and token it
//! touched (or their deletion), and the id sequences it moved. Computed under the store's
//! lock from the tables' `touched` lists; committed after. If the commit fails, the same rows
//! are read back from the database, which still holds their state before the write, and put
//! back in memory: [`restore`].

use rusqlite::types::Value;

use super::db::{Bad, Db};
use super::rows::{self, Row, TableDef};
use crate::resources::Res;
use crate::store::State;
use crate::store::tenant::Tenant;

/// The id sequences before a write, to write them only when it moved them.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    last_ids: Box<[u32]>,
    last_key_id: u32,
}

impl Mark {
    pub(crate) fn of(t: &Tenant) -> Self {
        Self { last_ids: t.last_ids.clone(), last_key_id: t.last_key_id }
    }

    /// The last id of `res`'s id space before the write: a record above it is new.
    pub(crate) fn last_id(&self, res: Res) -> u32 {
        self.last_ids.get(res.info().id_space.index()).copied().unwrap_or(0)
    }
}

/// One row written or deleted.
#[derive(Debug)]
pub(crate) enum RowChange {
    Put(Row),
    Delete(&'static TableDef, Vec<Value>),
}

impl RowChange {
    fn table(&self) -> &'static TableDef {
        match self {
            Self::Put(r) => r.table,
            Self::Delete(t, _) => t,
        }
    }

    fn key(&self) -> &[Value] {
        match self {
            Self::Put(r) => r.key(),
            Self::Delete(_, k) => k,
        }
    }
}

/// The rows of what `t` changed since `mark`; empty if nothing did. Takes the tenant's
/// touched lists.
pub(crate) fn encode(t: &mut Tenant, mark: &Mark) -> Vec<RowChange> {
    let mut out = Vec::new();
    if t.last_key_id != mark.last_key_id {
        out.push(RowChange::Put(rows::tenant_row(t)));
    }
    for res in Res::all() {
        let i = res.index();
        if res.info().id_space.index() == i && t.last_ids[i] != mark.last_ids[i] {
            out.push(RowChange::Put(rows::sequence_row(t, res)));
        }
    }
    for res in Res::all() {
        let mut ids = std::mem::take(&mut t.table_mut(res).touched);
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            out.push(match t.table(res).get(id) {
                Some(r) => RowChange::Put(rows::record_row(t, res, r)),
                None => RowChange::Delete(&rows::RECORDS, rows::record_key(t, res, id)),
            });
        }
    }
    let mut keys = std::mem::take(&mut t.touched.keys);
    keys.sort_unstable();
    keys.dedup();
    for id in keys {
        out.push(
            rows::key_row(t, id)
                .map_or_else(|| RowChange::Delete(&rows::API_KEYS, rows::key_key(t, id)), RowChange::Put),
        );
    }
    let mut tokens = std::mem::take(&mut t.touched.tokens);
    tokens.sort_unstable();
    tokens.dedup();
    for p in tokens {
        out.push(
            rows::token_row(t, &p)
                .map_or_else(|| RowChange::Delete(&rows::TOKENS, rows::token_key(t, &p)), RowChange::Put),
        );
    }
    out
}

/// Puts back in memory the stored state of every row `changes` name (their transaction
/// failed, so the database holds them as they were before). An error means the database
/// cannot be read: memory and disk can no longer be reconciled.
pub(crate) fn restore<'a>(db: &Db, state: &mut State, changes: impl Iterator<Item = &'a RowChange>) -> Result<(), Bad> {
    for c in changes {
        let table = c.table();
        let key = c.key();
        let Some(Value::Text(company)) = key.first() else { continue };
        let Ok(t) = state.tenant_mut(company) else { continue };
        let int = |i: usize| match key.get(i) {
            Some(Value::Integer(n)) => u32::try_from(*n).unwrap_or_default(),
            _ => 0,
        };
        let text = |i: usize| match key.get(i) {
            Some(Value::Text(s)) => s.clone(),
            _ => String::new(),
        };
        match table.name {
            "tenants" => {
                t.last_key_id = 0;
                db.each(table, Some(key), |g| {
                    t.last_key_id = g.u32(2)?;
                    Ok(())
                })?;
            }
            "id_sequences" => {
                if let Some(res) = super::form::res_named(&text(1)) {
                    t.last_ids[res.info().id_space.index()] = 0;
                }
                db.each(table, Some(key), |g| rows::apply_sequence(t, g))?;
            }
            "records" => {
                if let Some(res) = super::form::res_named(&text(1)) {
                    let id = int(2);
                    t.table_mut(res).remove(id);
                    t.secrets.remove(&(res, id));
                    if res == Res::SecurityRoles {
                        t.levels.remove(&id);
                    }
                }
                db.each(table, Some(key), |g| rows::apply_record(t, g))?;
            }
            "api_keys" => {
                if let Some(old) = t.keys.remove(&int(1)) {
                    t.key_index.remove(&old.public_key);
                }
                db.each(table, Some(key), |g| rows::apply_key(t, g))?;
            }
            "member_tokens" => {
                t.tokens.remove(&text(1));
                db.each(table, Some(key), |g| rows::apply_token(t, g))?;
            }
            _ => {}
        }
        super::forget_changes(t);
    }
    Ok(())
}
