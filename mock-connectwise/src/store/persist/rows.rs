//! The state file's tables, and one row of each from the live state and back.
//!
//! Every table is `WITHOUT ROWID`, keyed by what names its rows (a record by company,
//! collection and id), so each is a single b-tree with no separate index that could disagree
//! with it. Every row ends in `checksum`: FNV-1a (64 bits) over the table's name and the row's
//! other values. FNV-1a changes with any change confined to one byte (each step is a
//! bijection of the running value), so a flipped bit in a stored value is caught when the row
//! is read; `PRAGMA quick_check` covers the pages around the values.

use rusqlite::types::{Value, ValueRef};
use serde_json::Map;

use super::form::{LevelsOut, ReportOut, collection, res_named};
use super::read::{InfoIn, KeyIn, RecordIn, ReportIn, TokenIn, Trust};
use crate::datetime;
use crate::resources::Res;
use crate::store::table::Record;
use crate::store::tenant::Tenant;

/// One table: its name, its columns (the key first) and how many columns make the key.
#[derive(Debug)]
pub(crate) struct TableDef {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [&'static str],
    pub(crate) key: usize,
}

pub(crate) const META: TableDef = TableDef { name: "meta", columns: &["key", "value"], key: 1 };
pub(crate) const TENANTS: TableDef =
    TableDef { name: "tenants", columns: &["company", "company_name", "last_api_key_id"], key: 1 };
pub(crate) const SEQUENCES: TableDef =
    TableDef { name: "id_sequences", columns: &["company", "collection", "last_id"], key: 2 };
pub(crate) const RECORDS: TableDef = TableDef {
    name: "records",
    columns: &[
        "company",
        "collection",
        "id",
        "parent_id",
        "entered_at",
        "updated_at",
        "entered_by",
        "updated_by",
        "password_hash",
        "role_levels",
        "doc",
    ],
    key: 3,
};
pub(crate) const API_KEYS: TableDef = TableDef {
    name: "api_keys",
    columns: &[
        "company",
        "id",
        "member_id",
        "description",
        "public_key",
        "private_key_hash",
        "created_at",
        "private_key_shown",
        "inactive",
    ],
    key: 2,
};
pub(crate) const TOKENS: TableDef = TableDef {
    name: "member_tokens",
    columns: &["company", "public_key", "member_id", "private_key_hash", "expires_at"],
    key: 2,
};
pub(crate) const REPORTS: TableDef =
    TableDef { name: "reports", columns: &["company", "report_id", "name", "report"], key: 2 };

/// Every table, in the order a state is written and read.
pub(crate) const TABLES: [&TableDef; 7] = [&META, &TENANTS, &SEQUENCES, &RECORDS, &API_KEYS, &TOKENS, &REPORTS];

impl TableDef {
    /// `CREATE TABLE`: integers for ids, numbers and flags, text for the rest, JSON as text.
    pub(crate) fn create(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let ty = if integer(c) { "INTEGER" } else { "TEXT" };
                let null = if matches!(*c, "password_hash" | "role_levels") { "" } else { " NOT NULL" };
                format!("{c} {ty}{null}")
            })
            .collect();
        format!(
            "CREATE TABLE {} ({}, checksum INTEGER NOT NULL, PRIMARY KEY ({})) WITHOUT ROWID",
            self.name,
            cols.join(", "),
            self.columns[..self.key].join(", ")
        )
    }

    pub(crate) fn upsert(&self) -> String {
        let marks: Vec<String> = (1..=self.columns.len() + 1).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT OR REPLACE INTO {} ({}, checksum) VALUES ({})",
            self.name,
            self.columns.join(", "),
            marks.join(", ")
        )
    }

    fn key_filter(&self) -> String {
        let terms: Vec<String> =
            self.columns[..self.key].iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
        terms.join(" AND ")
    }

    pub(crate) fn delete(&self) -> String {
        format!("DELETE FROM {} WHERE {}", self.name, self.key_filter())
    }

    pub(crate) fn select_all(&self) -> String {
        format!("SELECT {}, checksum FROM {}", self.columns.join(", "), self.name)
    }

    pub(crate) fn select_one(&self) -> String {
        format!("{} WHERE {}", self.select_all(), self.key_filter())
    }
}

