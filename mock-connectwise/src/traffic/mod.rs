//! What the mock does to traffic besides serving it: injected faults ([`faults`]), the
//! request journal ([`requests`]) and the per-key rate limit ([`ratelimit`]). The API
//! dispatcher consults them on every call; the console (`/__mock/faults`, `/__mock/requests`,
//! `/__mock/rate-limit`) changes and reads them.

pub(crate) mod faults;
pub(crate) mod ratelimit;
pub(crate) mod requests;

/// The traffic controls of one running mock.
#[derive(Debug)]
pub(crate) struct Traffic {
    pub(crate) faults: faults::Faults,
    pub(crate) requests: requests::Journal,
    pub(crate) limiter: ratelimit::Limiter,
}

impl Traffic {
    pub(crate) fn new(journal_capacity: usize, limit: Option<ratelimit::RateLimit>) -> Self {
        Self {
            faults: faults::Faults::default(),
            requests: requests::Journal::new(journal_capacity),
            limiter: ratelimit::Limiter::new(limit),
        }
    }

    /// Back to a clean slate, as a console reset leaves it: no faults, an empty journal, the
    /// rate-limit counters (not the limit itself) started afresh.
    pub(crate) fn reset(&self) {
        self.faults.clear();
        self.requests.clear();
        self.limiter.set(self.limiter.limit());
    }
}
