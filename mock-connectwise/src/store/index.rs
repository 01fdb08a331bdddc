//! A table's secondary indexes: which fields are indexed, and the indexes themselves.
//!
//! - An *equality* index maps the hash of a value (folded as the query language compares it,
//!   see [`Key`]) to the ids of the records holding it, in id order. Hash collisions only add
//!   candidates: the planner checks every candidate against the whole filter.
//! - An *ordered* index lists the ids of the records with a text value, sorted by that value
//!   (case folded) and then id; it answers `like 'abc%'` with one contiguous range.
//! - The default order, ascending `id`, needs no index: records are stored in id order.
//!
//! Indexed are the fields integrations look records up by: `identifier`, `name`,
//! `firstName`, `lastName` (equality and prefix), every reference's `id` (`company/id`,
//! `board/id`, `status/id`, ...), the `id` of the elements of arrays of objects (`types/id`,
//! `customFields/id`), `inactiveFlag` and `closedFlag`, and the parent record of child
//! collections. Keys of numbers, times and flags are the values themselves, so those
//! indexes are exact; text keys are hashes, so text candidates are checked. The unique field
//! (a member's identifier) is answered by the table's unique index. The elements of
//! `customFields` have an index of their own ([`custom`]), which answers
//! `customFieldConditions` exactly.
//!
//! Each index is built the first time a query asks for it (a million-member start stays
//! fast, and memory goes only to indexes in use), then kept in step by every write.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hashbrown::HashMap;

use crate::doc::{DocRef, Val};
use crate::query::filter::{Target, cmp_ci, values_at};
use crate::query::plan::{Key, KeyKind, cmp_prefix};
use crate::schema::{ObjectSchema, SCHEMAS, Type};
use idset::{BITSET_MIN_IDS, IdSet, ascending, bits_of, set_bit};

#[path = "idset.rs"]
pub(crate) mod idset;

#[path = "index_custom.rs"]
pub(crate) mod custom;

#[path = "index_eq.rs"]
mod eq;

#[path = "index_ord.rs"]
mod ord;

use eq::{EqIndex, Posting};
use ord::{build_ord, ord_position};

/// What an index is over.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum On {
    /// Values at a document path.
    Path(Vec<u16>),
    /// The parent record's id (child collections).
    Parent,
}

/// One indexed field.
#[derive(Debug)]
pub(crate) struct Def {
    pub(crate) on: On,
    pub(crate) kind: KeyKind,
    /// Whether an ordered (prefix) index is kept too: top-level text fields only.
    ordered: bool,
}

/// One field's indexes, built on first use.
#[derive(Default)]
struct Slot {
    eq: OnceLock<EqIndex>,
    /// Ids sorted by (folded text, id).
    ord: OnceLock<Vec<u32>>,
    /// Bitsets of the large ranges of `ord` last asked for, by (folded) prefix.
    prefixes: Mutex<Vec<KeptPrefix>>,
}

/// A folded prefix and the bitset of the records whose text starts with it.
type KeptPrefix = (Vec<char>, Arc<Vec<u64>>);

/// How many prefix bitsets a field keeps (each an eighth of a byte per record).
const PREFIXES_KEPT: usize = 8;

impl Slot {
    /// Sets (`on`) or clears record `id`'s bit in every kept prefix bitset its text at `key`
    /// starts with. Writes hold the store's write lock, so no query holds a bitset: no copy.
    fn mark_prefixes(&mut self, key: u16, id: u32, docs: &impl Docs, on: bool) {
        let kept = self.prefixes.get_mut().unwrap_or_else(PoisonError::into_inner);
        if kept.is_empty() {
            return;
        }
        let Some(text) = docs.doc_of(id).and_then(|d| d.str_at(key)) else { return };
        for (prefix, bits) in kept.iter_mut() {
            if cmp_prefix(text, prefix).is_eq() {
                set_bit(Arc::make_mut(bits), id, on);
            }
        }
    }
}

