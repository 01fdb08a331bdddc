//! How a filtered list or count finds its records: the plan (which index, if any, yields
//! candidates) and the [`Scan`] that checks them, in time slices.
//!
//! The planner reads the query's [`Shape`]: an `and` is answered by the smallest (intersected)
//! candidate sets of its indexed terms, an `or` only when every branch is indexed, anything
//! else by the scan of the whole table. Candidates are always checked against the whole
//! filter, `My`-level visibility and the parent, so a plan changes how fast a query runs,
//! never what it returns (`tests/index.rs` proves it against the scan on random data).
//!
//! [`Store::list`] and [`Store::count`] (`planner_run.rs`) run a scan in slices of [`SLICE`] under the read lock,
//! releasing it between slices, and pausing ([`PAUSE`]), so a waiting writer (and the readers
//! queued behind it) gets in: a long query delays others by one slice, not by its length. Its
//! slices after the first run on a thread of their own at a lower CPU priority. A scan that outlives the query
//! budget stops with a 400 that names the budget. Between slices records may change: like
//! SQL Server's default READ COMMITTED, each record is seen once, as it was when the scan
//! reached it, and the matches are checked again before the page is rendered.

use std::time::{Duration, Instant};

use super::records::{Access, RowView};
use super::table::{Names, Record, Table};
use super::visibility::Visibility;
use crate::doc::Val;
use crate::query::BoundQuery;
use crate::query::filter::{Target, first_value, order_values};
use crate::query::plan::{Key, KeyKind, Probe, Shape, shape};

/// The longest a query holds the read lock at a time.
pub(crate) const SLICE: Duration = Duration::from_millis(1);

/// The pause of a long query between its slices: with [`SLICE`], at most two thirds of a
/// core go to it, and the lock is free a third of the time.
pub(crate) const PAUSE: Duration = Duration::from_micros(500);

/// How long a query may run before it is stopped, unless set otherwise
/// ([`Store::set_query_budget`]).
pub(crate) const DEFAULT_BUDGET: Duration = Duration::from_secs(2);

/// The ids (ascending) of the records an index says may match, and whether they are exactly
/// the matches (every filter, the parent and the custom fields answered by exact indexes), or
/// `None` for "scan them all".
pub(crate) fn candidates(table: &Table, parent: Option<u32>, q: &BoundQuery) -> Option<(Vec<u32>, bool)> {
    let rows = table.rows();
    let by_parent = parent.and_then(|p| table.indexes.children(p, &rows));
    let parent_covered = parent.is_none() || by_parent.is_some();
    let by_filter = plan(table, &shape(q));
    let filters_covered = q.filters.is_empty() || by_filter.as_ref().is_some_and(|(_, exact)| *exact);
    // The custom fields' own index answers exactly; failing that, the elements' ids narrow.
    let (by_custom, custom_covered) = match &q.custom {
        None => (None, true),
        Some((key, f)) => match table.indexes.custom_set(*key, f, &rows) {
            Some(set) => (Some(set.iter_after(0).collect()), true),
            None => (exact::custom_candidates(table, *key, f), false),
        },
    };
    let exact = parent_covered && filters_covered && custom_covered;
    [by_parent, by_filter.map(|(ids, _)| ids), by_custom]
        .into_iter()
        .flatten()
        .reduce(|a, b| intersect(&a, &b))
        .map(|ids| (ids, exact))
}

/// The keys of a probe of the table's unique key when every one is text: that index compares
/// the values themselves, so what it finds is exactly the matches. `None` for any other probe.
pub(crate) fn unique_texts<'a>(table: &Table, target: &Target, keys: &[Key<'a>]) -> Option<Vec<&'a str>> {
    if !matches!(target, Target::Doc(p) if p.len() == 1 && Some(p[0]) == table.unique_key()) {
        return None;
    }
    keys.iter()
        .map(|k| match k {
            Key::Text(t) => Some(*t),
            _ => None,
        })
        .collect()
}

