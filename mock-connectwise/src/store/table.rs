//! One collection's records ([`Table`]) and the small structures that index them.
//!
//! Records live in a `Vec` sorted by id (ids only grow, so inserts append), which costs no
//! more memory than the records themselves. A unique field is indexed by a hash table holding
//! only record ids; equality is checked against the record itself, so the index costs a few
//! bytes per record instead of a second copy of every identifier. Secondary indexes
//! ([`super::index`]) follow every insert, update and removal the same way.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use hashbrown::{DefaultHashBuilder, HashTable};

use super::index::{Docs, Indexes};
pub(crate) use cache::RenderCache;
pub(crate) use names::Names;

#[path = "table_cache.rs"]
mod cache;
#[path = "table_names.rs"]
mod names;
use crate::doc::{Doc, DocRef};
use crate::query::filter::{cmp_ci, fold};
use crate::schema::ObjectSchema;

/// Who and when, kept beside the document and rendered as `_info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) entered_at: i64,
    pub(crate) updated_at: i64,
    /// Interned identifier of the member who created the record.
    pub(crate) entered_by: u32,
    pub(crate) updated_by: u32,
    /// The parent record's id for child collections (agreement additions), else 0.
    pub(crate) parent: u32,
}

/// A stored record.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) id: u32,
    pub(crate) meta: Meta,
    pub(crate) doc: Doc,
    /// Its JSON as last rendered whole, for the next read.
    pub(crate) cache: RenderCache,
}

impl Record {
    pub(crate) fn new(id: u32, meta: Meta, doc: Doc) -> Self {
        Self { id, meta, doc, cache: RenderCache::default() }
    }
}

/// The records of one collection.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) schema: &'static ObjectSchema,
    records: Vec<Record>,
    unique: Option<Unique>,
    /// How many records each member entered, so "did a list involve others' records?" is
    /// answered without a scan.
    entered: HashMap<u32, usize>,
    pub(crate) indexes: Indexes,
    /// Ids inserted, updated or removed since the store last took them (`--state-file` logs
    /// their new state).
    pub(crate) touched: Vec<u32>,
    /// Changes with every write (see [`next_version`]), so a query that let go of the lock
    /// knows whether anything changed meanwhile.
    version: u64,
    /// The order of runs of equal sort keys last walked, for this version.
    pub(crate) runs: super::planner::ordered::Runs,
}

/// The records as the indexes read them.
pub(crate) struct Rows<'a> {
    records: &'a [Record],
    schema: &'static ObjectSchema,
}

impl Docs for Rows<'_> {
    fn doc_of(&self, id: u32) -> Option<DocRef<'_>> {
        position(self.records, id).ok().map(|i| self.records[i].doc.view(self.schema))
    }

    fn parent_of(&self, id: u32) -> Option<u32> {
        position(self.records, id).ok().map(|i| self.records[i].meta.parent)
    }

    fn all_ids(&self) -> impl Iterator<Item = u32> {
        self.records.iter().map(|r| r.id)
    }
}

#[derive(Debug)]
struct Unique {
    key: u16,
    ids: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

fn fold_hash(hasher: &DefaultHashBuilder, value: &str) -> u64 {
    let mut h = hasher.build_hasher();
    // Folded exactly as the query language compares (`cmp_ci`), so equal values hash alike.
    for c in value.chars().map(fold) {
        h.write_u32(u32::from(c));
    }
    h.finish()
}

/// A value never handed out before in this process: a table's version after each change,
/// so versions of different tables (a reset replaces them all) never match either.
fn next_version() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Where record `id` is (or would go). Ids only grow and are rarely deleted, so the record is
/// usually at `id - first id`: one probe there, and the binary search only when it misses (a
/// cold binary search over a million records was 13% of an identifier lookup's time).
fn position(records: &[Record], id: u32) -> Result<usize, usize> {
    let guess = records.first().and_then(|first| usize::try_from(id.checked_sub(first.id)?).ok());
    match guess.and_then(|g| records.get(g).map(|r| (g, r.id))) {
        Some((g, found)) if found == id => Ok(g),
        // Deletions moved the record before its dense place.
        Some((g, found)) if found > id => records[..g].binary_search_by_key(&id, |r| r.id),
        _ => records.binary_search_by_key(&id, |r| r.id),
    }
}

fn unique_value<'a>(records: &'a [Record], schema: &'static ObjectSchema, key: u16, id: u32) -> Option<&'a str> {
    let r = &records[position(records, id).ok()?];
    match r.doc.view(schema).get(key)? {
        crate::doc::Val::Str(s) => Some(s),
        _ => None,
    }
}

impl Table {
    /// An empty table; `unique` names a field whose values must differ (ignoring case).
    pub(crate) fn new(schema: &'static ObjectSchema, unique: Option<&str>) -> Self {
        let unique = unique.and_then(|name| schema.prop(name)).map(|(key, _)| Unique {
            key,
            ids: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        });
        let indexes =
            Indexes::for_schema(schema, unique.as_ref().map(|u| schema.props[usize::from(u.key)].name.as_str()), false);
        Self {
            schema,
            records: Vec::new(),
            unique,
            entered: HashMap::new(),
            indexes,
            touched: Vec::new(),
            version: next_version(),
            runs: Default::default(),
        }
    }

