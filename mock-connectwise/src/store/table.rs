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

/// Bytes held by every [`RenderCache`] of the process, and the most they may hold, so a
/// client paging through a million records cannot grow the cache without bound.
static CACHED_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const CACHE_CAP: usize = 64 << 20;

/// A record's JSON as rendered whole (no `fields`) for one API root, kept so reading it again
/// is a copy: rendering is most of the cost of a list. Emptied when the record changes.
/// One pointer: a million records hold a million of them.
#[derive(Default)]
pub(crate) struct RenderCache(once_cell::race::OnceBox<Rendered>);

/// The API root a rendering's links point at, and the JSON.
type Rendered = (Box<str>, Box<[u8]>);

impl RenderCache {
    /// The cached JSON, if it was rendered for `base`.
    pub(crate) fn get(&self, base: &str) -> Option<&[u8]> {
        self.0.get().filter(|c| &*c.0 == base).map(|c| &*c.1)
    }

    /// Keeps `json` (rendered for `base`) unless the process-wide cap is reached.
    pub(crate) fn put(&self, base: &str, json: &[u8]) {
        use std::sync::atomic::Ordering;
        if CACHED_BYTES.load(Ordering::Relaxed) + json.len() > CACHE_CAP {
            return;
        }
        if self.0.set(Box::new((base.into(), json.into()))).is_ok() {
            CACHED_BYTES.fetch_add(json.len(), Ordering::Relaxed);
        }
    }

    fn clear(&mut self) {
        if let Some(c) = self.0.get() {
            CACHED_BYTES.fetch_sub(c.1.len(), std::sync::atomic::Ordering::Relaxed);
        }
        self.0 = once_cell::race::OnceBox::new();
    }
}

impl Drop for RenderCache {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A copy starts empty: the bytes are counted once.
impl Clone for RenderCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// Not part of a record's data (tests compare stores by their `Debug` text).
impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RenderCache")
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

/// Interned member identifiers for `enteredBy`/`updatedBy`, so a million records entered by
/// one member hold one copy of its name.
#[derive(Debug, Default)]
pub(crate) struct Names {
    list: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Names {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(name.into());
        self.index.insert(name.into(), i);
        i
    }

    /// The symbol of a name, if it was ever interned.
    pub(crate) fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub(crate) fn name(&self, i: u32) -> &str {
        self.list.get(i as usize).map_or("", |s| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;
    use serde_json::json;

    #[test]
    fn a_record_is_64_bytes_beside_its_document() {
        // A million members: every 8 bytes here is 8 MB (docs/benchmark.md).
        assert_eq!(std::mem::size_of::<Record>(), 64);
    }

    fn rec(id: u32, identifier: &str) -> Record {
        let body = json!({ "identifier": identifier });
        let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
        Record::new(id, meta, Doc::encode(schema("ApiMember"), body.as_object().unwrap()))
    }

    #[test]
    fn records_are_found_by_id_at_their_dense_place_and_after_deletions_and_gaps() {
        let mut t = Table::new(schema("ApiMember"), None);
        let ids: Vec<u32> = (5..=60).chain([70, 71, 90]).collect();
        for &i in &ids {
            t.insert(rec(i, &format!("M{i}")));
        }
        for gone in [5, 6, 30, 59] {
            t.remove(gone);
        }
        for probe in 0..=100 {
            let want = ids.contains(&probe) && ![5, 6, 30, 59].contains(&probe);
            assert_eq!(t.get(probe).map(|r| r.id), want.then_some(probe), "id {probe}");
            assert_eq!(position(&t.records, probe), t.records.binary_search_by_key(&probe, |r| r.id), "id {probe}");
        }
    }

    #[test]
    fn the_unique_index_follows_inserts_updates_and_removals_ignoring_case() {
        let mut t = Table::new(schema("ApiMember"), Some("identifier"));
        for i in 1..=100 {
            t.insert(rec(i, &format!("Member{i}")));
        }
        assert_eq!(t.find_unique("MEMBER42"), Some(42));
        let renamed = rec(42, "Renamed");
        assert!(t.update(42, renamed.doc, renamed.meta));
        assert_eq!(t.find_unique("member42"), None);
        assert_eq!(t.find_unique("renamed"), Some(42));
        assert!(t.remove(42).is_some());
        assert_eq!(t.find_unique("renamed"), None);
        assert_eq!(t.len(), 99);
        assert_eq!(t.find_unique("member99"), Some(99));
    }

    #[test]
    fn iter_after_starts_past_the_given_id_even_when_it_is_gone() {
        let mut t = Table::new(schema("ApiMember"), None);
        for i in [1, 2, 5, 9] {
            t.insert(rec(i, "x"));
        }
        let ids = |after| t.iter_after(after).map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(0), [1, 2, 5, 9]);
        assert_eq!(ids(2), [5, 9]);
        assert_eq!(ids(3), [5, 9]);
        assert_eq!(ids(9), Vec::<u32>::new());
    }

    #[test]
    fn per_member_entry_counts_follow_inserts_updates_and_removals() {
        let mut t = Table::new(schema("ApiMember"), None);
        let by = |id, who| Record::new(id, Meta { entered_by: who, ..rec(id, "x").meta }, rec(id, "x").doc);
        for (id, who) in [(1, 7), (2, 7), (3, 8)] {
            t.insert(by(id, who));
        }
        assert_eq!((t.entered_by(Some(7)), t.entered_by(Some(8)), t.entered_by(None)), (2, 1, 0));
        t.remove(1);
        let moved = by(3, 7);
        t.update(3, moved.doc, moved.meta);
        assert_eq!((t.entered_by(Some(7)), t.entered_by(Some(8))), (2, 0));
    }

    #[test]
    fn names_intern_once() {
        let mut n = Names::default();
        let a = n.intern("Admin1");
        assert_eq!(n.intern("Admin1"), a);
        assert_ne!(n.intern("admin1"), a);
        assert_eq!(n.name(a), "Admin1");
        assert_eq!(n.lookup("nobody"), None);
    }
}