/// Candidates for one part of a filter, and whether they are exactly its matches.
fn plan(table: &Table, s: &Shape<'_>) -> Option<(Vec<u32>, bool)> {
    match s {
        Shape::Opaque => None,
        Shape::Ids(ids) => {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            // Exact only where a record has the id: an exact scan takes its candidates as
            // matches without reading them, and a forward-only page would promise a next page
            // of ids nothing has (planner_exact's `set` filters the same way).
            ids.retain(|&id| table.get(id).is_some());
            Some((ids, true))
        }
        Shape::Probe(target, Probe::Keys(keys)) => {
            match unique_texts(table, target, keys) {
                // The unique index compares the values themselves: exact.
                Some(texts) if texts.len() == 1 => Some((table.find_unique_all(texts[0])?, true)),
                Some(texts) => {
                    let mut ids = Vec::new();
                    for t in texts {
                        ids.extend(table.find_unique_all(t)?);
                    }
                    ids.sort_unstable();
                    ids.dedup();
                    Some((ids, true))
                }
                None => {
                    let ids = table.indexes.lookup(target, keys, &table.rows())?;
                    Some((ids, keys.iter().all(|k| k.kind() != KeyKind::Text)))
                }
            }
        }
        Shape::Probe(target, Probe::Prefix(prefix, exact)) => {
            Some((table.indexes.prefix(target, prefix, &table.rows())?, *exact))
        }
        // One term (a query with one condition): its plan, without the intersecting.
        Shape::All(parts) if parts.len() == 1 => plan(table, &parts[0]),
        Shape::All(parts) => {
            let planned: Vec<Option<(Vec<u32>, bool)>> = parts.iter().map(|p| plan(table, p)).collect();
            let exact = planned.iter().all(|p| p.as_ref().is_some_and(|(_, e)| *e));
            let mut sets: Vec<Vec<u32>> = planned.into_iter().flatten().map(|(ids, _)| ids).collect();
            sets.sort_by_key(Vec::len);
            let mut sets = sets.into_iter();
            let first = sets.next()?;
            Some((sets.fold(first, |acc, s| intersect(&acc, &s)), exact))
        }
        Shape::Any(parts) => {
            let (mut all, mut exact) = (Vec::new(), true);
            for p in parts {
                let (ids, e) = plan(table, p)?;
                all.extend(ids);
                exact &= e;
            }
            all.sort_unstable();
            all.dedup();
            Some((all, exact))
        }
    }
}

/// The ids in both ascending lists.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    let mut from = 0;
    for &x in small {
        from += large[from..].partition_point(|&y| y < x);
        if large.get(from) == Some(&x) {
            out.push(x);
        }
    }
    out
}

/// A query's progress through a table.
#[derive(Debug)]
pub(crate) struct Scan {
    candidates: Option<Vec<u32>>,
    /// Whether the candidates are exactly the matches (no record needs reading).
    exact: bool,
    /// Every record with an id up to here has been examined.
    cursor: u32,
    matched: Vec<u32>,
    examined: usize,
    slices: u32,
    /// The table's version when the scan began.
    version: u64,
    done: bool,
    /// Stop at this many matches (forward-only paging: the page and one more).
    limit: Option<usize>,
    /// Whether the scan stopped at its limit, with records left unexamined.
    pub(crate) cut: bool,
}

impl Scan {
    /// A scan of `table` for `q`, starting after `q`'s `pageId`.
    pub(crate) fn new(table: &Table, parent: Option<u32>, q: &BoundQuery) -> Self {
        let cursor = q.paging.after_id.map_or(0, |a| u32::try_from(a.max(0)).unwrap_or(u32::MAX));
        let (candidates, exact) = match candidates(table, parent, q) {
            Some((ids, exact)) => (Some(ids), exact),
            None => (None, false),
        };
        Self {
            candidates,
            exact,
            cursor,
            matched: Vec::new(),
            examined: 0,
            slices: 0,
            version: table.version(),
            done: false,
            limit: None,
            cut: false,
        }
    }

    /// The same scan, stopping once `limit` records match (`None`: examines every record).
    pub(crate) fn stopping_at(mut self, limit: Option<usize>) -> Self {
        self.limit = limit;
        self
    }

    /// Examines records until all are done or `until` passes.
    #[allow(clippy::too_many_arguments)] // the query, who asks, and how long it may take
    pub(crate) fn run(
        &mut self,
        table: &Table,
        parent: Option<u32>,
        q: &BoundQuery,
        access: Access<'_>,
        names: &Names,
        vis: &Visibility<'_>,
        until: Option<Instant>,
    ) {
        self.slices += 1;
        // Exact candidates need no record read, unless the caller sees only some records.
        if let (true, false, false, Some(ids)) = (self.exact, access.own_only, vis.narrows(), &self.candidates) {
            let start = ids.partition_point(|&c| c <= self.cursor);
            let end = self.limit.map_or(ids.len(), |l| ids.len().min(start.saturating_add(l)));
            self.matched.extend_from_slice(&ids[start..end]);
            self.cut = end < ids.len();
            self.done = true;
            return;
        }
        let limit = self.limit.unwrap_or(usize::MAX);
        let matches = |r: &Record| {
            parent.is_none_or(|p| r.meta.parent == p)
                && vis.sees(r)
                && (!access.own_only || vis.owns(r))
                && q.matches(&RowView { rec: r, schema: table.schema, names })
        };
        let step = |n: usize, rec: &Record, cursor: &mut u32, matched: &mut Vec<u32>| {
            *cursor = rec.id;
            #[cfg(test)]
            tests::READS.with(|r| r.set(r.get() + 1));
            if matches(rec) {
                matched.push(rec.id);
            }
            // Reading the clock every 64 records costs little against the records.
            matched.len() >= limit || (n % 64 == 0 && until.is_some_and(|u| Instant::now() >= u))
        };
        let (cursor, matched) = (&mut self.cursor, &mut self.matched);
        let mut n = 0;
        let stopped = match &self.candidates {
            Some(ids) => {
                let start = ids.partition_point(|&c| c <= *cursor);
                let mut stopped = false;
                let mut pos = 0;
                for &id in &ids[start..] {
                    n += 1;
                    let (found, at) = get_near(table, pos, id);
                    pos = at;
                    match found {
                        Some(rec) if step(n, rec, cursor, matched) => {
                            stopped = true;
                            break;
                        }
                        Some(_) => {}
                        None => *cursor = id,
                    }
                }
                stopped
            }
            None => {
                let mut stopped = false;
                for rec in table.iter_after(*cursor) {
                    n += 1;
                    if step(n, rec, cursor, matched) {
                        stopped = true;
                        break;
                    }
                }
                stopped
            }
        };
        self.examined += n;
        self.cut = self.matched.len() >= limit;
        self.done = !stopped || self.cut;
    }

