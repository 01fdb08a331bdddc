//! Injected faults, as WireMock and LocalStack offer them: a rule matches calls by method,
//! route pattern and (optionally) the calling member, and makes them slow, answers them with
//! an error status, drops the connection, or commits the write and then drops the
//! connection so the client never learns it succeeded.
//!
//! A rule fires for the next `times` matching calls, or with a `probability` drawn from its
//! own generator seeded by `seed` (so a run is repeatable), or on every matching call.

mod patterns;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use patterns::{RuleSet, Seg, compile, path_matches};

/// The longest latency a rule may add; longer is a client mistake (use a drop instead).
pub(crate) const MAX_LATENCY_MS: u64 = 60_000;
/// The most rules that may exist at once; more is a 400 (delete some first).
pub(crate) const MAX_FAULT_RULES: usize = 1_000;
/// The longest path pattern of a rule, in bytes.
pub(crate) const MAX_FAULT_PATH: usize = 1_024;
/// The longest member name of a rule, in bytes.
const MAX_FAULT_MEMBER: usize = 256;
/// The longest method of a rule, in bytes.
const MAX_FAULT_METHOD: usize = 16;

/// What a rule does to the calls it matches.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum FaultKind {
    /// Answer with `status` (and `Retry-After` when given) without running the call.
    Status,
    /// Wait `latencyMs`, then serve the call normally.
    Latency,
    /// Close the connection without an answer, without running the call.
    Drop,
    /// Run the call (writes are kept), then close the connection without an answer.
    CommitThenDrop,
}

impl FaultKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Latency => "latency",
            Self::Drop => "drop",
            Self::CommitThenDrop => "commitThenDrop",
        }
    }
}

/// A rule as the console receives it (`POST /__mock/faults`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FaultSpec {
    /// `GET`, `POST`...; absent matches every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) method: Option<String>,
    /// The path after `apis/3.0`, e.g. `/system/members/*`; `*` is one segment, `**` the rest.
    pub(crate) path: String,
    /// Only calls authenticated as this member (API member or member identifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) member: Option<String>,
    pub(crate) action: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    /// Seconds, sent as `Retry-After` with a status fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms: Option<u64>,
    /// Fire for the next N matching calls only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) times: Option<u64>,
    /// Fire on this share of matching calls (0 < p <= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seed: Option<u64>,
}

#[derive(Debug)]
struct Rule {
    id: u64,
    spec: FaultSpec,
    pattern: Vec<Seg>,
    method: Option<String>,
    remaining: Option<u64>,
    hits: u64,
    rng: Option<StdRng>,
}

/// A rule as the console lists it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleView {
    id: u64,
    #[serde(flatten)]
    spec: FaultSpec,
    /// Calls it may still fire on (`null`: unlimited).
    remaining: Option<u64>,
    /// Calls it fired on so far.
    hits: u64,
}

/// A fault that fired for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fired {
    pub(crate) rule: u64,
    pub(crate) kind: FaultKind,
    pub(crate) status: u16,
    pub(crate) retry_after: Option<u32>,
    pub(crate) latency: Duration,
}

impl RuleView {
    /// One line for the log: `#3 status 503 GET /system/members/** (times 2)`; never longer
    /// than the caps on a rule allow.
    pub(crate) fn summary(&self) -> String {
        let s = &self.spec;
        let mut line = format!("#{} {}", self.id, s.action.as_str());
        match s.action {
            FaultKind::Status => line.push_str(&format!(" {}", s.status.unwrap_or(0))),
            FaultKind::Latency => line.push_str(&format!(" {}ms", s.latency_ms.unwrap_or(0))),
            FaultKind::Drop | FaultKind::CommitThenDrop => {}
        }
        line.push_str(&format!(" {} {}", s.method.as_deref().unwrap_or("*"), s.path));
        if let Some(m) = &s.member {
            line.push_str(&format!(" member {m}"));
        }
        if let Some(n) = s.times {
            line.push_str(&format!(" (times {n})"));
        }
        if let Some(p) = s.probability {
            line.push_str(&format!(" (probability {p})"));
        }
        line
    }
}

