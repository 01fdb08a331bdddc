//! Lists read straight off an ordered index, with no candidate list at all: for a query
//! ordered by a text field whose top-level `and` asks a prefix of that field (`lastName like
//! 'S%'`) and whose whole filter the indexes answer exactly (`inactiveFlag = false`,
//! `securityRole/id in (1, 2)`, `id = 5`: see [`super::exact`]), the prefix's slice of the
//! ordered index holds every match, already in order. The matches' set gives the total (a
//! population count) and tests each id of the walk (a bit); the page is the first matches of
//! the walk, each run of equal values sorted by the remaining keys. No record is read but the
//! page's (and, for the "others" flag, those up to the first not entered by the caller).
//! [`page_by_index`] orders a scan's matches the same way when the other terms need a scan.

use super::{Access, Names, Record, RowView, Table, Visibility};
use crate::doc::Val;
use crate::query::BoundQuery;
use crate::query::filter::{Target, cmp_ci, first_value, order_values};
use crate::query::plan::{Probe, Shape, shape};

/// The longest prefix slice walked this way: a larger one goes to the sliced scan, so one
/// query never holds the lock for long.
const MOST_IDS: usize = 250_000;

/// The page, the total and whether any match was entered by someone other than the caller,
/// or `None` when the query is not of that form.
pub(crate) fn page<'t>(
    table: &'t Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &'t Names,
    vis: &Visibility<'_>,
) -> Option<(Vec<&'t Record>, usize, bool)> {
    if parent.is_some() || access.own_only || vis.narrows() {
        return None;
    }
    if q.paging.after_id.is_some_and(|a| a > 0) {
        return None;
    }
    let (first, desc) = q.order.first_key()?;
    let Target::Doc(path) = first else { return None };
    let [key] = path.as_slice() else { return None };
    let whole = shape(q);
    let prefix = conjunction_prefix(&whole, first)?;
    // The whole filter answered exactly by the indexes: the matches as a set.
    let mut matches = super::exact::set(table, &whole)?;
    // `customFieldConditions` meet the rest as one more exact set (`index_custom.rs`).
    if let Some((key, f)) = &q.custom {
        matches = matches.and(&table.indexes.custom_set(*key, f, &table.rows())?);
    }
    let slice = table.indexes.prefix_range(first, &prefix, &table.rows())?;
    if slice.len() > MOST_IDS {
        return None;
    }
    let total = matches.count_after(0);
    let others = super::exact::others(table, &matches, 0, access, names, vis);
    let size = q.paging.size as usize;
    let skip = (q.paging.page as usize - 1).saturating_mul(size);
    let walked = walk(table, slice, desc, *key, q, names, skip.saturating_add(size), |id| matches.contains(id));
    Some((walked.into_iter().skip(skip).take(size).collect(), total, others))
}

/// The first `wanted` records of `slice` (ids in the order of the text at `key`, ascending)
/// that pass `is_match`, in `q`'s order: walked from the end when the first key is
/// descending, each run of equal texts sorted by `q`'s whole order. A run's order is kept
/// ([`Runs`]) until the table next changes, so the next page, or the next query in the same
/// order, reads only the records it takes; a run too long to keep has only the records the
/// page takes sorted. Fewer than `wanted` only when fewer match.
#[allow(clippy::too_many_arguments)] // the slice, how to read it, and what to keep
pub(crate) fn walk<'t>(
    table: &'t Table,
    slice: &[u32],
    desc: bool,
    key: u16,
    q: &BoundQuery,
    names: &'t Names,
    wanted: usize,
    is_match: impl Fn(u32) -> bool,
) -> Vec<&'t Record> {
    let view = |rec: &'t Record| RowView { rec, schema: table.schema, names };
    let text = |r: &'t Record| r.doc.view(table.schema).str_at(key).unwrap_or("");
    let get = |id: u32| super::get_near(table, 0, id).0;
    // Within a run the first key is equal: the second is read once per record (a run is a
    // few thousand records at a million), the rest only break its ties.
    let second = q.order.rest().first();
    let sort = |run: Vec<&'t Record>, need: usize| -> Vec<&'t Record> {
        let mut keyed: Vec<(Option<Val<'t>>, &'t Record)> =
            run.into_iter().map(|r| (second.and_then(|(t, _)| first_value(&view(r), t)), r)).collect();
        let desc = second.is_some_and(|(_, d)| *d);
        let cmp = |a: &(Option<Val<'t>>, &'t Record), b: &(Option<Val<'t>>, &'t Record)| {
            let o = order_values(a.0, b.0);
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| q.order.compare(&view(a.1), &view(b.1)))
        };
        if keyed.len() > need {
            keyed.select_nth_unstable_by(need - 1, cmp);
            keyed.truncate(need);
        }
        keyed.sort_by(cmp);
        keyed.into_iter().map(|(_, r)| r).collect()
    };
    let order = format!("{key}:{desc}:{:?}", q.order);
    let at = |i: usize| if desc { slice[slice.len() - 1 - i] } else { slice[i] };
    let mut out: Vec<&'t Record> = Vec::new();
    let mut i = 0;
    while i < slice.len() && out.len() < wanted {
        let first = at(i);
        let need = wanted - out.len();
        if let Some((len, sorted)) = table.runs.get(table.version(), &order, first) {
            out.extend(sorted.iter().filter(|&&id| is_match(id)).filter_map(|&id| get(id)).take(need));
            i += len;
            continue;
        }
        let Some(head) = get(first) else {
            i += 1;
            continue;
        };
        let mut run = vec![head];
        let mut j = i + 1;
        while let Some(rec) = (j < slice.len()).then(|| get(at(j))).flatten() {
            if cmp_ci(text(rec), text(head)).is_ne() {
                break;
            }
            run.push(rec);
            j += 1;
        }
        if run.len() <= RUN_KEPT_MAX {
            let sorted = sort(run, usize::MAX);
            table.runs.put(table.version(), &order, first, j - i, sorted.iter().map(|r| r.id).collect());
            out.extend(sorted.into_iter().filter(|r| is_match(r.id)).take(need));
        } else {
            let matching: Vec<&'t Record> = run.into_iter().filter(|r| is_match(r.id)).collect();
            out.extend(sort(matching, need.max(1)));
        }
        i = j;
    }
    out
}

