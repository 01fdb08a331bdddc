//! The delivery queue and its workers, with the real server's rules: a 2xx is success; only
//! 404, 409, 419 and 429 are retried, twice (2 s after the first try, then 4 s after the
//! first retry); each try times out after 5 s; 5xx, other statuses, timeouts and connection
//! errors are final; an entry whose deliveries keep failing for three days is disabled.
//!
//! Bounds: at most `queue_capacity` deliveries wait (new ones and retries together; past it
//! the oldest waiting one is dropped and counted), `concurrency` are in flight, a body is at
//! most [`super::MAX_BODY_BYTES`], a receiver's answer is never read past its status. Nothing
//! here runs under the store's lock or on the API call's task: [`enqueue`] only pushes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::faults::Effect;
use super::journal::{Attempt, Journal};
use super::{Engine, MAX_BODY_BYTES, sign};

mod control;
use crate::store::callback_hooks::{CALLBACKS, guid};
use crate::store::records::{Access, WriteCtx};
use crate::validate::Mode;
use cw_model::callbacks::rules;

/// One message to one entry, on its way.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    delivery: u64,
    company: String,
    entry_id: u32,
    url: String,
    action: &'static str,
    kind: &'static str,
    record_id: u32,
    body: Body,
    retry: u8,
    first_at: Option<Instant>,
    /// The queue's epoch when it was queued: a reset forgets an attempt of an older one.
    epoch: u64,
}

/// What the body says, captured under the store's lock: the rest of the body is made by the
/// worker, off the API call's path. The `Entity` and the tenant's texts are shared by every
/// entry the change reaches.
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) from_url: Arc<str>,
    pub(crate) member: Arc<str>,
    pub(crate) entity: Option<super::collect::Snapshot>,
    pub(crate) key_url: Arc<str>,
    pub(crate) product: Arc<str>,
    pub(crate) partner: Arc<str>,
}

#[derive(Clone, Debug)]
enum Body {
    Pending(Arc<Message>),
    /// The exact bytes, once made (a retry and a redelivery send the same ones).
    Ready(Arc<[u8]>),
}

impl Job {
    pub(crate) fn new(
        company: &str,
        entry_id: u32,
        url: String,
        (action, kind, record_id): (&'static str, &'static str, u32),
        message: Arc<Message>,
    ) -> Self {
        Self {
            delivery: 0,
            company: company.to_owned(),
            entry_id,
            url,
            action,
            kind,
            record_id,
            body: Body::Pending(message),
            retry: 0,
            first_at: None,
            epoch: 0,
        }
    }

    /// The body's bytes, made on first use.
    fn body(&mut self, nonce: &str) -> Arc<[u8]> {
        let m = match &self.body {
            Body::Ready(b) => return b.clone(),
            Body::Pending(m) => m.clone(),
        };
        let body = json!({
            "MessageId": guid(&format!("{nonce}{}", self.delivery)),
            "FromUrl": &*m.from_url,
            "CompanyId": self.company,
            "MemberId": &*m.member,
            "Action": self.action,
            "Type": self.kind,
            "ID": self.record_id,
            "ProductInstanceId": &*m.product,
            "PartnerId": &*m.partner,
            "CallbackObjectRecId": self.entry_id,
            "Entity": m.entity.as_ref().map(super::collect::Snapshot::render),
            "Metadata": { "key_url": &*m.key_url },
        });
        let bytes: Arc<[u8]> = serde_json::to_vec(&body).unwrap_or_default().into();
        self.body = Body::Ready(bytes.clone());
        bytes
    }
}

#[derive(Debug, Default)]
struct Waiting {
    fresh: VecDeque<Job>,
    /// Retries by number, each in the order they fall due (their waits are equal).
    retries: [VecDeque<(Instant, Job)>; 2],
    running: usize,
}

impl Waiting {
    fn len(&self) -> usize {
        self.fresh.len() + self.retries[0].len() + self.retries[1].len()
    }

    /// Drops the oldest waiting delivery; whether there was one.
    fn drop_oldest(&mut self) -> bool {
        self.fresh.pop_front().is_some()
            || self.retries[1].pop_front().is_some()
            || self.retries[0].pop_front().is_some()
    }
}