    /// The table of a child collection: its records are also indexed by parent.
    pub(crate) fn child(mut self) -> Self {
        let unique = self.unique.as_ref().map(|u| self.schema.props[usize::from(u.key)].name.as_str());
        self.indexes = Indexes::for_schema(self.schema, unique, true);
        self
    }

    /// The records as the indexes read them.
    pub(crate) fn rows(&self) -> Rows<'_> {
        Rows { records: &self.records, schema: self.schema }
    }

    /// Changes whenever a record is inserted, updated or removed.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// How many records the table holds.
    pub(crate) fn count(&self) -> usize {
        self.records.len()
    }

    /// The ids of every record whose unique field equals `value` (ignoring case).
    pub(crate) fn find_unique_all(&self, value: &str) -> Option<Vec<u32>> {
        let u = self.unique.as_ref()?;
        let hash = fold_hash(&u.hasher, value);
        let mut ids: Vec<u32> = u
            .ids
            .iter_hash(hash)
            .copied()
            .filter(|&id| unique_value(&self.records, self.schema, u.key, id).is_some_and(|v| cmp_ci(v, value).is_eq()))
            .collect();
        ids.sort_unstable();
        Some(ids)
    }

    /// The key of the unique field, if any.
    pub(crate) fn unique_key(&self) -> Option<u16> {
        self.unique.as_ref().map(|u| u.key)
    }

    /// How many records `member` (an interned name) entered.
    pub(crate) fn entered_by(&self, member: Option<u32>) -> usize {
        member.and_then(|m| self.entered.get(&m)).copied().unwrap_or(0)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Reserves room for `n` more records (bulk loads).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.records.reserve_exact(n);
        if let Some(u) = &mut self.unique {
            let Self { records, schema, .. } = self;
            let (hasher, key) = (u.hasher.clone(), u.key);
            u.ids.reserve(n, |&id| fold_hash(&hasher, unique_value(records, schema, key, id).unwrap_or("")));
        }
    }

