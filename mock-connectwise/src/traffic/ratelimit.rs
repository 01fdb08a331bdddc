//! A per-key request budget like the real server's: at most `requests` calls per API key in
//! each window of `perSeconds`, then 429 with `Retry-After` until the window ends. Windows are
//! read off the store's clock, so tests move time instead of sleeping.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A budget: `requests` per `per_seconds`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimit {
    /// Calls allowed in one window (at least 1).
    pub requests: u32,
    /// The window's length in seconds (at least 1).
    pub per_seconds: u32,
}

impl std::str::FromStr for RateLimit {
    type Err = String;

    /// Parses `100/60` (100 calls per 60 seconds).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a rate limit such as 100/60 (calls per seconds)");
        let (n, per) = s.split_once('/').ok_or_else(bad)?;
        let limit = Self {
            requests: n.trim().parse().map_err(|_| bad())?,
            per_seconds: per.trim().parse().map_err(|_| bad())?,
        };
        limit.check().map(|()| limit)
    }
}

impl RateLimit {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.requests == 0 || self.per_seconds == 0 {
            return Err("a rate limit needs at least 1 request per at least 1 second".into());
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Windows {
    limit: Option<RateLimit>,
    /// Per key: the window's start and the calls counted in it.
    used: HashMap<String, (i64, u32)>,
}

/// The limiter.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    windows: Mutex<Windows>,
}

impl Limiter {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self { windows: Mutex::new(Windows { limit, used: HashMap::new() }) }
    }

    pub(crate) fn limit(&self) -> Option<RateLimit> {
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner).limit
    }

    /// Sets (or with `None` lifts) the budget; counting starts afresh.
    pub(crate) fn set(&self, limit: Option<RateLimit>) {
        let mut w = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        w.limit = limit;
        w.used.clear();
    }

    /// Counts a call with `public` (the key as stored) of `company` at `now`; `Err(seconds)`
    /// when the budget is spent, with the seconds until the window ends (for `Retry-After`).
    ///
    /// Company ids are matched without regard to case (as the API does when it finds the
    /// tenant), so `cwmock` and `CWMOCK` spend one budget.
    pub(crate) fn take(&self, company: &str, public: &str, now: i64) -> Result<(), u32> {
        let mut w = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(limit) = w.limit else { return Ok(()) };
        let per = i64::from(limit.per_seconds);
        let key = format!("{}+{public}", company.to_ascii_lowercase());
        let slot = w.used.entry(key).or_insert((now, 0));
        if now >= slot.0 + per || now < slot.0 {
            *slot = (now, 0);
        }
        if slot.1 >= limit.requests {
            let wait = (slot.0 + per - now).max(1);
            return Err(u32::try_from(wait).unwrap_or(u32::MAX));
        }
        slot.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_budget_per_window_then_a_retry_after() {
        let limiter = Limiter::new(Some("2/10".parse().unwrap()));
        assert_eq!(limiter.take("co", "a", 100), Ok(()));
        assert_eq!(limiter.take("co", "a", 101), Ok(()));
        assert_eq!(limiter.take("co", "a", 103), Err(7));
        assert_eq!(limiter.take("co", "b", 103), Ok(()), "keys have separate budgets");
        assert_eq!(limiter.take("co", "a", 110), Ok(()), "a new window starts");
    }

    #[test]
    fn changing_the_company_ids_case_spends_the_same_budget() {
        let limiter = Limiter::new(Some("2/60".parse().unwrap()));
        assert_eq!(limiter.take("cwmock", "Pub", 100), Ok(()));
        assert_eq!(limiter.take("CWMOCK", "Pub", 100), Ok(()));
        assert!(limiter.take("CwMock", "Pub", 100).is_err(), "a third case variant is over the budget");
        assert_eq!(limiter.take("cwmock", "PUB", 100), Ok(()), "public keys are matched as stored");
    }

    #[test]
    fn no_limit_counts_nothing_and_bad_limits_are_refused() {
        let limiter = Limiter::default();
        assert!((0..10_000).all(|i| limiter.take("co", "a", i / 100).is_ok()));
        assert!("0/10".parse::<RateLimit>().is_err());
        assert!("10".parse::<RateLimit>().is_err());
        assert!("x/y".parse::<RateLimit>().is_err());
    }
}