/// The queue, the journal and the counters.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    waiting: Mutex<Waiting>,
    wake: Notify,
    idle: Notify,
    pub(crate) paused: AtomicBool,
    started: AtomicBool,
    journal: Mutex<Journal>,
    /// When each entry's current run of failed deliveries began (store clock seconds).
    streaks: Mutex<HashMap<(String, u32), i64>>,
    next_delivery: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    skipped: AtomicU64,
    /// Bumped by a reset.
    epoch: AtomicU64,
    client: OnceLock<reqwest::Client>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Queues deliveries (called once the store's lock is released); starts the workers first.
pub(crate) fn enqueue(engine: &Arc<Engine>, jobs: Vec<Job>) -> Vec<u64> {
    let q = &engine.queue;
    if !q.started.swap(true, Ordering::SeqCst) {
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => (0..engine.settings.concurrency.max(1)).for_each(|_| {
                rt.spawn(worker(engine.clone()));
            }),
            Err(_) => q.started.store(false, Ordering::SeqCst),
        }
    }
    if !q.started.load(Ordering::SeqCst) {
        q.dropped.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        return Vec::new();
    }
    let mut ids = Vec::new();
    let mut w = lock(&q.waiting);
    for mut job in jobs {
        job.delivery = q.next_delivery.fetch_add(1, Ordering::Relaxed) + 1;
        job.epoch = q.epoch.load(Ordering::SeqCst);
        ids.push(job.delivery);
        w.fresh.push_back(job);
        while w.len() > engine.settings.queue_capacity.max(1) && w.drop_oldest() {
            q.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
    drop(w);
    q.wake.notify_waiters();
    ids
}

async fn worker(engine: Arc<Engine>) {
    loop {
        let job = next(&engine.queue).await;
        attempt(&engine, job).await;
    }
}

/// The next delivery due: a retry whose wait is over, else the oldest new one.
async fn next(q: &Queue) -> Job {
    loop {
        let woken = q.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let due = {
            let mut w = lock(&q.waiting);
            if !q.paused.load(Ordering::SeqCst) {
                let now = Instant::now();
                for n in 0..2 {
                    if w.retries[n].front().is_some_and(|(at, _)| *at <= now) {
                        if let Some((_, job)) = w.retries[n].pop_front() {
                            w.running += 1;
                            return job;
                        }
                    }
                }
                if let Some(job) = w.fresh.pop_front() {
                    w.running += 1;
                    return job;
                }
            }
            w.retries.iter().filter_map(|r| r.front().map(|(at, _)| *at)).min()
        };
        match due {
            Some(at) if !q.paused.load(Ordering::SeqCst) => {
                tokio::select! {
                    () = &mut woken => {}
                    () = tokio::time::sleep_until(at) => {}
                }
            }
            _ => woken.await,
        }
    }
}

/// Whether `url` is the mock's own console.
fn own_console(site: &str, url: &str) -> bool {
    let (Ok(site), Ok(url)) = (reqwest::Url::parse(site), reqwest::Url::parse(url)) else { return false };
    site.host_str() == url.host_str()
        && site.port_or_known_default() == url.port_or_known_default()
        && url.path().starts_with("/__mock")
}

fn client(q: &Queue) -> &reqwest::Client {
    q.client.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("mock-connectwise callbacks")
            .build()
            .unwrap_or_default()
    })
}

