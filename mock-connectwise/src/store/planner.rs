//! How a filtered list or count finds its records: the plan (which index, if any, yields
//! candidates) and the [`Scan`] that checks them, in time slices.
//!
//! The planner reads the query's [`Shape`]: an `and` is answered by the smallest (intersected)
//! candidate sets of its indexed terms, an `or` only when every branch is indexed, anything
//! else by the scan of the whole table. Candidates are always checked against the whole
//! filter, `My`-level visibility and the parent, so a plan changes how fast a query runs,
//! never what it returns (`tests/index.rs` proves it against the scan on random data).
//!
//! [`Store::list`] and [`Store::count`] run a scan in slices of [`SLICE`] under the read lock,
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
use super::{Listed, Store, StoreError};
use crate::doc::Val;
use crate::query::filter::{Target, first_value, like_limited, order_values};
use crate::query::plan::{Key, KeyKind, Probe, Shape, shape};
use crate::query::{BoundQuery, QueryError};
use crate::resources::Res;

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

/// Whether a query needs no scan at all (no filter, no `My` restriction, no parent, id order
/// from the start): its page is arithmetic over the records.
fn unfiltered(q: &BoundQuery, parent: Option<u32>, access: Access<'_>, vis: &Visibility<'_>) -> bool {
    q.filters.is_empty()
        && q.custom.is_none()
        && parent.is_none()
        && !access.own_only
        && !vis.narrows()
        && !(access.track_others && vis.owns_beyond_entry())
        && q.order.is_by_id()
        && q.paging.after_id.is_none_or(|a| a <= 0)
}

/// Runs a long query's remaining slices on a thread of its own, at a lower CPU priority where
/// the platform allows, while the calling thread waits where blocking is allowed (on a
/// multi-threaded tokio runtime the worker first hands its other tasks to another thread).
/// Requests keep their runtime workers and get the CPU first; the query gets what is left,
/// which on an idle machine is a whole core. A thread that cannot be started leaves the
/// query to the caller's thread.
fn blocking<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let run = move || {
        let f = std::sync::Mutex::new(Some(f));
        let take = || f.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        std::thread::scope(|s| {
            let spawned = std::thread::Builder::new().name("mock-long-query".into()).spawn_scoped(s, || {
                yield_to_requests();
                take().map(|f| f())
            });
            let ran = match spawned {
                Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => None,
            };
            match ran {
                Some(r) => r,
                None => match take() {
                    Some(f) => f(),
                    None => unreachable!("the query ran on neither thread"),
                },
            }
        })
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
        _ => run(),
    }
}

/// Lowers the calling thread's CPU priority (Linux: nice 10, which applies to this thread
/// only), so the OS runs request threads first; elsewhere nothing.
fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(None, LONG_QUERY_NICE);
    }
}

/// The nice value of a long query's thread: weighed about a tenth of a request thread.
#[cfg(target_os = "linux")]
const LONG_QUERY_NICE: i32 = 10;

