//! The request journal: the latest API calls (method, path, query, caller, status, latency,
//! the fault that fired and the permission that allowed or refused the call), newest last,
//! in a ring of fixed capacity. It never holds a secret: no header and no body is kept.
//!
//! Memory is bounded twice: by entries (the capacity) and by bytes ([`MAX_JOURNAL_BYTES`]).
//! A path or query longer than [`MAX_JOURNALED_TEXT`] is cut and marked as cut, and one read
//! returns at most [`MAX_READ_BYTES`] of entries, so reading the journal back costs no more
//! than the journal itself.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize, Serializer};

use cw_model::{Action, Function, PermissionLevel};

/// How many calls the journal keeps unless configured otherwise.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;

/// The most bytes of a path or a query string one entry keeps; longer ones are cut at a
/// character boundary and end with [`TRUNCATION_MARK`].
pub(crate) const MAX_JOURNALED_TEXT: usize = 2 * 1024;
/// What ends a cut path or query.
pub(crate) const TRUNCATION_MARK: &str = "...[truncated]";
/// The most bytes (estimated as the entries' text plus a fixed overhead each) the journal
/// holds; the oldest entries go first when a new one would pass it.
pub(crate) const MAX_JOURNAL_BYTES: usize = 16 * 1024 * 1024;
/// The most bytes of entries one read (`GET /__mock/requests`) returns.
pub(crate) const MAX_READ_BYTES: usize = 4 * 1024 * 1024;
/// The most entries one read returns, whatever `limit` asks.
pub(crate) const MAX_READ_ENTRIES: usize = 10_000;
/// What an entry costs besides its text: the struct, the ring slot, the numbers.
const ENTRY_OVERHEAD: usize = 256;

/// One journal entry.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entry {
    pub(crate) seq: u64,
    /// When the call arrived (the mock's clock; ISO 8601 when listed).
    #[serde(serialize_with = "iso8601")]
    pub(crate) at: i64,
    pub(crate) method: Cow<'static, str>,
    /// At most [`MAX_JOURNALED_TEXT`] bytes and the mark.
    pub(crate) path: String,
    /// At most [`MAX_JOURNALED_TEXT`] bytes and the mark.
    pub(crate) query: Option<String>,
    /// Whether the path or the query was cut.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) truncated: bool,
    /// Shared with the remembered caller: no copy per call.
    #[serde(serialize_with = "shared_text")]
    pub(crate) company: Option<Arc<str>>,
    /// The authenticated caller's identifier.
    #[serde(serialize_with = "shared_text")]
    pub(crate) member: Option<Arc<str>>,
    pub(crate) status: u16,
    pub(crate) latency_ms: f64,
    /// The injected fault that fired, e.g. `#2 status 429`.
    pub(crate) fault: Option<String>,
    /// The level check of the call, listed as `Finance > Agreements: Add (granted All)`.
    pub(crate) permission: Option<Check>,
}

/// A level check, kept as data and worded only when the journal is read (recording is on
/// every call's path; reading is rare).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) function: Function,
    pub(crate) action: Action,
    pub(crate) granted: PermissionLevel,
    pub(crate) refused: bool,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let refused = if self.refused { " refused" } else { "" };
        write!(f, "{}: {}{refused} (granted {})", self.function.label(), self.action, self.granted)
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn shared_text<S: Serializer>(text: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(t) => s.serialize_some(&**t),
        None => s.serialize_none(),
    }
}

fn iso8601<S: Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::datetime::format(*secs))
}

/// A journal query (`GET /__mock/requests`): every given filter must hold.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Filter {
    pub(crate) method: Option<String>,
    /// A substring of the path, without regard to case.
    pub(crate) path: Option<String>,
    pub(crate) status: Option<u16>,
    pub(crate) member: Option<String>,
    /// At most this many entries, newest first (default 100).
    pub(crate) limit: Option<usize>,
}