/// Every secondary index of one table.
pub(crate) struct Indexes {
    defs: Vec<Def>,
    slots: Vec<Slot>,
    /// The index of the `customFields` elements (`customFieldConditions`), if the schema has
    /// them: the field's key and the index, built on first use.
    custom: Option<(u16, OnceLock<custom::CustomIndex>)>,
}

/// Not part of a table's data: built lazily by reads, so left out of `Debug` (tests compare
/// stores by their `Debug` text).
impl std::fmt::Debug for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Indexes({})", self.defs.len())
    }
}

/// Field names indexed for equality and prefix wherever a schema has them as text.
const NAMED: [&str; 4] = ["identifier", "name", "firstName", "lastName"];

/// Flags integrations filter on, indexed for equality.
const FLAGS: [&str; 2] = ["inactiveFlag", "closedFlag"];

/// Reads a record's document (by id) for the ordered index's comparisons.
pub(crate) trait Docs {
    fn doc_of(&self, id: u32) -> Option<DocRef<'_>>;
    fn parent_of(&self, id: u32) -> Option<u32>;
    /// Every record's id, ascending.
    fn all_ids(&self) -> impl Iterator<Item = u32>;
}

impl Indexes {
    /// The indexes a table of `schema` keeps; `unique` (answered elsewhere) is left out.
    pub(crate) fn for_schema(schema: &'static ObjectSchema, unique: Option<&str>, child: bool) -> Self {
        let mut defs = Vec::new();
        let custom = schema.prop("customFields").map(|(key, _)| (key, OnceLock::new()));
        for (i, prop) in schema.props.iter().enumerate() {
            let Ok(key) = u16::try_from(i) else { continue };
            let is_unique = unique.is_some_and(|u| u.eq_ignore_ascii_case(&prop.name));
            match &prop.ty {
                Type::Str if NAMED.iter().any(|n| n.eq_ignore_ascii_case(&prop.name)) => {
                    if !is_unique {
                        defs.push(Def { on: On::Path(vec![key]), kind: KeyKind::Text, ordered: false });
                    }
                    defs.push(Def { on: On::Path(vec![key]), kind: KeyKind::Text, ordered: true });
                }
                Type::Bool if FLAGS.iter().any(|n| n.eq_ignore_ascii_case(&prop.name)) => {
                    defs.push(Def { on: On::Path(vec![key]), kind: KeyKind::Flag, ordered: false });
                }
                Type::Object(target) => {
                    let target = SCHEMAS.get(*target);
                    if let Some((id_key, id_prop)) = target.prop("id").filter(|_| target.is_reference())
                        && matches!(id_prop.ty, Type::Int)
                    {
                        defs.push(Def { on: On::Path(vec![key, id_key]), kind: KeyKind::Number, ordered: false });
                    }
                }
                // Arrays of objects with an id: `types/id` (childConditions), `customFields/id`
                // (customFieldConditions), one key per element.
                Type::Array(item) => {
                    if let Type::Object(target) = item.as_ref()
                        && let Some((id_key, id_prop)) = SCHEMAS.get(*target).prop("id")
                        && matches!(id_prop.ty, Type::Int)
                    {
                        defs.push(Def { on: On::Path(vec![key, id_key]), kind: KeyKind::Number, ordered: false });
                    }
                }
                _ => {}
            }
        }
        if child {
            defs.push(Def { on: On::Parent, kind: KeyKind::Number, ordered: false });
        }
        let slots = defs.iter().map(|_| Slot::default()).collect();
        Self { defs, slots, custom }
    }

    /// The records with an element of `customFields` (at `key`) satisfying `filter`, exactly
    /// (see [`custom`]); `None` when the index does not answer it.
    pub(crate) fn custom_set(&self, key: u16, filter: &crate::query::Filter, docs: &impl Docs) -> Option<IdSet> {
        let (at, index) = self.custom.as_ref()?;
        if *at != key {
            return None;
        }
        index.get_or_init(|| custom::CustomIndex::build(key, docs)).matching(filter)
    }