impl Fired {
    /// How the request journal names it: `#3 status 429`.
    pub(crate) fn label(&self) -> String {
        match self.kind {
            FaultKind::Status => format!("#{} status {}", self.rule, self.status),
            FaultKind::Latency => format!("#{} latency {}ms", self.rule, self.latency.as_millis()),
            kind => format!("#{} {}", self.rule, kind.as_str()),
        }
    }
}

/// The rule set. Cheap to consult when empty: one atomic load.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: AtomicBool,
    by_member: AtomicBool,
    next_id: AtomicU64,
    rules: Mutex<RuleSet>,
}

impl Faults {
    /// Whether any rule exists (the fast path skips everything else when not).
    pub(crate) fn armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }

    /// Whether some rule filters on the member, so the caller must be identified first.
    pub(crate) fn by_member(&self) -> bool {
        self.by_member.load(Ordering::Relaxed)
    }

    /// Checks and adds a rule; the message says what is wrong with a bad one. At most
    /// [`MAX_FAULT_RULES`] rules exist at once, each of bounded size.
    pub(crate) fn add(&self, spec: FaultSpec) -> Result<RuleView, String> {
        if spec.path.len() > MAX_FAULT_PATH {
            return Err(format!("path is {} bytes; at most {MAX_FAULT_PATH} are allowed", spec.path.len()));
        }
        if spec.member.as_ref().is_some_and(|m| m.len() > MAX_FAULT_MEMBER) {
            return Err(format!("member is longer than {MAX_FAULT_MEMBER} bytes"));
        }
        if spec.method.as_ref().is_some_and(|m| m.len() > MAX_FAULT_METHOD) {
            return Err(format!("method is longer than {MAX_FAULT_METHOD} bytes"));
        }
        let pattern = compile(&spec.path)?;
        match spec.action {
            FaultKind::Status => match spec.status {
                Some(s) if (400..=599).contains(&s) => {}
                Some(s) => return Err(format!("status {s} is not an error status (400-599)")),
                None => return Err("a status fault needs `status`".into()),
            },
            FaultKind::Latency => match spec.latency_ms {
                Some(ms) if ms <= MAX_LATENCY_MS => {}
                Some(ms) => return Err(format!("latencyMs {ms} is over the limit of {MAX_LATENCY_MS}")),
                None => return Err("a latency fault needs `latencyMs`".into()),
            },
            FaultKind::Drop | FaultKind::CommitThenDrop => {}
        }
        if spec.times.is_some() && spec.probability.is_some() {
            return Err("give `times` or `probability`, not both".into());
        }
        if let Some(p) = spec.probability {
            if !(p > 0.0 && p <= 1.0) {
                return Err(format!("probability {p} must be in (0, 1]"));
            }
        }
        let method = match &spec.method {
            Some(m) if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) => {
                return Err(format!("method '{m}' is not an HTTP method"));
            }
            m => m.as_ref().map(|m| m.to_ascii_uppercase()),
        };
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if rules.list.len() >= MAX_FAULT_RULES {
            return Err(format!(
                "there are already {MAX_FAULT_RULES} fault rules, the most allowed; delete some first (DELETE /__mock/faults/{{id}} or /__mock/faults)"
            ));
        }
        let rule = Rule {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            remaining: spec.times,
            rng: spec.probability.map(|_| StdRng::seed_from_u64(spec.seed.unwrap_or(0))),
            hits: 0,
            method,
            pattern,
            spec,
        };
        let view = view(&rule);
        rules.push(rule);
        self.rearm(&rules);
        Ok(view)
    }

    /// All rules, oldest first.
    pub(crate) fn list(&self) -> Vec<RuleView> {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner).list.iter().map(view).collect()
    }

    /// Removes one rule; false when there is none with that id.
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = rules.list.len();
        rules.retain(|r| r.id != id);
        self.rearm(&rules);
        rules.list.len() != before
    }

    /// Removes every rule.
    pub(crate) fn clear(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *rules = RuleSet::default();
        self.rearm(&rules);
    }

    /// The fault for this call, if a rule fires: the first matching rule that fires wins.
    pub(crate) fn fire(&self, method: &str, segs: &[&str], member: Option<&str>) -> Option<Fired> {
        let mut guard = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let candidates: Vec<usize> = guard.candidates(segs.first().copied()).collect();
        let list = &mut guard.list;
        for at in candidates {
            let Some(rule) = list.get_mut(at) else { continue };
            if !rule.matches(method, segs, member) || rule.remaining == Some(0) {
                continue;
            }
            if let Some(rng) = rule.rng.as_mut() {
                let p = rule.spec.probability.unwrap_or(1.0);
                // 53 random bits make a uniform float in [0, 1).
                let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if draw >= p {
                    continue;
                }
            }
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            rule.hits += 1;
            return Some(Fired {
                rule: rule.id,
                kind: rule.spec.action,
                status: rule.spec.status.unwrap_or(0),
                retry_after: rule.spec.retry_after,
                latency: Duration::from_millis(rule.spec.latency_ms.unwrap_or(0)),
            });
        }
        None
    }

    fn rearm(&self, rules: &RuleSet) {
        self.armed.store(!rules.list.is_empty(), Ordering::Relaxed);
        self.by_member.store(rules.list.iter().any(|r| r.spec.member.is_some()), Ordering::Relaxed);
    }
}

