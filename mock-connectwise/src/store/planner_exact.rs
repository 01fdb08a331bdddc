//! Queries answered from the indexes alone. When every term of a query's filter is answered
//! exactly by an index (an ordered index's prefix range, a flag's or a reference id's
//! posting, the unique index, named ids; `and` and `or` of them) and the parent is answered by
//! the parent index, the matches are the set algebra of those answers ([`IdSet`]): a count
//! is the set's size (a population count: its cost grows with the number of terms, not of
//! matches), and a page in id order, navigable or forward-only, is read off the set from the
//! cursor, stopping once the page is full. Only the page's records are read (and, for the
//! "others" flag, those up to the first not the caller's, when the caller entered any).
//! `customFieldConditions` are answered exactly by the index of the custom fields' elements
//! (`index_custom.rs`) and meet the rest as one more set.
//!
//! Anything else (a text equality, whose index is of hashes; `like 'S%th'`; negations;
//! custom fields with too many distinct elements to evaluate; a caller who sees only some
//! records) is left to the planner's candidates and scan, which check records.

use super::{Access, Names, Record, Table, Visibility};
use crate::query::BoundQuery;
use crate::query::Filter;
use crate::query::filter::Target;
use crate::query::plan::{Key, Probe, Shape, shape, shape_of};
use crate::store::index::idset::{IdSet, ascending};

/// The set of records matching one part of a filter exactly, or `None` when an index does
/// not answer it exactly. `None` for an empty `and` too (no filter: every record).
pub(crate) fn set(table: &Table, s: &Shape<'_>) -> Option<IdSet> {
    let rows = table.rows();
    match s {
        Shape::Opaque | Shape::Probe(_, Probe::Prefix(_, false)) => None,
        // Named ids count only where a record has them.
        Shape::Ids(ids) => Some(IdSet::Ids(ascending(ids).into_iter().filter(|&id| table.get(id).is_some()).collect())),
        Shape::Probe(target, Probe::Keys(keys)) => match super::unique_texts(table, target, keys) {
            Some(texts) => {
                let mut ids = Vec::new();
                for t in texts {
                    ids.extend(table.find_unique_all(t)?);
                }
                Some(IdSet::Ids(ascending(&ids)))
            }
            // Other text indexes hold hashes: their candidates need checking.
            None if keys.iter().all(|k| matches!(k, Key::Text(_))) => None,
            None => table.indexes.members(target, keys, &rows),
        },
        Shape::Probe(target, Probe::Prefix(prefix, true)) => table.indexes.prefix_set(target, prefix, &rows),
        Shape::All(parts) => intersect(parts.iter().map(|p| set(table, p)).collect::<Option<Vec<_>>>()?),
        Shape::Any(parts) => {
            let mut sets = parts.iter().map(|p| set(table, p));
            let first = sets.next()??;
            sets.try_fold(first, |acc, s| Some(acc.or(&s?)))
        }
    }
}

/// The exact set of `q`'s matches under `parent`, when the indexes answer the whole query
/// and the caller sees every record; `None` otherwise (and for no filter and no parent,
/// which the table's own counts answer).
pub(crate) fn matches(
    table: &Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    vis: &Visibility<'_>,
) -> Option<IdSet> {
    if access.own_only || vis.narrows() {
        return None;
    }
    let rows = table.rows();
    let by_filter = if q.filters.is_empty() { None } else { Some(set(table, &shape(q))?) };
    let by_parent = match parent {
        Some(p) => Some(table.indexes.children_set(p, &rows)?),
        None => None,
    };
    let by_custom = match &q.custom {
        Some((key, f)) => Some(table.indexes.custom_set(*key, f, &rows)?),
        None => None,
    };
    intersect([by_custom, by_filter, by_parent].into_iter().flatten().collect())
}

/// The ids in every one of `sets` (`None` for none): lists first, smallest first, so each
/// later set is only probed by their ids; bitsets last.
fn intersect(mut sets: Vec<IdSet>) -> Option<IdSet> {
    sets.sort_by_key(|s| match s {
        IdSet::Ids(ids) => ids.len(),
        IdSet::Bits(_) => usize::MAX,
    });
    let mut sets = sets.into_iter();
    let first = sets.next()?;
    Some(sets.fold(first, |acc, s| acc.and(&s)))
}