    /// The equality index over `on` for keys of `kind`, if there is one.
    fn find(&self, on: &On, kind: KeyKind, ordered: bool) -> Option<usize> {
        self.defs.iter().position(|d| d.on == *on && d.kind == kind && d.ordered == ordered)
    }

    /// Ids (ascending) of records holding any of `keys` at `target`; `None` if no index
    /// covers it.
    pub(crate) fn lookup(&self, target: &Target, keys: &[Key<'_>], docs: &impl Docs) -> Option<Vec<u32>> {
        let Target::Doc(path) = target else { return None };
        self.lookup_on(&On::Path(path.clone()), keys, docs)
    }

    /// A membership test for "holds any of `keys` at `target`" from an exact index (keys of
    /// numbers, times or flags); `None` if no such index covers it.
    pub(crate) fn members(&self, target: &Target, keys: &[Key<'_>], docs: &impl Docs) -> Option<IdSet> {
        let Target::Doc(path) = target else { return None };
        let kind = keys.first()?.kind();
        if kind == KeyKind::Text || keys.iter().any(|k| k.kind() != kind) {
            return None;
        }
        let i = self.find(&On::Path(path.clone()), kind, false)?;
        let index = self.slots[i].eq.get_or_init(|| self.build_eq(i, docs));
        let mut sets = keys.iter().map(|k| index.members(k));
        let first = sets.next()?;
        Some(sets.fold(first, |acc, s| acc.or(&s)))
    }

    /// The children of `parent`, as a set.
    pub(crate) fn children_set(&self, parent: u32, docs: &impl Docs) -> Option<IdSet> {
        let i = self.find(&On::Parent, KeyKind::Number, false)?;
        let index = self.slots[i].eq.get_or_init(|| self.build_eq(i, docs));
        Some(index.members(&Key::Number(f64::from(parent))))
    }

    /// The records whose text at `target` starts with `prefix` (folded), as a set: the ids
    /// of a small range, or a bitset of a large one, kept (for the last few prefixes asked)
    /// and in step with writes from then on, so asking again costs no walk of the range.
    pub(crate) fn prefix_set(&self, target: &Target, prefix: &[char], docs: &impl Docs) -> Option<IdSet> {
        let range = self.prefix_range(target, prefix, docs)?;
        if range.len() < BITSET_MIN_IDS {
            return Some(IdSet::Ids(ascending(range)));
        }
        let Target::Doc(path) = target else { return None };
        let i = self.find(&On::Path(path.clone()), KeyKind::Text, true)?;
        let mut kept = self.slots[i].prefixes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = kept.iter().position(|(p, _)| p.as_slice() == prefix) {
            // The most recently asked go last; the first is the one dropped.
            let hit = kept.remove(at);
            let bits = hit.1.clone();
            kept.push(hit);
            return Some(IdSet::Bits(bits));
        }
        let bits = Arc::new(bits_of(range.iter().copied()));
        if kept.len() >= PREFIXES_KEPT {
            kept.remove(0);
        }
        kept.push((prefix.to_vec(), bits.clone()));
        Some(IdSet::Bits(bits))
    }

    /// Ids (ascending) of the children of `parent`.
    pub(crate) fn children(&self, parent: u32, docs: &impl Docs) -> Option<Vec<u32>> {
        self.lookup_on(&On::Parent, &[Key::Number(f64::from(parent))], docs)
    }

    fn lookup_on(&self, on: &On, keys: &[Key<'_>], docs: &impl Docs) -> Option<Vec<u32>> {
        let kind = keys.first()?.kind();
        if keys.iter().any(|k| k.kind() != kind) {
            return None;
        }
        let i = self.find(on, kind, false)?;
        let index = self.slots[i].eq.get_or_init(|| self.build_eq(i, docs));
        let mut ids: Vec<u32> = keys.iter().flat_map(|k| index.get(k)).copied().collect();
        if keys.len() > 1 {
            ids.sort_unstable();
            ids.dedup();
        }
        Some(ids)
    }

    /// Ids (ascending) of records whose text at `target` starts with `prefix` (folded).
    pub(crate) fn prefix(&self, target: &Target, prefix: &[char], docs: &impl Docs) -> Option<Vec<u32>> {
        Some(ascending(self.prefix_range(target, prefix, docs)?))
    }

    /// The ids of records whose text at `target` starts with `prefix` (folded), in the order
    /// of that text (folded), then id.
    pub(crate) fn prefix_range<'s>(&'s self, target: &Target, prefix: &[char], docs: &impl Docs) -> Option<&'s [u32]> {
        let Target::Doc(path) = target else { return None };
        let i = self.find(&On::Path(path.clone()), KeyKind::Text, true)?;
        let key = path[0];
        let ord = self.slots[i].ord.get_or_init(|| build_ord(key, docs));
        let text = |id: u32| docs.doc_of(id).and_then(|d| d.str_at(key)).unwrap_or("");
        let lo = ord.partition_point(|&id| cmp_prefix(text(id), prefix).is_lt());
        let hi = lo + ord[lo..].partition_point(|&id| cmp_prefix(text(id), prefix).is_eq());
        Some(&ord[lo..hi])
    }

    fn build_eq(&self, i: usize, docs: &impl Docs) -> EqIndex {
        // Two passes: count each key's records, then fill postings made to size. Postings
        // grown by doubling left as much again freed (and kept resident by the allocator) as
        // they hold: 8 MB for a million members' `securityRole/id`.
        let mut index = EqIndex::default();
        let mut sizes: HashMap<u64, u32> = HashMap::new();
        for id in docs.all_ids() {
            self.each_key(i, id, docs, |k| *sizes.entry(index.hash(&k)).or_default() += 1);
        }
        index.map.reserve(sizes.len());
        for (h, n) in sizes {
            if n > 1 {
                index.map.insert(h, Posting::Many(Vec::with_capacity(n as usize)));
            }
        }
        for id in docs.all_ids() {
            self.each_key(i, id, docs, |k| index.add(&k, id));
        }
        // A record holding a key twice (an array) made a posting of one.
        for p in index.map.values_mut() {
            if let Posting::Many(v) = p
                && let [only] = v.as_slice()
            {
                *p = Posting::One(*only);
            }
        }
        index
    }

    /// Calls `f` with every key record `id` has for index `i`.
    fn each_key<'d, D: Docs>(&self, i: usize, id: u32, docs: &'d D, mut f: impl FnMut(Key<'d>)) {
        match &self.defs[i].on {
            On::Parent => {
                if let Some(p) = docs.parent_of(id).filter(|&p| p != 0) {
                    f(Key::Number(f64::from(p)));
                }
            }
            On::Path(path) => {
                let Some(doc) = docs.doc_of(id) else { return };
                values_at(doc, path, &mut |v| {
                    if let Some(k) = Key::of_val(v) {
                        f(k);
                    }
                    false
                });
            }
        }
    }

    /// Which indexes hold the same keys for a record's `old` and `new` document, so an
    /// update leaves them alone (a PATCH of a title moves no index entry).
    pub(crate) fn unchanged(&self, old: DocRef<'_>, new: DocRef<'_>, same_parent: bool) -> Vec<bool> {
        self.defs
            .iter()
            .zip(&self.slots)
            .map(|(def, slot)| match &def.on {
                On::Parent => same_parent,
                On::Path(path) => {
                    let keys = |doc: DocRef<'_>| {
                        let mut out = Vec::new();
                        if let Some(index) = slot.eq.get() {
                            values_at(doc, path, &mut |v| {
                                out.extend(Key::of_val(v).map(|k| k.bits(&index.hasher)));
                                false
                            });
                        }
                        out
                    };
                    let text_same = slot.ord.get().is_none()
                        || match (old.str_at(path[0]), new.str_at(path[0])) {
                            (Some(a), Some(b)) => cmp_ci(a, b).is_eq(),
                            (a, b) => a.is_none() && b.is_none(),
                        };
                    text_same && keys(old) == keys(new)
                }
            })
            .chain(self.custom.as_ref().map(|(key, index)| {
                // Compared only once built: an update of a record's other fields moves nothing.
                index.get().is_none() || old.get(*key).map(Val::to_json) == new.get(*key).map(Val::to_json)
            }))
            .collect()
    }