/// The longest run whose order is kept: longer ones are partly sorted each time.
const RUN_KEPT_MAX: usize = 20_000;

/// How many runs' orders a table keeps.
const RUNS_KEPT: usize = 16;

/// The order of the runs of equal first keys last walked, by the table's version, the order
/// asked and the run's first id in the index: what a client paging through a sorted list, or
/// asking again, would otherwise sort again. Dropped when the table changes (a new version
/// never matches).
#[derive(Default)]
pub(crate) struct Runs(std::sync::Mutex<Vec<KeptRun>>);

/// `(version, order, first id, length in the index, ids in order)`.
type KeptRun = (u64, String, u32, usize, std::sync::Arc<[u32]>);

/// Not part of a table's data (tests compare stores by their `Debug` text).
impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runs")
    }
}

impl Runs {
    fn get(&self, version: u64, order: &str, first: u32) -> Option<(usize, std::sync::Arc<[u32]>)> {
        let kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.iter().find(|k| k.0 == version && k.2 == first && k.1 == order).map(|k| (k.3, k.4.clone()))
    }

    fn put(&self, version: u64, order: &str, first: u32, len: usize, ids: Vec<u32>) {
        let mut kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.retain(|k| k.0 == version);
        if kept.len() >= RUNS_KEPT {
            kept.remove(0);
        }
        kept.push((version, order.to_owned(), first, len, ids.into()));
    }
}

/// The page of `rows` (the matches, in id order) in `q`'s order, read off an ordered index
/// when the first sort key is a text field the query also asks a prefix of (`lastName like
/// 'S%'`, `orderBy=lastName desc, firstName`): that prefix's slice of the index is already
/// in order, so it is walked (skipping non-matches) until the page is full, sorting only each
/// run of equal values by the remaining keys. `None` when no index fits.
pub(crate) fn page_by_index<'t>(
    table: &'t Table,
    rows: &[&'t Record],
    q: &BoundQuery,
    names: &'t Names,
    skip: usize,
    size: usize,
) -> Option<Vec<&'t Record>> {
    let (first, desc) = q.order.first_key()?;
    let Target::Doc(path) = first else { return None };
    let [key] = path.as_slice() else { return None };
    let prefix = conjunction_prefix(&shape(q), first)?;
    let slice = table.indexes.prefix_range(first, &prefix, &table.rows())?;
    // Matches as a bitset over ids: a slice entry that does not match costs one bit test.
    let max = rows.last()?.id as usize;
    let mut member = vec![0u64; max / 64 + 1];
    for r in rows {
        member[r.id as usize / 64] |= 1 << (r.id % 64);
    }
    let is_match = |id: u32| member.get(id as usize / 64).is_some_and(|w| w & (1 << (id % 64)) != 0);
    let wanted = skip.saturating_add(size);
    let out = walk(table, slice, desc, *key, q, names, wanted, is_match);
    // Every match holds the prefix, so a full walk meets them all; if not, sort instead.
    if out.len() < wanted && out.len() != rows.len() {
        return None;
    }
    Some(out.into_iter().skip(skip).take(size).collect())
}

/// The prefix a top-level `and` of the query asks of `target`, if any.
fn conjunction_prefix(s: &Shape<'_>, target: &Target) -> Option<Vec<char>> {
    match s {
        Shape::All(parts) => parts.iter().find_map(|p| conjunction_prefix(p, target)),
        Shape::Probe(t, Probe::Prefix(p, _)) if *t == target => Some(p.clone()),
        _ => None,
    }
}
