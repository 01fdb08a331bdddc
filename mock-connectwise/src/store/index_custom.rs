//! The index of a table's `customFields` elements, which answers `customFieldConditions`
//! exactly without reading a record.
//!
//! A `customFieldConditions` filter is matched against each element of a record's
//! `customFields` on its own (`id = 7 and value = "Gold"` on one element), and its answer
//! depends on nothing but that element. So elements that are equal (the same id, caption,
//! value, ...) are one *class*: the filter holds for all of them or for none. The index keeps
//! each distinct element once, with the ids of the records holding it; a query evaluates the
//! filter once per class (narrowed first to the classes of the field ids the filter names) and
//! unites the postings of the classes it holds for. The result is exact for any filter (`!=`,
//! `like`, `or`, `not`, comparisons of numbers, flags or dates stored in `value`), because
//! it is the very evaluation the scan makes, on an equal element.
//!
//! Memory goes only to records that have custom fields: a class per distinct element (its
//! document) and four bytes per record holding it. Elements are told apart by a hash of
//! their stored values and compared value by value, without a copy: a million tickets'
//! elements are indexed without an allocation each. The index is
//! built on the first query that asks for it and then kept in step by every write
//! ([`super::Indexes::add_where`] and [`super::Indexes::remove_where`]).

use std::hash::{BuildHasher, Hasher};

use hashbrown::{DefaultHashBuilder, HashMap};

use super::Docs;
use super::idset::IdSet;
use crate::doc::{Doc, DocRef, Val};
use crate::query::Filter;
use crate::query::filter::{Bound, Lit, MetaField, Row, Target, Test, like_limited};
use crate::schema::ObjectSchema;

/// The most classes a query evaluates; a filter that would evaluate more (a field holding
/// thousands of distinct values, asked without an id) is left to the candidates and the scan,
/// which run in time slices instead of under the lock at once.
/// (Small in tests, so random tables meet the fallback too.)
pub(crate) const CLASSES_EVALUATED: usize = if cfg!(test) { 12 } else { 4096 };

/// One distinct element and the records holding it.
struct Class {
    /// The element's `id` (0 when it has none, as the filter reads it).
    field: i64,
    /// The element without its `id` (kept in `field`).
    elem: Doc,
    schema: &'static ObjectSchema,
    /// Ascending record ids.
    records: Vec<u32>,
}

/// Distinct elements of one `customFields` field, with their records.
#[derive(Default)]
pub(crate) struct CustomIndex {
    /// Classes by the hash of the element ([`CustomIndex::hash`]); equal hashes are told
    /// apart by [`same`].
    by_hash: HashMap<u64, Vec<usize>>,
    hasher: DefaultHashBuilder,
    classes: Vec<Option<Class>>,
    /// Emptied slots of `classes`, reused first.
    free: Vec<usize>,
    /// Classes by element id.
    by_field: HashMap<i64, Vec<usize>>,
    /// Set if an element's copy in its class ever differed from it (a value the document
    /// form does not carry through JSON unchanged): the index then answers nothing, and
    /// queries go back to the scan, rather than answer from a copy that is not the element.
    unfaithful: bool,
}

/// An element as the filter reads it (as `Filter::matches_doc` does: `id` from the element,
/// no `_info`).
struct Elem<'a> {
    id: i64,
    doc: DocRef<'a>,
}

impl<'a> Row<'a> for Elem<'a> {
    fn id(&self) -> i64 {
        self.id
    }
    fn doc(&self) -> DocRef<'a> {
        self.doc
    }
    fn meta(&self, _: MetaField) -> Val<'a> {
        Val::Null
    }
}

/// Calls `f` with every element (an object) of record `id`'s array at `key`.
pub(crate) fn elements<'d>(docs: &'d impl Docs, id: u32, key: u16, mut f: impl FnMut(DocRef<'d>)) {
    let Some(doc) = docs.doc_of(id) else { return };
    if let Some(Val::Arr(items)) = doc.get(key) {
        items.iter().for_each(|it| {
            if let Val::Obj(d) = it {
                f(d);
            }
        });
    }
}