/// The name of a method without an allocation for the standard ones.
pub(crate) fn method_name(method: &axum::http::Method) -> Cow<'static, str> {
    use axum::http::Method;
    let known = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    let names = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"];
    known.iter().position(|m| m == method).map_or_else(|| Cow::Owned(method.to_string()), |i| Cow::Borrowed(names[i]))
}

/// Cuts `text` to its first [`MAX_JOURNALED_TEXT`] bytes (at a character boundary) and
/// [`TRUNCATION_MARK`] when it is longer; `true` when cut.
pub(crate) fn clip(text: &mut String) -> bool {
    if text.len() <= MAX_JOURNALED_TEXT {
        return false;
    }
    let mut end = MAX_JOURNALED_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(TRUNCATION_MARK);
    text.shrink_to_fit();
    true
}

impl Entry {
    /// Cuts the path and query to size (the dispatcher gives them whole).
    fn clipped(mut self) -> Self {
        let cut_path = clip(&mut self.path);
        let cut_query = self.query.as_mut().is_some_and(clip);
        self.truncated |= cut_path || cut_query;
        self
    }

    /// The bytes this entry holds, roughly: its text and a fixed overhead.
    fn cost(&self) -> usize {
        let text = |s: Option<&str>| s.map_or(0, str::len);
        ENTRY_OVERHEAD
            + self.method.len()
            + self.path.len()
            + text(self.query.as_deref())
            + text(self.company.as_deref())
            + text(self.member.as_deref())
            + text(self.fault.as_deref())
    }
}

/// What a read returns.
#[derive(Debug, Serialize)]
pub(crate) struct Found {
    /// How many entries the journal holds in all.
    pub(crate) total: usize,
    /// The matching entries, newest first.
    pub(crate) requests: Vec<Entry>,
    /// Whether more entries matched than one read returns (the read hit its byte cap).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) truncated: bool,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Entry>,
    next_seq: u64,
    /// The sum of the entries' [`Entry::cost`].
    bytes: usize,
}

