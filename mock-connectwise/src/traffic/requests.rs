//! The request journal: the latest API calls (method, path, query, caller, status, latency,
//! the fault that fired and the permission that allowed or refused the call), newest last,
//! in a ring of fixed capacity. It never holds a secret: no header and no body is kept.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize, Serializer};

use crate::permissions::{Action, Function, PermissionLevel};

/// How many calls the journal keeps unless configured otherwise.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;

/// One journal entry.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entry {
    pub(crate) seq: u64,
    /// When the call arrived (the mock's clock; ISO 8601 when listed).
    #[serde(serialize_with = "iso8601")]
    pub(crate) at: i64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) company: Option<String>,
    /// The authenticated caller's identifier.
    pub(crate) member: Option<String>,
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

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Entry>,
    next_seq: u64,
}

/// The journal.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, ring: Mutex::new(Ring { entries: VecDeque::new(), next_seq: 1 }) }
    }

    /// Appends an entry, numbering it; the oldest one goes when the ring is full.
    pub(crate) fn record(&self, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut ring = self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entry.seq = ring.next_seq;
        ring.next_seq += 1;
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// The matching entries, newest first, and how many entries the journal holds in all.
    pub(crate) fn query(&self, filter: &Filter) -> (Vec<Entry>, usize) {
        let ring = self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = filter.path.as_ref().map(|p| p.to_ascii_lowercase());
        let found = ring
            .entries
            .iter()
            .rev()
            .filter(|e| filter.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&e.method)))
            .filter(|e| path.as_ref().is_none_or(|p| e.path.to_ascii_lowercase().contains(p)))
            .filter(|e| filter.status.is_none_or(|s| s == e.status))
            .filter(|e| {
                filter.member.as_ref().is_none_or(|m| e.member.as_ref().is_some_and(|em| em.eq_ignore_ascii_case(m)))
            })
            .take(filter.limit.unwrap_or(100))
            .cloned()
            .collect();
        (found, ring.entries.len())
    }

    /// Forgets every entry (numbering goes on).
    pub(crate) fn clear(&self) {
        self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entries.clear();
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
}