/// The element's `id` as the filter reads it (0 when it has none), and the key it is stored
/// under (left out of a class's document).
fn field_of(elem: DocRef<'_>) -> (i64, Option<u16>) {
    (elem.int("id").unwrap_or_default(), elem.schema.prop("id").map(|(k, _)| k))
}

/// The element's stored values but its `id`.
fn values(elem: DocRef<'_>, id_key: Option<u16>) -> impl Iterator<Item = (u16, Val<'_>)> {
    elem.entries().filter(move |(k, _)| Some(*k) != id_key)
}

fn hash_val(h: &mut impl Hasher, v: Val<'_>) {
    match v {
        Val::Null => h.write_u8(0),
        Val::Bool(b) => h.write_u8(if b { 2 } else { 1 }),
        Val::Int(i) => {
            h.write_u8(3);
            h.write_i64(i);
        }
        Val::Num(x) => {
            h.write_u8(4);
            h.write_u64(x.to_bits());
        }
        Val::Str(t) | Val::Any(t) => {
            h.write_u8(if matches!(v, Val::Str(_)) { 5 } else { 6 });
            h.write(t.as_bytes());
            h.write_u8(0xFF);
        }
        Val::DateTime(t) => {
            h.write_u8(7);
            h.write_i64(t);
        }
        Val::Obj(d) => {
            h.write_u8(8);
            d.entries().for_each(|(k, v)| {
                h.write_u16(k);
                hash_val(h, v);
            });
        }
        Val::Arr(a) => {
            h.write_u8(9);
            a.iter().for_each(|v| hash_val(h, v));
        }
    }
}

/// Whether two sequences of values are the same, value by value (as stored).
fn same_all<T>(mut a: impl Iterator<Item = T>, mut b: impl Iterator<Item = T>, eq: impl Fn(T, T) -> bool) -> bool {
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                if !eq(x, y) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Whether `elem`'s values but its `id` are those of `copy` (a class's document).
fn same_as_copy(elem: DocRef<'_>, id_key: Option<u16>, copy: DocRef<'_>) -> bool {
    same_all(values(elem, id_key), copy.entries(), |(i, v), (j, w)| i == j && same_val(v, w))
}

fn same_val(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) | (Val::DateTime(x), Val::DateTime(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x.to_bits() == y.to_bits(),
        (Val::Str(x), Val::Str(y)) | (Val::Any(x), Val::Any(y)) => x == y,
        (Val::Obj(x), Val::Obj(y)) => same_all(x.entries(), y.entries(), |(i, v), (j, w)| i == j && same_val(v, w)),
        (Val::Arr(x), Val::Arr(y)) => same_all(x.iter(), y.iter(), same_val),
        _ => false,
    }
}

impl CustomIndex {
    /// The index of the elements at `key` of every record.
    pub(crate) fn build(key: u16, docs: &impl Docs) -> Self {
        let mut index = Self::default();
        for id in docs.all_ids() {
            index.add(id, key, docs);
        }
        index
    }

    /// The hash of an element: its `id` and its other stored values.
    fn hash(&self, elem: DocRef<'_>) -> u64 {
        let (field, id_key) = field_of(elem);
        let mut h = self.hasher.build_hasher();
        h.write_i64(field);
        values(elem, id_key).for_each(|(k, v)| {
            h.write_u16(k);
            hash_val(&mut h, v);
        });
        h.finish()
    }

    /// The class of an element of hash `hash`, if there is one.
    fn find(&self, hash: u64, elem: DocRef<'_>) -> Option<usize> {
        let (field, id_key) = field_of(elem);
        self.by_hash.get(&hash)?.iter().copied().find(|&at| {
            self.classes[at]
                .as_ref()
                .is_some_and(|c| c.field == field && same_as_copy(elem, id_key, c.elem.view(c.schema)))
        })
    }