/// The journal.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, ring: Mutex::new(Ring { entries: VecDeque::new(), next_seq: 1, bytes: 0 }) }
    }

    /// Appends an entry, numbering it and cutting its path and query to size; the oldest
    /// entries go when the ring is full or would hold more than [`MAX_JOURNAL_BYTES`].
    pub(crate) fn record(&self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut entry = entry.clipped();
        let cost = entry.cost();
        let mut ring = self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entry.seq = ring.next_seq;
        ring.next_seq += 1;
        while !ring.entries.is_empty() && (ring.entries.len() >= self.capacity || ring.bytes + cost > MAX_JOURNAL_BYTES)
        {
            if let Some(old) = ring.entries.pop_front() {
                ring.bytes -= old.cost();
            }
        }
        ring.bytes += cost;
        ring.entries.push_back(entry);
    }

    /// The bytes the journal holds (as [`MAX_JOURNAL_BYTES`] counts them).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner).bytes
    }

    /// The matching entries, newest first: at most `limit` (default 100, never more than
    /// [`MAX_READ_ENTRIES`]) and at most [`MAX_READ_BYTES`] of them.
    pub(crate) fn read(&self, filter: &Filter) -> Found {
        let ring = self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = filter.path.as_ref().map(|p| p.to_ascii_lowercase());
        let mut budget = MAX_READ_BYTES;
        let mut truncated = false;
        let requests = ring
            .entries
            .iter()
            .rev()
            .filter(|e| filter.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&e.method)))
            .filter(|e| path.as_ref().is_none_or(|p| e.path.to_ascii_lowercase().contains(p)))
            .filter(|e| filter.status.is_none_or(|s| s == e.status))
            .filter(|e| {
                filter.member.as_ref().is_none_or(|m| e.member.as_ref().is_some_and(|em| em.eq_ignore_ascii_case(m)))
            })
            .take(filter.limit.unwrap_or(100).min(MAX_READ_ENTRIES))
            .take_while(|e| {
                let cost = e.cost();
                truncated = cost > budget;
                budget = budget.saturating_sub(cost);
                !truncated
            })
            .cloned()
            .collect();
        Found { total: ring.entries.len(), requests, truncated }
    }

    /// [`Journal::read`] as the matching entries and how many entries the journal holds.
    pub(crate) fn query(&self, filter: &Filter) -> (Vec<Entry>, usize) {
        let found = self.read(filter);
        (found.requests, found.total)
    }

    /// Forgets every entry (numbering goes on).
    pub(crate) fn clear(&self) {
        let mut ring = self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        ring.entries.clear();
        ring.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, status: u16) -> Entry {
        Entry {
            seq: 0,
            at: 0,
            method: "GET".into(),
            path: path.into(),
            query: None,
            truncated: false,
            company: None,
            member: Some("jdoe".into()),
            status,
            latency_ms: 0.0,
            fault: None,
            permission: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_entries_and_numbers_them() {
        let journal = Journal::new(3);
        for i in 0..5 {
            journal.record(entry(&format!("/p{i}"), 200));
        }
        let (found, total) = journal.query(&Filter::default());
        assert_eq!(total, 3);
        assert_eq!(found.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 4, 3]);
    }

    #[test]
    fn filters_select_by_path_status_and_member() {
        let journal = Journal::new(10);
        journal.record(entry("/system/members", 200));
        journal.record(entry("/finance/agreements", 403));
        let only = |f: Filter| journal.query(&f).0.into_iter().map(|e| e.path).collect::<Vec<_>>();
        assert_eq!(only(Filter { status: Some(403), ..Filter::default() }), ["/finance/agreements"]);
        assert_eq!(only(Filter { path: Some("MEMBERS".into()), ..Filter::default() }), ["/system/members"]);
        assert!(only(Filter { member: Some("other".into()), ..Filter::default() }).is_empty());
        assert_eq!(only(Filter { limit: Some(1), ..Filter::default() }).len(), 1);
    }

    #[test]
    fn long_paths_and_queries_are_cut_to_size_and_marked() {
        let journal = Journal::new(10);
        let mut e = entry(&format!("/system/{}", "p".repeat(60_000)), 401);
        e.query = Some(format!("conditions={}", "é".repeat(30_000)));
        journal.record(e);
        journal.record(entry("/system/info", 200));
        let found = journal.read(&Filter::default()).requests;
        let cut = &found[1];
        assert!(cut.truncated);
        assert!(cut.path.len() <= MAX_JOURNALED_TEXT + TRUNCATION_MARK.len() && cut.path.ends_with(TRUNCATION_MARK));
        let query = cut.query.as_deref().unwrap();
        assert!(query.len() <= MAX_JOURNALED_TEXT + TRUNCATION_MARK.len() && query.ends_with(TRUNCATION_MARK));
        assert!(!found[0].truncated, "a short call is kept whole");
        assert_eq!(serde_json::to_value(&found[0]).unwrap().get("truncated"), None);
    }

    #[test]
    fn the_journal_holds_no_more_than_its_byte_cap_however_many_entries_fit() {
        let journal = Journal::new(100_000);
        for _ in 0..12_000 {
            let mut e = entry("/system/members", 401);
            e.query = Some("x".repeat(60_000));
            journal.record(e);
        }
        let found = journal.read(&Filter { limit: Some(100_000), ..Filter::default() });
        assert!(journal.bytes() <= MAX_JOURNAL_BYTES, "{} bytes held", journal.bytes());
        assert!(found.total < 12_000, "the oldest entries went to stay under the byte cap");
        assert!(found.total > 1_000, "only the byte cap evicts: {}", found.total);
        let read: usize = found.requests.iter().map(Entry::cost).sum();
        assert!(read <= MAX_READ_BYTES && found.truncated, "one read is bounded: {read} bytes");
        assert_eq!(found.requests[0].seq, 12_000, "newest first");
    }
}