impl Rule {
    fn matches(&self, method: &str, segs: &[&str], member: Option<&str>) -> bool {
        if self.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(method)) {
            return false;
        }
        if let Some(want) = &self.spec.member {
            if !member.is_some_and(|m| m.eq_ignore_ascii_case(want)) {
                return false;
            }
        }
        path_matches(&self.pattern, segs)
    }
}

fn view(rule: &Rule) -> RuleView {
    RuleView { id: rule.id, spec: rule.spec.clone(), remaining: rule.remaining, hits: rule.hits }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> FaultSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_rule_with_times_fires_exactly_that_many_times() {
        let faults = Faults::default();
        faults
            .add(spec(serde_json::json!({"path": "/system/info", "action": "status", "status": 503, "times": 2})))
            .unwrap();
        let fired: Vec<_> = (0..4).map(|_| faults.fire("GET", &["system", "info"], None).is_some()).collect();
        assert_eq!(fired, [true, true, false, false]);
        assert_eq!(faults.list()[0].hits, 2);
    }

    #[test]
    fn a_seeded_probability_gives_the_same_sequence_every_run() {
        let run = || {
            let faults = Faults::default();
            let rule = serde_json::json!({"path": "/**", "action": "drop", "probability": 0.3, "seed": 9});
            faults.add(spec(rule)).unwrap();
            (0..200).map(|_| faults.fire("GET", &["x"], None).is_some()).collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let share = first.iter().filter(|f| **f).count();
        assert!((30..=90).contains(&share), "{share} of 200 fired at p=0.3");
    }

    #[test]
    fn member_and_method_filters_narrow_a_rule() {
        let faults = Faults::default();
        let rule = serde_json::json!({"method": "post", "path": "/**", "member": "Sync", "action": "commitThenDrop"});
        faults.add(spec(rule)).unwrap();
        assert!(faults.by_member());
        assert!(faults.fire("GET", &["a"], Some("sync")).is_none());
        assert!(faults.fire("POST", &["a"], Some("other")).is_none());
        assert!(faults.fire("POST", &["a"], None).is_none());
        assert_eq!(faults.fire("POST", &["a"], Some("SYNC")).map(|f| f.kind), Some(FaultKind::CommitThenDrop));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        let faults = Faults::default();
        for bad in [
            serde_json::json!({"path": "/x", "action": "status"}),
            serde_json::json!({"path": "/x", "action": "status", "status": 200}),
            serde_json::json!({"path": "/x", "action": "latency", "latencyMs": 600_000}),
            serde_json::json!({"path": "/x", "action": "drop", "times": 1, "probability": 0.5}),
            serde_json::json!({"path": "/x", "action": "drop", "probability": 1.5}),
            serde_json::json!({"path": "/x", "action": "drop", "method": "GE T"}),
        ] {
            assert!(faults.add(spec(bad.clone())).is_err(), "{bad} was accepted");
        }
        assert!(!faults.armed());
    }

    fn drop_rule(path: &str) -> FaultSpec {
        spec(serde_json::json!({"path": path, "action": "drop", "method": "DELETE"}))
    }

    #[test]
    fn no_more_than_the_cap_of_rules_is_kept() {
        let faults = Faults::default();
        for i in 0..MAX_FAULT_RULES {
            faults.add(drop_rule(&format!("/r/{i}"))).unwrap();
        }
        let over = faults.add(drop_rule("/one/more")).unwrap_err();
        assert!(over.contains("delete some first"), "{over}");
        assert_eq!(faults.list().len(), MAX_FAULT_RULES);
        faults.remove(1);
        assert!(faults.add(drop_rule("/one/more")).is_ok(), "room again after a delete");
    }

    #[test]
    fn oversized_rules_are_refused_and_summaries_stay_one_short_line() {
        let faults = Faults::default();
        assert!(faults.add(drop_rule(&format!("/{}", "a".repeat(2_000_000)))).is_err());
        assert!(faults.add(drop_rule(&"/a".repeat(40))).is_err(), "too many segments");
        let mut long_member = drop_rule("/x");
        long_member.member = Some("m".repeat(10_000));
        assert!(faults.add(long_member).is_err());
        let rule = faults
            .add(spec(serde_json::json!({"path": "/system/**", "action": "status", "status": 503, "times": 2})))
            .unwrap();
        assert_eq!(rule.summary(), "#1 status 503 * /system/** (times 2)");
        assert_eq!(faults.list().len(), 1, "refused rules are not kept");
    }

    #[test]
    fn the_oldest_matching_rule_wins_across_literal_and_wildcard_patterns() {
        let faults = Faults::default();
        let add = |path: &str, status: u16| {
            faults.add(spec(serde_json::json!({"path": path, "action": "status", "status": status}))).unwrap()
        };
        add("/system/info", 501);
        add("/**", 502);
        add("/System/members", 503);
        add("/*/members", 504);
        let status = |segs: &[&str]| faults.fire("GET", segs, None).map(|f| f.status);
        assert_eq!(status(&["SYSTEM", "info"]), Some(501));
        assert_eq!(status(&["system", "members"]), Some(502), "the older wildcard rule wins");
        faults.remove(2);
        assert_eq!(status(&["system", "members"]), Some(503));
        assert_eq!(status(&["company", "members"]), Some(504));
        assert_eq!(status(&["company", "companies"]), None);
        assert_eq!(status(&[]), None);
    }

    #[test]
    fn a_call_consults_only_the_rules_that_share_its_first_segment() {
        // What a call costs is the benchmark's to measure (docs/benchmark.md); this checks the
        // index that keeps it small: a full rule set elsewhere is never looked at.
        let consulted = |first: &str| {
            let faults = Faults::default();
            for i in 0..MAX_FAULT_RULES {
                let path = format!("/{first}/members/{i}/**");
                faults.add(spec(serde_json::json!({"path": path, "action": "drop"}))).unwrap();
            }
            assert!(faults.fire("GET", &["system", "members", "jdoe", "tokens"], None).is_none());
            let rules = faults.rules.lock().unwrap();
            rules.candidates(Some("system")).count()
        };
        assert_eq!(consulted("system"), MAX_FAULT_RULES);
        assert_eq!(consulted("finance"), 0, "the index skips rules for other first segments");
    }
}
