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
//! document, its JSON text as the key) and four bytes per record holding it. The index is
//! built on the first query that asks for it and then kept in step by every write
//! ([`super::Indexes::add_where`] and [`super::Indexes::remove_where`]).

use hashbrown::HashMap;

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
    /// Class by the element's JSON text (with its `id`).
    by_key: HashMap<Box<str>, usize>,
    classes: Vec<Option<Class>>,
    /// Emptied slots of `classes`, reused first.
    free: Vec<usize>,
    /// Classes by element id.
    by_field: HashMap<i64, Vec<usize>>,
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

/// The class key of an element: its JSON text (every stored property, `id` included).
fn key_of(elem: DocRef<'_>) -> String {
    serde_json::Value::Object(elem.to_json()).to_string()
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

    /// Adds record `id` (as stored) to the classes of its elements.
    pub(crate) fn add(&mut self, id: u32, key: u16, docs: &impl Docs) {
        elements(docs, id, key, |elem| {
            let text = key_of(elem);
            let at = match self.by_key.get(text.as_str()) {
                Some(&at) => at,
                None => self.insert_class(text, elem),
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
            let text = key_of(elem);
            let Some(&at) = self.by_key.get(text.as_str()) else { return };
            let Some(class) = self.classes[at].as_mut() else { return };
            if let Ok(i) = class.records.binary_search(&id) {
                class.records.remove(i);
            }
            if class.records.is_empty() {
                let field = class.field;
                self.by_key.remove(text.as_str());
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

    fn insert_class(&mut self, text: String, elem: DocRef<'_>) -> usize {
        let field = elem.int("id").unwrap_or_default();
        // Encoded as a record (no `id`: the filter reads it from `field`).
        let class =
            Class { field, elem: Doc::encode(elem.schema, &elem.to_json()), schema: elem.schema, records: Vec::new() };
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
        self.by_key.insert(text.into_boxed_str(), at);
        self.by_field.entry(field).or_default().push(at);
        at
    }

    /// The records with an element satisfying `filter`, exactly; `None` when more than
    /// [`CLASSES_EVALUATED`] classes would be evaluated, or a `like` gave up at its step limit.
    pub(crate) fn matching(&self, filter: &Filter) -> Option<IdSet> {
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
        let per_entry = std::mem::size_of::<(Box<str>, usize)>() + 1;
        self.by_key.capacity() * per_entry
            + self.by_key.keys().map(|k| k.len()).sum::<usize>()
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