/// The cursor of forward-only paging (0 for none).
fn after(q: &BoundQuery) -> u32 {
    q.paging.after_id.map_or(0, |a| u32::try_from(a.max(0)).unwrap_or(u32::MAX))
}

/// Whether any of the `total` matches in `set` after `after` was entered by someone other
/// than the caller: without reading a record when the caller entered none of the table's
/// and owns no record otherwise, else reading them up to the first that is not the caller's.
pub(crate) fn others(
    table: &Table,
    set: &IdSet,
    after: u32,
    access: Access<'_>,
    names: &Names,
    vis: &Visibility<'_>,
) -> bool {
    if !access.track_others || set.count_after(after) == 0 {
        return false;
    }
    if !vis.owns_beyond_entry() && table.entered_by(names.lookup(access.caller)) == 0 {
        return true;
    }
    let mut pos = 0;
    set.iter_after(after).any(|id| {
        let (found, at) = super::get_near(table, pos, id);
        pos = at;
        found.is_some_and(|r| !vis.owns(r))
    })
}

/// The count of `q`'s matches and whether any was entered by others, from the indexes alone;
/// `None` when they do not answer it.
pub(crate) fn count(
    table: &Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &Names,
    vis: &Visibility<'_>,
) -> Option<(usize, bool)> {
    let set = matches(table, parent, q, access, vis)?;
    let after = after(q);
    Some((set.count_after(after), others(table, &set, after, access, names, vis)))
}

/// A page in id order (navigable, or forward-only from `pageId`), the total and the "others"
/// flag, from the indexes alone; `None` when they do not answer the query or it is ordered
/// by anything but id.
pub(crate) fn page<'t>(
    table: &'t Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &Names,
    vis: &Visibility<'_>,
) -> Option<(Vec<&'t Record>, usize, bool)> {
    if !q.order.is_by_id() {
        return None;
    }
    let set = matches(table, parent, q, access, vis)?;
    let after = after(q);
    let size = q.paging.size as usize;
    let skip = (q.paging.page as usize - 1).saturating_mul(size);
    let mut pos = 0;
    let page = set
        .iter_after(after)
        .skip(skip)
        .take(size)
        .filter_map(|id| {
            let (found, at) = super::get_near(table, pos, id);
            pos = at;
            found
        })
        .collect();
    Some((page, set.count_after(after), others(table, &set, after, access, names, vis)))
}

/// Candidates (ascending) for `customFieldConditions` on the field at `key` when the custom
/// fields' index does not answer them (too many distinct elements to evaluate): the records
/// with an element whose `id` the condition's top-level `and` names (`id = 7 and value =
/// "Gold"`), from the index of the elements' ids. A superset (the other terms are checked on
/// the records); `None` when the condition names no id.
pub(crate) fn custom_candidates(table: &Table, key: u16, filter: &Filter) -> Option<Vec<u32>> {
    let schema = crate::schema::schema("CustomFieldValue");
    let (id_key, _) = schema.prop("id")?;
    let ids: Vec<f64> = match shape_of(filter) {
        Shape::Ids(ids) => ids.into_iter().map(f64::from).collect(),
        Shape::All(parts) => parts.into_iter().find_map(|p| match p {
            Shape::Ids(ids) => Some(ids.into_iter().map(f64::from).collect()),
            Shape::Probe(Target::Doc(path), Probe::Keys(keys)) if path.as_slice() == [id_key] => {
                keys.iter().map(|k| if let Key::Number(n) = k { Some(*n) } else { None }).collect()
            }
            _ => None,
        })?,
        Shape::Probe(Target::Doc(path), Probe::Keys(keys)) if path.as_slice() == [id_key] => {
            keys.iter().map(|k| if let Key::Number(n) = k { Some(*n) } else { None }).collect::<Option<_>>()?
        }
        _ => return None,
    };
    let keys: Vec<Key<'_>> = ids.into_iter().map(Key::Number).collect();
    table.indexes.lookup(&Target::Doc(vec![key, id_key]), &keys, &table.rows())
}