    /// The matching records (checked again if records changed while the lock was let go
    /// between slices), in id order.
    pub(crate) fn records<'t>(
        &self,
        table: &'t Table,
        parent: Option<u32>,
        q: &BoundQuery,
        access: Access<'_>,
        names: &Names,
        vis: &Visibility<'_>,
    ) -> Vec<&'t Record> {
        let recheck = table.version() != self.version;
        let mut pos = 0;
        self.matched
            .iter()
            .filter_map(|&id| {
                let (found, at) = get_near(table, pos, id);
                pos = at;
                found
            })
            .filter(|r| {
                !recheck
                    || (parent.is_none_or(|p| r.meta.parent == p)
                        && vis.sees(r)
                        && (!access.own_only || vis.owns(r))
                        && q.matches(&RowView { rec: r, schema: table.schema, names }))
            })
            .collect()
    }
}

/// Orders and pages matching records (in id order): the page, the total, and whether any
/// match was entered by someone other than the caller.
pub(crate) fn order_and_page<'t>(
    table: &'t Table,
    rows: Vec<&'t Record>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &'t Names,
    vis: &Visibility<'_>,
) -> (Vec<&'t Record>, usize, bool) {
    let size = q.paging.size as usize;
    let skip = (q.paging.page as usize - 1).saturating_mul(size);
    let view = |rec: &'t Record| RowView { rec, schema: table.schema, names };
    let others = access.track_others && rows.iter().any(|r| !vis.owns(r));
    let total = rows.len();
    if let Some(page) = ordered::page_by_index(table, &rows, q, names, skip, size) {
        return (page, total, others);
    }
    if let Some((first, desc)) = q.order.first_key() {
        // The first sort key is read once per record, not once per comparison; the rest
        // only break its ties.
        let mut keyed: Vec<_> = rows.into_iter().map(|r| (first_value(&view(r), first), r)).collect();
        let cmp = |a: &(Option<Val<'t>>, &'t Record), b: &(Option<Val<'t>>, &'t Record)| {
            let o = order_values(a.0, b.0);
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| q.order.compare(&view(a.1), &view(b.1)))
        };
        let wanted = skip.saturating_add(size);
        if wanted < total / 2 {
            // Only the first `wanted` in order matter: partition, then sort just those.
            keyed.select_nth_unstable_by(wanted, cmp);
            keyed.truncate(wanted);
        }
        keyed.sort_by(cmp);
        return (keyed.into_iter().skip(skip).take(size).map(|(_, r)| r).collect(), total, others);
    }
    (rows.into_iter().skip(skip).take(size).collect(), total, others)
}

/// Record `id` and its position, at or after position `from`: first where the id would be if
/// ids ran without gaps from the first record's (records are kept in id order, and generated
/// ones are numbered consecutively), one read instead of a search through a million records;
/// else by [`Table::get_from`].
pub(crate) fn get_near(table: &Table, from: usize, id: u32) -> (Option<&Record>, usize) {
    #[cfg(test)]
    tests::READS.with(|r| r.set(r.get() + 1));
    let all = table.iter_after(0).as_slice();
    let guess = all.first().and_then(|first| id.checked_sub(first.id)).map(|d| d as usize);
    if let Some(at) = guess.filter(|&at| at >= from) {
        if let Some(rec) = all.get(at).filter(|r| r.id == id) {
            return (Some(rec), at);
        }
    }
    table.get_from(from, id)
}

#[path = "planner_ordered.rs"]
pub(crate) mod ordered;

#[path = "planner_exact.rs"]
pub(crate) mod exact;

#[path = "planner_run.rs"]
mod run;

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
