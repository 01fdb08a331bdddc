//! How a list or count runs under the store's lock: in slices of [`SLICE`] with a pause
//! ([`PAUSE`]) between them, its slices after the first on a thread of its own at a lower CPU
//! priority, stopped with a 400 at the query budget; the shortcuts that answer from the
//! indexes alone are tried first.

use std::time::{Duration, Instant};

use super::super::records::Access;
use super::super::table::{Names, Record, Table};
use super::super::visibility::Visibility;
use super::super::{Listed, Store, StoreError};
use super::{PAUSE, SLICE, Scan, exact, order_and_page, ordered};
use crate::query::filter::like_limited;
use crate::query::{BoundQuery, QueryError};
use crate::resources::Res;

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
            super::super::records::render_page(table, Some(res), page, total, others, q, names, base)
        };
        let off_index = |table: &Table, t: &super::super::tenant::Tenant, parent, vis: &Visibility<'_>| {
            ordered::page(table, parent, q, access, &t.names, vis)
                .or_else(|| exact::page(table, parent, q, access, &t.names, vis))
                .map(|found| render(table, &t.names, found))
        };
        // Forward-only: the page and one more match tell whether another page follows.
        let limit = q.paging.forward_only.then(|| (q.paging.size as usize).saturating_add(1));
        self.query(company, res, parent, q, access, limit, off_index, |table, t, parent, vis, scan| {
            let found = match scan {
                None => super::super::records::select_visible(table, parent, q, access, &t.names, vis),
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
                None => super::super::records::count_visible(table, parent, q, access, &t.names, vis),
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
        shortcut: impl Fn(&Table, &super::super::tenant::Tenant, Option<u32>, &Visibility<'_>) -> Option<R> + Sync,
        finish: impl Fn(&Table, &super::super::tenant::Tenant, Option<u32>, &Visibility<'_>, Option<&Scan>) -> R + Sync,
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