    /// Adds record `id` (already stored) to every built index not marked `true` in `skip`.
    pub(crate) fn add_where(&mut self, id: u32, docs: &impl Docs, skip: &[bool]) {
        if let Some((key, index)) = &mut self.custom
            && !skip.get(self.defs.len()).copied().unwrap_or(false)
            && let Some(index) = index.get_mut()
        {
            index.add(id, *key, docs);
        }
        for i in 0..self.slots.len() {
            if skip.get(i).copied().unwrap_or(false) {
                continue;
            }
            if self.slots[i].eq.get().is_some() {
                let mut keys = Vec::new();
                self.each_key(i, id, docs, |k| keys.push(k));
                if let Some(index) = self.slots[i].eq.get_mut() {
                    keys.iter().for_each(|k| index.add(k, id));
                }
            }
            let On::Path(path) = &self.defs[i].on else { continue };
            let key = path[0];
            if let Some(ord) = self.slots[i].ord.get_mut() {
                if let Some(at) = ord_position(ord, key, id, docs) {
                    ord.insert(at, id);
                }
            }
            self.slots[i].mark_prefixes(key, id, docs, true);
        }
    }

    /// Removes record `id` (still stored, as it was indexed) from every built index not
    /// marked `true` in `skip`.
    pub(crate) fn remove_where(&mut self, id: u32, docs: &impl Docs, skip: &[bool]) {
        if let Some((key, index)) = &mut self.custom
            && !skip.get(self.defs.len()).copied().unwrap_or(false)
            && let Some(index) = index.get_mut()
        {
            index.remove(id, *key, docs);
        }
        for i in 0..self.slots.len() {
            if skip.get(i).copied().unwrap_or(false) {
                continue;
            }
            if self.slots[i].eq.get().is_some() {
                let mut keys = Vec::new();
                self.each_key(i, id, docs, |k| keys.push(k));
                if let Some(index) = self.slots[i].eq.get_mut() {
                    keys.iter().for_each(|k| index.remove(k, id));
                }
            }
            let On::Path(path) = &self.defs[i].on else { continue };
            let key = path[0];
            if let Some(ord) = self.slots[i].ord.get_mut() {
                let at = ord_position(ord, key, id, docs);
                if let Some(at) = at.filter(|&at| ord.get(at) == Some(&id)) {
                    ord.remove(at);
                }
            }
            self.slots[i].mark_prefixes(key, id, docs, false);
        }
    }

    /// Approximate heap bytes of the built indexes.
    pub(crate) fn heap_size(&self) -> usize {
        self.custom.as_ref().and_then(|(_, c)| c.get()).map_or(0, custom::CustomIndex::heap_size)
            + self
                .slots
                .iter()
                .map(|s| {
                    let kept = s.prefixes.lock().unwrap_or_else(PoisonError::into_inner);
                    s.eq.get().map_or(0, EqIndex::heap_size)
                        + s.ord.get().map_or(0, |o| o.capacity() * 4)
                        + kept.iter().map(|(_, b)| b.capacity() * 8).sum::<usize>()
                })
                .sum::<usize>()
    }
}