    /// Adds record `id` (as stored) to the classes of its elements.
    pub(crate) fn add(&mut self, id: u32, key: u16, docs: &impl Docs) {
        elements(docs, id, key, |elem| {
            let hash = self.hash(elem);
            let at = match self.find(hash, elem) {
                Some(at) => at,
                None => self.insert_class(hash, elem),
            };
            if let Some(class) = self.classes[at].as_mut()
                && let Err(i) = class.records.binary_search(&id)
            {
                class.records.insert(i, id);
            }
        });
    }

    /// Removes record `id` (still stored, as it was indexed) from the classes of its elements.
    pub(crate) fn remove(&mut self, id: u32, key: u16, docs: &impl Docs) {
        elements(docs, id, key, |elem| {
            let hash = self.hash(elem);
            let Some(at) = self.find(hash, elem) else { return };
            let Some(class) = self.classes[at].as_mut() else { return };
            if let Ok(i) = class.records.binary_search(&id) {
                class.records.remove(i);
            }
            if class.records.is_empty() {
                let field = class.field;
                if let Some(list) = self.by_hash.get_mut(&hash) {
                    list.retain(|&c| c != at);
                    if list.is_empty() {
                        self.by_hash.remove(&hash);
                    }
                }
                if let Some(list) = self.by_field.get_mut(&field) {
                    list.retain(|&c| c != at);
                    if list.is_empty() {
                        self.by_field.remove(&field);
                    }
                }
                self.classes[at] = None;
                self.free.push(at);
            }
        });
    }

    fn insert_class(&mut self, hash: u64, elem: DocRef<'_>) -> usize {
        let (field, _) = field_of(elem);
        // Encoded as a record (no `id`: the filter reads it from `field`).
        let class =
            Class { field, elem: Doc::encode(elem.schema, &elem.to_json()), schema: elem.schema, records: Vec::new() };
        let (_, id_key) = field_of(elem);
        self.unfaithful |= !same_as_copy(elem, id_key, class.elem.view(class.schema));
        let at = match self.free.pop() {
            Some(at) => {
                self.classes[at] = Some(class);
                at
            }
            None => {
                self.classes.push(Some(class));
                self.classes.len() - 1
            }
        };
        self.by_hash.entry(hash).or_default().push(at);
        self.by_field.entry(field).or_default().push(at);
        at
    }

    /// The records with an element satisfying `filter`, exactly; `None` when more than
    /// [`CLASSES_EVALUATED`] classes would be evaluated, or a `like` gave up at its step limit.
    pub(crate) fn matching(&self, filter: &Filter) -> Option<IdSet> {
        if self.unfaithful {
            return None;
        }
        let picked: Vec<usize> = match field_ids(&filter.0) {
            Some(ids) => ids.iter().filter_map(|f| self.by_field.get(f)).flatten().copied().collect(),
            None => (0..self.classes.len()).filter(|&c| self.classes[c].is_some()).collect(),
        };
        if picked.len() > CLASSES_EVALUATED {
            return None;
        }
        let (hits, over) = like_limited(|| {
            picked
                .iter()
                .filter_map(|&c| self.classes[c].as_ref())
                .filter(|c| filter.matches(&Elem { id: c.field, doc: c.elem.view(c.schema) }))
                .map(|c| c.records.as_slice())
                .collect::<Vec<&[u32]>>()
        });
        if over {
            return None;
        }
        Some(match hits.as_slice() {
            [] => IdSet::Ids(Vec::new()),
            [one] => IdSet::of(one),
            many => IdSet::of(&many.concat()),
        })
    }