    /// All records in id order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Record> + Clone {
        self.records.iter()
    }

    /// Records with an id greater than `after`, in id order.
    pub(crate) fn iter_after(&self, after: u32) -> std::slice::Iter<'_, Record> {
        let start = position(&self.records, after).map_or_else(|i| i, |i| i + 1);
        self.records[start..].iter()
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Record> {
        position(&self.records, id).ok().map(|i| &self.records[i])
    }

    /// The record `id` and its position, searching forward from position `from` (ids asked
    /// in ascending order cost a few steps each instead of a full binary search).
    pub(crate) fn get_from(&self, from: usize, id: u32) -> (Option<&Record>, usize) {
        let rest = self.records.get(from..).unwrap_or_default();
        let mut step = 1;
        while step < rest.len() && rest[step - 1].id < id {
            step *= 2;
        }
        let window = &rest[..step.min(rest.len())];
        match window.binary_search_by_key(&id, |r| r.id) {
            Ok(i) => (Some(&window[i]), from + i),
            Err(i) => (None, from + i),
        }
    }

    /// A view of a record's document.
    pub(crate) fn view(&self, id: u32) -> Option<DocRef<'_>> {
        self.get(id).map(|r| r.doc.view(self.schema))
    }

    /// The id of the record whose unique field equals `value` (ignoring case).
    pub(crate) fn find_unique(&self, value: &str) -> Option<u32> {
        let u = self.unique.as_ref()?;
        let hash = fold_hash(&u.hasher, value);
        u.ids
            .find(hash, |&id| {
                unique_value(&self.records, self.schema, u.key, id).is_some_and(|v| cmp_ci(v, value).is_eq())
            })
            .copied()
    }

    /// Stores a new record (its id must be new).
    pub(crate) fn insert(&mut self, record: Record) {
        let id = record.id;
        self.touched.push(id);
        *self.entered.entry(record.meta.entered_by).or_default() += 1;
        if position(&self.records, id).is_ok() {
            self.unindex(id);
        }
        match position(&self.records, id) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.records[i], record);
                self.forget_enterer(old.meta.entered_by);
            }
            Err(i) => self.records.insert(i, record),
        }
        self.index(id);
    }

    /// Replaces a record's document and metadata, keeping the unique index in step.
    pub(crate) fn update(&mut self, id: u32, doc: Doc, meta: Meta) -> bool {
        let Ok(i) = position(&self.records, id) else { return false };
        self.touched.push(id);
        let old = &self.records[i];
        let skip =
            self.indexes.unchanged(old.doc.view(self.schema), doc.view(self.schema), old.meta.parent == meta.parent);
        self.unindex_where(id, &skip);
        let old_enterer = self.records[i].meta.entered_by;
        *self.entered.entry(meta.entered_by).or_default() += 1;
        self.forget_enterer(old_enterer);
        self.records[i].doc = doc;
        self.records[i].meta = meta;
        self.records[i].cache.clear();
        self.index_where(id, &skip);
        true
    }

    /// Removes a record.
    pub(crate) fn remove(&mut self, id: u32) -> Option<Record> {
        let i = position(&self.records, id).ok()?;
        self.touched.push(id);
        self.unindex(id);
        let removed = self.records.remove(i);
        self.forget_enterer(removed.meta.entered_by);
        Some(removed)
    }

    fn forget_enterer(&mut self, member: u32) {
        if let Some(n) = self.entered.get_mut(&member) {
            *n -= 1;
            if *n == 0 {
                self.entered.remove(&member);
            }
        }
    }

    fn index(&mut self, id: u32) {
        self.index_where(id, &[]);
    }

    /// Indexes record `id`, leaving alone the secondary indexes marked in `skip`.
    fn index_where(&mut self, id: u32, skip: &[bool]) {
        self.version = next_version();
        let Self { records, schema, unique, indexes, .. } = self;
        indexes.add_where(id, &Rows { records, schema }, skip);
        let Some(u) = unique else { return };
        let Some(value) = unique_value(records, schema, u.key, id) else { return };
        let hash = fold_hash(&u.hasher, value);
        let (hasher, key) = (&u.hasher, u.key);
        u.ids.insert_unique(hash, id, |&other| {
            fold_hash(hasher, unique_value(records, schema, key, other).unwrap_or(""))
        });
    }

    fn unindex(&mut self, id: u32) {
        self.unindex_where(id, &[]);
    }

    /// Unindexes record `id`, leaving alone the secondary indexes marked in `skip`.
    fn unindex_where(&mut self, id: u32, skip: &[bool]) {
        self.version = next_version();
        let Self { records, schema, unique, indexes, .. } = self;
        indexes.remove_where(id, &Rows { records, schema }, skip);
        let Some(u) = unique else { return };
        let Some(value) = unique_value(records, schema, u.key, id) else { return };
        let hash = fold_hash(&u.hasher, value);
        if let Ok(entry) = u.ids.find_entry(hash, |&other| other == id) {
            entry.remove();
        }
    }

    /// Approximate heap bytes held (records, documents, index).
    pub(crate) fn heap_size(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<Record>()
            + self.records.iter().map(|r| r.doc.heap_size()).sum::<usize>()
            + self.unique.as_ref().map_or(0, |u| u.ids.capacity() * (std::mem::size_of::<u32>() + 1))
            + self.indexes.heap_size()
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
