//! The delivery journal (`GET /__mock/callbacks/deliveries`): every attempt, newest last,
//! bounded (the oldest are forgotten first).

use std::collections::VecDeque;

use serde::Serialize;

/// How many attempts the journal keeps.
pub(crate) const JOURNAL_CAPACITY: usize = 1_000;

/// One attempt to deliver one message.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attempt {
    /// This attempt's number in the journal (redeliver it by this id).
    pub(crate) id: u64,
    /// The delivery (one message to one entry) this attempt belongs to.
    pub(crate) delivery: u64,
    pub(crate) company: String,
    pub(crate) entry_id: u32,
    pub(crate) url: String,
    pub(crate) action: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) record_id: u32,
    /// The exact body sent.
    pub(crate) body: String,
    /// The `x-content-signature` sent.
    pub(crate) signature: String,
    /// 0 for the first try, 1 and 2 for the retries.
    pub(crate) retry: u8,
    /// The receiver's status, or the status a fault rule answered with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    /// Why there is no status (timeout, connection error, dropped by a fault rule, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    pub(crate) latency_ms: u64,
    /// Milliseconds from the delivery's first try to this attempt's start.
    pub(crate) after_first_ms: u64,
    /// Whether this attempt succeeded (a 2xx).
    pub(crate) delivered: bool,
    /// The wait before the next retry, when one follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_retry_in_ms: Option<u64>,
    /// Whether this failure disabled the entry.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) disabled_entry: bool,
}

/// The attempts kept.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    attempts: VecDeque<Attempt>,
    next_id: u64,
}

impl Journal {
    /// Keeps `a` under a new id; the id.
    pub(crate) fn push(&mut self, mut a: Attempt) -> u64 {
        self.next_id += 1;
        a.id = self.next_id;
        if self.attempts.len() >= JOURNAL_CAPACITY {
            self.attempts.pop_front();
        }
        self.attempts.push_back(a);
        self.next_id
    }

    /// Attempts, oldest first, optionally of one entry only.
    pub(crate) fn list(&self, entry: Option<u32>) -> Vec<Attempt> {
        self.attempts.iter().filter(|a| entry.is_none_or(|e| a.entry_id == e)).cloned().collect()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&Attempt> {
        self.attempts.iter().find(|a| a.id == id)
    }

    pub(crate) fn clear(&mut self) {
        self.attempts.clear();
    }
}