    /// Approximate heap bytes.
    pub(crate) fn heap_size(&self) -> usize {
        let per_entry = std::mem::size_of::<(u64, Vec<usize>)>() + 1;
        self.by_hash.capacity() * per_entry
            + self.by_hash.values().map(|v| v.capacity() * 8).sum::<usize>()
            + self.classes.capacity() * std::mem::size_of::<Option<Class>>()
            + self.classes.iter().flatten().map(|c| c.elem.heap_size() + c.records.capacity() * 4).sum::<usize>()
            + self.by_field.values().map(|v| v.capacity() * 8 + 24).sum::<usize>()
    }
}

/// The element ids an element satisfying `b` must have, when its top-level `and` (or every
/// branch of an `or`) names them (`id = 7`, `id in (1, 2)`); `None` for "any".
fn field_ids(b: &Bound) -> Option<Vec<i64>> {
    match b {
        Bound::And(x, y) => match (field_ids(x), field_ids(y)) {
            (Some(a), Some(b)) => Some(a.into_iter().filter(|f| b.contains(f)).collect()),
            (a, b) => a.or(b),
        },
        Bound::Or(x, y) => {
            let mut all = field_ids(x)?;
            all.extend(field_ids(y)?);
            all.sort_unstable();
            all.dedup();
            Some(all)
        }
        Bound::Leaf { target: Target::Id, test, negated: false } => {
            let lits = match test {
                Test::Cmp(crate::query::conditions::Op::Eq, lit) => std::slice::from_ref(lit),
                Test::In(lits) => lits.as_slice(),
                _ => return None,
            };
            let mut ids = Vec::new();
            for lit in lits {
                let Lit::Num(n) = lit else { return None };
                // The filter compares the id as a float: beyond 2^53 several ids equal one
                // literal, so nothing is narrowed. A fraction equals no id.
                if n.abs() >= 9_007_199_254_740_992.0 {
                    return None;
                }
                if n.fract() == 0.0 {
                    ids.push(*n as i64);
                }
            }
            Some(ids)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::schema;
    use crate::store::table::{Meta, Record, Table};

    /// Every property of `CustomFieldValue`, with every kind of `value` ConnectWise sends,
    /// makes a class that is a faithful copy of its elements: records holding equal elements
    /// share it, and removing them empties the index.
    #[test]
    fn every_kind_of_element_is_copied_faithfully_and_shared_by_equal_elements() {
        let values = [
            json!("Gold"),
            json!(7),
            json!(-0.0),
            json!(2.5),
            json!(true),
            json!("2024-01-05T00:00:00Z"),
            json!([1, "a"]),
            json!({"a": {"b": null}}),
            json!(12_345_678_901_234_567_u64),
        ];
        let mut table = Table::new(schema("Member"), Some("identifier"));
        let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
        let elements: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(n, v)| {
                json!({ "id": n, "caption": "Tier", "type": "text", "entryMethod": "List",
                        "numberOfDecimals": 2, "value": v, "connectWiseId": "abc" })
            })
            .collect();
        for id in 1..=20u32 {
            let mut obj = serde_json::Map::new();
            obj.insert("identifier".into(), json!(format!("m{id}")));
            // Records 1..=9 hold element `id - 1`; the rest hold all of them.
            let held = if id <= 9 { vec![elements[id as usize - 1].clone()] } else { elements.clone() };
            obj.insert("customFields".into(), json!(held));
            table.insert(Record::new(id, meta, Doc::encode(schema("Member"), &obj)));
        }
        let (key, _) = schema("Member").prop("customFields").expect("members have custom fields");
        let mut index = CustomIndex::build(key, &table.rows());
        assert!(!index.unfaithful, "every element's copy is the element");
        let classes: Vec<&Class> = index.classes.iter().flatten().collect();
        assert_eq!(classes.len(), values.len(), "equal elements share a class");
        assert!(classes.iter().all(|c| c.records.len() == 12), "each held by its record and the 11 holding all");
        for id in 1..=20u32 {
            index.remove(id, key, &table.rows());
        }
        assert!(index.classes.iter().all(Option::is_none) && index.by_hash.is_empty() && index.by_field.is_empty());
    }
}