async fn send(engine: &Engine, job: &Job, body: &[u8], signature: &str, fault: Option<Effect>) -> Result<u16, String> {
    if let Some(Effect::Latency(d)) = fault {
        tokio::time::sleep(d).await;
    }
    let req = client(&engine.queue)
        .post(&job.url)
        .header("content-type", "application/json")
        .header("x-content-signature", signature)
        .body(body.to_vec());
    match req.send().await {
        Ok(res) => Ok(res.status().as_u16()),
        Err(e) => {
            // The causes say what failed (refused, reset, DNS); none of them holds the URL.
            let e = e.without_url();
            let mut text = format!("connection error: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            Err(text)
        }
    }
}

fn entry_active(engine: &Engine, company: &str, id: u32) -> bool {
    let Some(res) = *CALLBACKS else { return false };
    engine
        .store
        .read_tenant(company, |t| {
            Ok(t.table(res)
                .view(id)
                .is_some_and(|d| !d.to_json().get("inactiveFlag").and_then(Value::as_bool).unwrap_or(false)))
        })
        .unwrap_or(false)
}

async fn attempt(engine: &Arc<Engine>, mut job: Job) {
    let q = &engine.queue;
    let settings = &engine.settings;
    if !entry_active(engine, &job.company, job.entry_id) {
        q.skipped.fetch_add(1, Ordering::Relaxed);
        return finish(q, None, settings.queue_capacity);
    }
    let body = job.body(&engine.keys.nonce());
    if body.len() > MAX_BODY_BYTES {
        q.dropped.fetch_add(1, Ordering::Relaxed);
        return finish(q, None, settings.queue_capacity);
    }
    let started = Instant::now();
    let first = *job.first_at.get_or_insert(started);
    let signature = sign::signature(&engine.keys.of(&job.company).key, &body);
    let fault = engine.faults.fire(job.entry_id, &job.url);
    let outcome = if own_console(&engine.site(), &job.url) {
        Err("not delivered: the mock never delivers to its own console".to_owned())
    } else {
        match fault {
            Some(Effect::Status(s)) => Ok(s),
            Some(Effect::Drop) => Err("dropped by a delivery fault rule".to_owned()),
            _ => match tokio::time::timeout(settings.timeout, send(engine, &job, &body, &signature, fault)).await {
                Ok(r) => r,
                Err(_) => Err(format!("timed out after {} ms", settings.timeout.as_millis())),
            },
        }
    };
    let latency = started.elapsed();
    if job.epoch != q.epoch.load(Ordering::SeqCst) {
        // Sent before a reset: nothing of it is kept, counted or retried.
        return finish(q, None, settings.queue_capacity);
    }
    let delivered = outcome.as_ref().is_ok_and(|s| rules::success(*s));
    let retry_in = match outcome {
        Ok(s) if rules::retried(s) && usize::from(job.retry) < settings.retry_delays.len() => {
            Some(settings.retry_delays[usize::from(job.retry)])
        }
        _ => None,
    };
    let key = (job.company.to_ascii_lowercase(), job.entry_id);
    let mut disabled = false;
    if delivered {
        q.delivered.fetch_add(1, Ordering::Relaxed);
        lock(&q.streaks).remove(&key);
    } else if retry_in.is_none() {
        q.failed.fetch_add(1, Ordering::Relaxed);
        let now = engine.store.now();
        let since = *lock(&q.streaks).entry(key.clone()).or_insert(now);
        if now - since >= i64::from(settings.disable_after_days) * 86_400 {
            disabled = disable(engine, &job.company, job.entry_id);
            lock(&q.streaks).remove(&key);
        }
    }
    let (status, error) = match outcome {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    };
    lock(&q.journal).push(Attempt {
        id: 0,
        delivery: job.delivery,
        company: job.company.clone(),
        entry_id: job.entry_id,
        url: job.url.clone(),
        action: job.action.to_owned(),
        kind: job.kind.to_owned(),
        record_id: job.record_id,
        body: String::from_utf8_lossy(&body).into_owned(),
        signature,
        retry: job.retry,
        status,
        error,
        latency_ms: millis(latency),
        after_first_ms: millis(started - first),
        delivered,
        next_retry_in_ms: retry_in.map(millis),
        disabled_entry: disabled,
    });
    let retry = retry_in.map(|wait| {
        let n = usize::from(job.retry);
        job.retry += 1;
        (n, Instant::now() + wait, job)
    });
    finish(q, retry, settings.queue_capacity);
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Ends an attempt: schedules its retry, and tells waiters when nothing is left.
fn finish(q: &Queue, retry: Option<(usize, Instant, Job)>, capacity: usize) {
    let mut w = lock(&q.waiting);
    w.running = w.running.saturating_sub(1);
    if let Some((n, at, job)) = retry {
        w.retries[n].push_back((at, job));
        while w.len() > capacity.max(1) && w.drop_oldest() {
            q.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
    let idle = w.len() == 0 && w.running == 0;
    drop(w);
    q.wake.notify_waiters();
    if idle {
        q.idle.notify_waiters();
    }
}

/// Sets the entry's `inactiveFlag` (as ConnectWise disables a failing callback); whether it did.
fn disable(engine: &Engine, company: &str, id: u32) -> bool {
    let Some(res) = *CALLBACKS else { return false };
    let done = engine.store.write_tenant(company, |t, keys, now| {
        let mut current = t.current(res, None, id)?;
        current.insert("inactiveFlag".into(), Value::Bool(true));
        let w = WriteCtx { access: Access::system(), now, keys, base: "" };
        t.update(res, None, id, Value::Object(current), Mode::Create, &w)
    });
    if let Err(e) = &done {
        tracing::warn!(company, entry = id, error = %e, "could not disable a failing callback entry");
    }
    done.is_ok()
}
