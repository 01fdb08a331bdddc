//! What the console does to the queue (`/__mock/callbacks`, `POST /__mock/reset`): wait for
//! it to be idle, pause and resume it, read and clear the journal, redeliver, report the
//! counters, and return it to its start.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::super::journal::{Attempt, Journal};
use super::super::{Engine, MAX_BODY_BYTES};
use super::{Body, Job, Queue, enqueue, lock, millis};

impl Queue {
    /// Waits until nothing is queued, waiting to retry or in flight, or `timeout` passes;
    /// whether it is idle.
    pub(crate) async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.is_idle() {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.is_idle();
            }
        }
    }

    fn is_idle(&self) -> bool {
        let w = lock(&self.waiting);
        w.len() == 0 && w.running == 0
    }

    /// Pauses (nothing new starts) or resumes delivery.
    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Back to the start (`POST /__mock/reset`): nothing waiting, an empty journal numbered
    /// from 1 again, no failure streaks, zero counters, not paused. Deliveries in flight end,
    /// but what they got is forgotten.
    pub(crate) fn reset(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let mut w = lock(&self.waiting);
        w.fresh.clear();
        w.retries.iter_mut().for_each(VecDeque::clear);
        let idle = w.running == 0;
        drop(w);
        *lock(&self.journal) = Journal::default();
        lock(&self.streaks).clear();
        for n in [&self.next_delivery, &self.delivered, &self.failed, &self.dropped, &self.skipped] {
            n.store(0, Ordering::SeqCst);
        }
        self.set_paused(false);
        if idle {
            self.idle.notify_waiters();
        }
    }

    /// The journal, optionally of one entry.
    pub(crate) fn attempts(&self, entry: Option<u32>) -> Vec<Attempt> {
        lock(&self.journal).list(entry)
    }

    pub(crate) fn clear_journal(&self) {
        lock(&self.journal).clear();
    }

    /// Queues again the message of journaled attempt `id` (a fresh delivery, retries and all).
    pub(crate) fn redeliver(engine: &Arc<Engine>, id: u64) -> Option<u64> {
        let a = lock(&engine.queue.journal).get(id).cloned()?;
        let job = Job {
            delivery: 0,
            company: a.company,
            entry_id: a.entry_id,
            url: a.url,
            action: if a.action == "added" {
                "added"
            } else if a.action == "updated" {
                "updated"
            } else {
                "deleted"
            },
            kind: cw_model::callbacks::CallbackType::parse(&a.kind).map_or("", |t| t.as_str()),
            record_id: a.record_id,
            body: Body::Ready(a.body.into_bytes().into()),
            retry: 0,
            first_at: None,
            epoch: 0,
        };
        enqueue(engine, vec![job]).first().copied()
    }

    /// Counters and settings, for `GET /__mock/callbacks`.
    pub(crate) fn status(&self, engine: &Engine) -> Value {
        let (waiting, running) = {
            let w = lock(&self.waiting);
            (w.len(), w.running)
        };
        let s = &engine.settings;
        json!({
            "enabled": s.enabled,
            "paused": self.paused.load(Ordering::SeqCst),
            "waiting": waiting,
            "inFlight": running,
            "delivered": self.delivered.load(Ordering::Relaxed),
            "failed": self.failed.load(Ordering::Relaxed),
            "dropped": self.dropped.load(Ordering::Relaxed),
            "skipped": self.skipped.load(Ordering::Relaxed),
            "queueCapacity": s.queue_capacity,
            "concurrency": s.concurrency,
            "maxBodyBytes": MAX_BODY_BYTES,
            "timeoutMs": millis(s.timeout),
            "retryDelaysMs": s.retry_delays.map(millis),
            "disableAfterDays": s.disable_after_days,
        })
    }
}