fn integer(column: &str) -> bool {
    column.ends_with("_id") || matches!(column, "id" | "private_key_shown" | "inactive")
}

/// FNV-1a over the table name and the values, as the `checksum` column stores it.
pub(crate) fn checksum<'a>(table: &TableDef, values: impl Iterator<Item = ValueRef<'a>>) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(table.name.as_bytes());
    for v in values {
        match v {
            ValueRef::Null => eat(&[0]),
            ValueRef::Integer(i) => {
                eat(&[1]);
                eat(&i.to_le_bytes());
            }
            ValueRef::Real(f) => {
                eat(&[2]);
                eat(&f.to_le_bytes());
            }
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                eat(&[3]);
                eat(&(t.len() as u64).to_le_bytes());
                eat(t);
            }
        }
    }
    i64::from_le_bytes(h.to_le_bytes())
}

/// A row to write: its values (without the checksum).
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) table: &'static TableDef,
    pub(crate) values: Vec<Value>,
}

impl Row {
    /// The values with the checksum appended, as the upsert binds them.
    pub(crate) fn with_checksum(&self) -> impl Iterator<Item = Value> + '_ {
        let sum = checksum(self.table, self.values.iter().map(ValueRef::from));
        self.values.iter().cloned().chain(std::iter::once(Value::Integer(sum)))
    }

    /// The key values.
    pub(crate) fn key(&self) -> &[Value] {
        &self.values[..self.table.key]
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn int(i: impl Into<i64>) -> Value {
    Value::Integer(i.into())
}

pub(crate) fn meta_row(key: &str, value: &str) -> Row {
    Row { table: &META, values: vec![text(key), text(value)] }
}

pub(crate) fn tenant_row(t: &Tenant) -> Row {
    Row { table: &TENANTS, values: vec![text(&t.company), text(&t.company_name), int(t.last_key_id)] }
}

pub(crate) fn sequence_row(t: &Tenant, res: Res) -> Row {
    let last = t.last_ids[res.info().id_space.index()];
    Row { table: &SEQUENCES, values: vec![text(&t.company), text(collection(res)), int(last)] }
}

/// The key of a record's row.
pub(crate) fn record_key(t: &Tenant, res: Res, id: u32) -> Vec<Value> {
    vec![text(&t.company), text(collection(res)), int(id)]
}

pub(crate) fn record_row(t: &Tenant, res: Res, r: &Record) -> Row {
    let levels = (res == Res::SecurityRoles).then(|| {
        serde_json::to_string(&LevelsOut(t.levels.get(&r.id).cloned().unwrap_or_default())).unwrap_or_default()
    });
    let mut values = record_key(t, res, r.id);
    values.extend([
        int(r.meta.parent),
        text(&datetime::format(r.meta.entered_at)),
        text(&datetime::format(r.meta.updated_at)),
        text(t.names.name(r.meta.entered_by)),
        text(t.names.name(r.meta.updated_by)),
        t.secrets.get(&(res, r.id)).map_or(Value::Null, |h| Value::Text(h.to_text())),
        levels.map_or(Value::Null, Value::Text),
        Value::Text(serde_json::to_string(&r.doc.view(res.schema()).to_json()).unwrap_or_default()),
    ]);
    Row { table: &RECORDS, values }
}

pub(crate) fn key_key(t: &Tenant, id: u32) -> Vec<Value> {
    vec![text(&t.company), int(id)]
}

pub(crate) fn key_row(t: &Tenant, id: u32) -> Option<Row> {
    let k = t.keys.get(&id)?;
    let mut values = key_key(t, id);
    values.extend([
        int(k.member_id),
        text(&k.description),
        text(&k.public_key),
        Value::Text(k.private.to_text()),
        text(&datetime::format(k.created_at)),
        int(k.private_shown),
        int(k.inactive),
    ]);
    Some(Row { table: &API_KEYS, values })
}

pub(crate) fn token_key(t: &Tenant, public: &str) -> Vec<Value> {
    vec![text(&t.company), text(public)]
}

pub(crate) fn token_row(t: &Tenant, public: &str) -> Option<Row> {
    let tok = t.tokens.get(public)?;
    let mut values = token_key(t, public);
    values.extend([int(tok.member_id), Value::Text(tok.private.to_text()), text(&datetime::format(tok.expires_at))]);
    Some(Row { table: &TOKENS, values })
}

pub(crate) fn report_rows(t: &Tenant) -> Vec<Row> {
    super::form::reports(t)
        .map(|(id, r): (u32, ReportOut<'_>)| Row {
            table: &REPORTS,
            values: vec![
                text(&t.company),
                int(id),
                text(r.name),
                Value::Text(serde_json::to_string(&r).unwrap_or_default()),
            ],
        })
        .collect()
}

/// A stored row's values, read back (the checksum already verified).
pub(crate) struct Got<'a>(pub(crate) &'a [ValueRef<'a>]);

impl Got<'_> {
    pub(crate) fn text(&self, i: usize) -> Result<&str, String> {
        match self.0.get(i) {
            Some(ValueRef::Text(t)) => std::str::from_utf8(t).map_err(|_| format!("column {i} is not UTF-8")),
            _ => Err(format!("column {i} is not text")),
        }
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>, String> {
        match self.0.get(i) {
            Some(ValueRef::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub(crate) fn u32(&self, i: usize) -> Result<u32, String> {
        match self.0.get(i) {
            Some(ValueRef::Integer(n)) => u32::try_from(*n).map_err(|_| format!("column {i} is out of range")),
            _ => Err(format!("column {i} is not an integer")),
        }
    }

    fn flag(&self, i: usize) -> Result<bool, String> {
        Ok(self.u32(i)? != 0)
    }

    fn res(&self, i: usize) -> Result<Res, String> {
        let name = self.text(i)?;
        res_named(name).ok_or_else(|| format!("no collection {name}"))
    }
}

/// Sets a tenant's id sequence from its row.
pub(crate) fn apply_sequence(t: &mut Tenant, g: &Got<'_>) -> Result<(), String> {
    let res = g.res(1)?;
    t.last_ids[res.info().id_space.index()] = g.u32(2)?;
    Ok(())
}

/// Stores a record from its row in `t`.
pub(crate) fn apply_record(t: &mut Tenant, g: &Got<'_>) -> Result<(), String> {
    let res = g.res(1)?;
    let levels = g.opt_text(9)?.map(serde_json::from_str).transpose().map_err(|e| format!("role_levels: {e}"))?;
    let doc: Map<String, serde_json::Value> = serde_json::from_str(g.text(10)?).map_err(|e| format!("doc: {e}"))?;
    let info = InfoIn {
        entered_at: g.text(4)?.to_owned(),
        updated_at: g.text(5)?.to_owned(),
        entered_by: g.text(6)?.to_owned(),
        updated_by: g.text(7)?.to_owned(),
    };
    let record =
        RecordIn { id: g.u32(2)?, info, parent: g.u32(3)?, secret: g.opt_text(8)?.map(str::to_owned), levels, doc };
    record.apply(t, res, Trust::Own)
}

/// Stores an API key from its row in `t`.
pub(crate) fn apply_key(t: &mut Tenant, g: &Got<'_>) -> Result<(), String> {
    let key = KeyIn {
        id: g.u32(1)?,
        member_id: g.u32(2)?,
        description: g.text(3)?.to_owned(),
        public_key: g.text(4)?.to_owned(),
        private_hash: g.text(5)?.to_owned(),
        created_at: g.text(6)?.to_owned(),
        private_shown: g.flag(7)?,
        inactive: g.flag(8)?,
    }
    .into_key()?;
    t.key_index.insert(key.public_key.clone(), key.id);
    t.keys.insert(key.id, key);
    Ok(())
}

/// Stores a member token from its row in `t`.
pub(crate) fn apply_token(t: &mut Tenant, g: &Got<'_>) -> Result<(), String> {
    let (public, token) = TokenIn {
        public_key: g.text(1)?.to_owned(),
        member_id: g.u32(2)?,
        private_hash: g.text(3)?.to_owned(),
        expires_at: g.text(4)?.to_owned(),
    }
    .into_token()?;
    t.tokens.insert(public, token);
    Ok(())
}

/// Stores a report from its row in `t`.
pub(crate) fn apply_report(t: &mut Tenant, g: &Got<'_>) -> Result<(), String> {
    let report: ReportIn = serde_json::from_str(g.text(3)?).map_err(|e| format!("report: {e}"))?;
    report.apply(t)
}
