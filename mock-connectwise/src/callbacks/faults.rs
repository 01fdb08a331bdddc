//! Faults injected into deliveries, shaped like the API's fault rules (`/__mock/faults`): a
//! rule matches deliveries by entry and/or URL and makes them slow, answers them with a status
//! without sending them (so a handler's retries can be tested against a healthy receiver), or
//! drops them (a connection error). A rule fires for its next `times` matches, or always.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The longest latency a rule may add.
pub(crate) const MAX_LATENCY_MS: u64 = 60_000;
/// The most rules at once.
pub(crate) const MAX_RULES: usize = 100;

/// What a rule does.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum DeliveryFaultKind {
    /// Count the delivery as answered with `status`, without sending it.
    Status,
    /// Wait `latencyMs`, then send it (the wait counts toward the timeout).
    Latency,
    /// Fail it as a connection error, without sending it.
    Drop,
}

/// A rule as the console receives it (`POST /__mock/callbacks/faults`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeliveryFaultSpec {
    /// Only deliveries of this callback entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) entry_id: Option<u32>,
    /// Only deliveries whose URL contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) url_contains: Option<String>,
    pub(crate) action: DeliveryFaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms: Option<u64>,
    /// Fire for the next N matching deliveries only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) times: Option<u64>,
}

impl DeliveryFaultSpec {
    /// Refuses what cannot be applied; the message is the 400's.
    pub(crate) fn check(&self) -> Result<(), String> {
        match self.action {
            DeliveryFaultKind::Status if !self.status.is_some_and(|s| (100..=599).contains(&s)) => {
                Err("a status fault needs a status from 100 to 599".into())
            }
            DeliveryFaultKind::Latency if self.latency_ms.is_none_or(|l| l > MAX_LATENCY_MS) => {
                Err(format!("a latency fault needs latencyMs from 0 to {MAX_LATENCY_MS}"))
            }
            _ if self.url_contains.as_ref().is_some_and(|u| u.len() > 1024) => Err("urlContains is too long".into()),
            _ if self.times == Some(0) => Err("times must be at least 1".into()),
            _ => Ok(()),
        }
    }
}

/// What a matching rule does to one delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Status(u16),
    Latency(Duration),
    Drop,
}

/// The rules, in the order they were added; the first that matches fires.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<(u64, DeliveryFaultSpec)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Faults {
    /// Adds a rule; its id.
    pub(crate) fn add(&self, spec: DeliveryFaultSpec) -> Result<u64, String> {
        spec.check()?;
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if rules.len() >= MAX_RULES {
            return Err(format!("at most {MAX_RULES} delivery fault rules; delete some first"));
        }
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        rules.push((id, spec));
        Ok(id)
    }

    /// The rules with their ids.
    pub(crate) fn list(&self) -> Vec<serde_json::Value> {
        let rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rules
            .iter()
            .map(|(id, spec)| {
                let mut v = serde_json::to_value(spec).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("id".into(), (*id).into());
                }
                v
            })
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// No rules, and ids from 1 again.
    pub(crate) fn reset(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rules.clear();
        self.next_id.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// What the first matching rule does to a delivery (and counts it down).
    pub(crate) fn fire(&self, entry_id: u32, url: &str) -> Option<Effect> {
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let i = rules.iter().position(|(_, r)| {
            r.entry_id.is_none_or(|e| e == entry_id) && r.url_contains.as_ref().is_none_or(|u| url.contains(u.as_str()))
        })?;
        let spec = rules[i].1.clone();
        if let Some(t) = &mut rules[i].1.times {
            *t -= 1;
            if *t == 0 {
                rules.remove(i);
            }
        }
        Some(match spec.action {
            DeliveryFaultKind::Status => Effect::Status(spec.status.unwrap_or(500)),
            DeliveryFaultKind::Latency => Effect::Latency(Duration::from_millis(spec.latency_ms.unwrap_or(0))),
            DeliveryFaultKind::Drop => Effect::Drop,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> DeliveryFaultSpec {
        serde_json::from_value(json).expect("a spec")
    }

    #[test]
    fn a_rule_with_times_fires_that_often_and_only_on_its_entry() {
        let f = Faults::default();
        f.add(spec(serde_json::json!({"entryId": 3, "action": "status", "status": 429, "times": 2}))).expect("added");
        assert_eq!(f.fire(4, "http://x/"), None);
        assert_eq!(f.fire(3, "http://x/"), Some(Effect::Status(429)));
        assert_eq!(f.fire(3, "http://x/"), Some(Effect::Status(429)));
        assert_eq!(f.fire(3, "http://x/"), None);
    }

    #[test]
    fn rules_that_cannot_apply_are_refused() {
        let f = Faults::default();
        assert!(f.add(spec(serde_json::json!({"action": "status"}))).is_err());
        assert!(f.add(spec(serde_json::json!({"action": "latency", "latencyMs": 600_000}))).is_err());
        assert!(f.add(spec(serde_json::json!({"action": "drop", "times": 0}))).is_err());
        assert!(f.add(spec(serde_json::json!({"action": "drop", "urlContains": "/hook"}))).is_ok());
    }
}