impl Store {
    /// How long a query may run before it is stopped with a 400.
    pub fn query_budget(&self) -> Duration {
        Duration::from_millis(self.shared.budget_ms.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Sets how long a query may run before it is stopped with a 400.
    pub fn set_query_budget(&self, budget: Duration) {
        let ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX).max(1);
        self.shared.budget_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many queries are running past their first slice (long ones), now.
    pub fn long_queries(&self) -> usize {
        self.shared.long_queries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lists `res` (under `parent`): filter, order, page, render, without holding the lock
    /// for longer than a slice at a time.
    pub(crate) fn list(
        &self,
        company: &str,
        res: Res,
        parent: Option<u32>,
        q: &BoundQuery,
        access: Access<'_>,
        base: &str,
    ) -> Result<Listed, StoreError> {
        let render = |table: &Table, names: &Names, (page, total, others): (Vec<&Record>, usize, bool)| {
            super::records::render_page(table, Some(res), page, total, others, q, names, base)
        };
        let off_index = |table: &Table, t: &super::tenant::Tenant, parent, vis: &Visibility<'_>| {
            ordered::page(table, parent, q, access, &t.names, vis)
                .or_else(|| exact::page(table, parent, q, access, &t.names, vis))
                .map(|found| render(table, &t.names, found))
        };
        // Forward-only: the page and one more match tell whether another page follows.
        let limit = q.paging.forward_only.then(|| (q.paging.size as usize).saturating_add(1));
        self.query(company, res, parent, q, access, limit, off_index, |table, t, parent, vis, scan| {
            let found = match scan {
                None => super::records::select_visible(table, parent, q, access, &t.names, vis),
                Some(scan) => {
                    let rows = scan.records(table, parent, q, access, &t.names, vis);
                    let (page, total, others) = order_and_page(table, rows, q, access, &t.names, vis);
                    // A match dropped on the recheck still leaves the records after the cut.
                    let total = if scan.cut { total.max(limit.unwrap_or(0)) } else { total };
                    (page, total, others)
                }
            };
            render(table, &t.names, found)
        })
    }

    /// Counts the records of `res` (under `parent`) matching `q`, like [`Store::list`].
    pub(crate) fn count(
        &self,
        company: &str,
        res: Res,
        parent: Option<u32>,
        q: &BoundQuery,
        access: Access<'_>,
    ) -> Result<(usize, bool), StoreError> {
        self.query(
            company,
            res,
            parent,
            q,
            access,
            None,
            |table, t, parent, vis| exact::count(table, parent, q, access, &t.names, vis),
            |table, t, parent, vis, scan| match scan {
                None => super::records::count_visible(table, parent, q, access, &t.names, vis),
                Some(scan) => {
                    let rows = scan.records(table, parent, q, access, &t.names, vis);
                    let others = access.track_others && rows.iter().any(|r| !vis.owns(r));
                    (rows.len(), others)
                }
            },
        )
    }

    /// Plans and scans in slices, then calls `finish` under the lock with the finished scan
    /// (`None` when the query needs no scan). `shortcut` answers first, in the first slice,
    /// if it can without a scan.
    #[allow(clippy::too_many_arguments)] // the query, who asks, where to stop, two ways to answer
    fn query<R: Send>(
        &self,
        company: &str,
        res: Res,
        parent: Option<u32>,
        q: &BoundQuery,
        access: Access<'_>,
        limit: Option<usize>,
        shortcut: impl Fn(&Table, &super::tenant::Tenant, Option<u32>, &Visibility<'_>) -> Option<R> + Sync,
        finish: impl Fn(&Table, &super::tenant::Tenant, Option<u32>, &Visibility<'_>, Option<&Scan>) -> R + Sync,
    ) -> Result<R, StoreError> {
        let started = Instant::now();
        let budget = self.query_budget();
        let mut scan: Option<Scan> = None;
        let slice = |scan: &mut Option<Scan>| -> Result<Option<R>, StoreError> {
            let guard = self.read();
            let t = guard.tenant(company)?;
            let parent = t.parent_of(res, parent)?;
            let table = t.table(res);
            let vis = t.visibility(res, access);
            if scan.is_none() && unfiltered(q, parent, access, &vis) {
                return Ok(Some(finish(table, t, parent, &vis, None)));
            }
            if scan.is_none() {
                if let Some(done) = shortcut(table, t, parent, &vis) {
                    return Ok(Some(done));
                }
            }
            let s = scan.get_or_insert_with(|| Scan::new(table, parent, q).stopping_at(limit));
            // A `like` over its step limit (query/like.rs) spends the budget at once.
            let ((), over) =
                like_limited(|| s.run(table, parent, q, access, &t.names, &vis, Some(Instant::now() + SLICE)));
            if s.done && !over {
                return Ok(Some(finish(table, t, parent, &vis, Some(s))));
            }
            let total = table.count();
            drop(guard);
            if over || started.elapsed() >= budget {
                return Err(StoreError::Query(QueryError {
                    param: "conditions",
                    message: format!(
                        "the query was stopped at its time budget of {} ms, having examined {} of {} records; \
                         narrow it with an indexed field (id, identifier, name, firstName, lastName, or a \
                         reference such as company/id)",
                        budget.as_millis(),
                        s.examined,
                        total
                    ),
                }));
            }
            Ok(None)
        };
        if let Some(done) = slice(&mut scan)? {
            return Ok(done);
        }
        let _running = Running::start(&self.shared.long_queries);
        blocking(|| {
            loop {
                // A pause before each further slice: the writers and readers waiting for the
                // lock get it, and the CPU, before the query takes them again (a mere yield
                // was seen to add 100+ ms to others' p99 on 2 cores).
                std::thread::sleep(PAUSE);
                if let Some(done) = slice(&mut scan)? {
                    return Ok(done);
                }
            }
        })
    }
}

/// Counts a long query while it runs.
struct Running<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Running<'a> {
    fn start(counter: &'a std::sync::atomic::AtomicUsize) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[path = "planner_ordered.rs"]
pub(crate) mod ordered;

#[path = "planner_exact.rs"]
pub(crate) mod exact;

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
