//! ConnectWise callbacks (`/system/callbacks`): the types an integration may subscribe to, the
//! levels each type accepts, the refusals a registration can get, and the delivery rules
//! (which statuses are retried and when). Written once here: the mock validates registrations
//! and delivers by it, and the living spec and tests read it.
//!
//! Source: ConnectWise's "PSA-Callbacks" page (February 2026) and Developer Guide, as gathered
//! in the workspace's callbacks reference.

use std::time::Duration;

/// A callback type: what kind of record an entry subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallbackType {
    /// Sales activities.
    Activity,
    /// Agreements.
    Agreement,
    /// Companies.
    Company,
    /// Contacts.
    Contact,
    /// Configurations.
    Configuration,
    /// Invoices.
    Invoice,
    /// Expense entries.
    Expense,
    /// Members.
    Member,
    /// Opportunities.
    Opportunity,
    /// Product catalog items.
    ProductCatalog,
    /// Projects.
    Project,
    /// Purchase orders.
    PurchaseOrder,
    /// Schedule entries.
    Schedule,
    /// Service and project tickets.
    Ticket,
    /// Time entries.
    Time,
}

/// Every type, with the levels it accepts (the first is always `owner`, the last the type's
/// own level where it has one).
const TABLE: &[(CallbackType, &str, &[&str])] = &[
    (CallbackType::Activity, "activity", &["owner", "status", "type", "company", "activity"]),
    (CallbackType::Agreement, "agreement", &["owner", "type", "company", "agreement"]),
    (CallbackType::Company, "company", &["owner", "status", "type", "territory", "company", "integratortag"]),
    (CallbackType::Contact, "contact", &["owner", "type", "territory", "company", "contact"]),
    (CallbackType::Configuration, "configuration", &["owner", "type", "status", "configuration"]),
    (CallbackType::Invoice, "invoice", &["owner", "status", "company", "invoice"]),
    (CallbackType::Expense, "expense", &["owner", "chargetotype", "type", "class", "company", "expense"]),
    (CallbackType::Member, "member", &["owner", "location", "securityrole", "member"]),
    (CallbackType::Opportunity, "opportunity", &["owner", "statusid", "company", "opportunity"]),
    (CallbackType::ProductCatalog, "productcatalog", &["owner"]),
    (CallbackType::Project, "project", &["owner", "status", "board", "project"]),
    (CallbackType::PurchaseOrder, "purchaseorder", &["owner", "status", "vendor", "company", "purchaseorder"]),
    (CallbackType::Schedule, "schedule", &["owner", "status", "type", "location", "member", "schedule"]),
    (CallbackType::Ticket, "ticket", &["owner", "board", "project", "phase", "status", "ticket", "integratortag"]),
    (CallbackType::Time, "time", &["owner", "company", "time"]),
];

impl CallbackType {
    /// Every type, in the reference's order.
    pub fn all() -> impl Iterator<Item = Self> {
        TABLE.iter().map(|(t, _, _)| *t)
    }

    /// The type as the body's `Type` writes it (lower-case).
    pub fn as_str(self) -> &'static str {
        TABLE.iter().find(|(t, _, _)| *t == self).map_or("", |(_, name, _)| name)
    }

    /// Parses a type ignoring case (clients write `ticket`; the server is assumed lenient).
    pub fn parse(text: &str) -> Option<Self> {
        TABLE.iter().find(|(_, name, _)| name.eq_ignore_ascii_case(text.trim())).map(|(t, _, _)| *t)
    }

    /// The levels this type accepts, lower-case.
    pub fn levels(self) -> &'static [&'static str] {
        TABLE.iter().find(|(t, _, _)| *t == self).map_or(&[], |(_, _, levels)| levels)
    }

    /// The accepted level `text` names (ignoring case), lower-case.
    pub fn level(self, text: &str) -> Option<&'static str> {
        self.levels().iter().find(|l| l.eq_ignore_ascii_case(text.trim())).copied()
    }
}

/// The level that means every record of the type; its `objectId` is always 1.
pub const OWNER: &str = "owner";

/// What a successful registration's `payloadVersion` holds unless the client sent one.
pub const PAYLOAD_VERSION: &str = "3.0.0";

/// The `message` of a refused registration's error body (code `InvalidObject`, status 400).
pub const REFUSED: &str = "callbackEntry object is invalid";
/// The `errors[]` message for a `url` that is not an absolute http(s) URL (code `InvalidField`).
pub const INVALID_URL: &str = "Invalid URL";
/// The `errors[]` message for a level the type does not accept (code `InvalidObject`).
pub const INVALID_LEVEL: &str = "Unrecognized level for type, see documentation for supported levels for each type";
/// The `errors[]` message for a second entry with the same type, level, objectId and url
/// (code `ObjectExists`, field `objectId`).
pub const DUPLICATE: &str = "A matching callback entry already exists";

/// Whether `url` is an absolute `http` or `https` URL with a host, and nothing a URL cannot
/// hold (whitespace, control characters).
pub fn valid_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    !host.is_empty()
        && !host.starts_with(':')
        && url.len() <= 1000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The delivery rules of ConnectWise's Developer Guide ("When Callbacks Fail to POST").
pub mod rules {
    use super::Duration;

    /// The statuses that are retried; any other non-2xx (5xx included) is not.
    pub const RETRIED: [u16; 4] = [404, 409, 419, 429];
    /// The waits before the first and the second retry (2 s after the first try, then 4 s
    /// after the first retry).
    pub const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(4)];
    /// How long one delivery may take before it counts as failed.
    pub const TIMEOUT: Duration = Duration::from_secs(5);
    /// Consecutive days of failures after which an entry is disabled.
    pub const DISABLE_AFTER_DAYS: u32 = 3;

    /// Whether a delivery answered `status` succeeded.
    pub fn success(status: u16) -> bool {
        (200..300).contains(&status)
    }

    /// Whether a delivery answered `status` is tried again (while retries are left).
    pub fn retried(status: u16) -> bool {
        RETRIED.contains(&status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_levels_parse_without_case() {
        assert_eq!(CallbackType::parse("Ticket"), Some(CallbackType::Ticket));
        assert_eq!(CallbackType::parse("PRODUCTCATALOG"), Some(CallbackType::ProductCatalog));
        assert_eq!(CallbackType::parse("tickets"), None);
        assert_eq!(CallbackType::Ticket.level("Board"), Some("board"));
        assert_eq!(CallbackType::Ticket.level("company"), None);
        assert_eq!(CallbackType::ProductCatalog.levels(), &["owner"]);
    }

    #[test]
    fn every_type_accepts_owner_and_has_a_name_that_parses_back() {
        assert_eq!(CallbackType::all().count(), 15);
        for t in CallbackType::all() {
            assert_eq!(t.levels()[0], OWNER);
            assert_eq!(CallbackType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn only_absolute_http_urls_are_valid() {
        for good in ["https://h.example/cb?id=", "http://127.0.0.1:9/x", "HTTPS://H/"] {
            assert!(valid_url(good), "{good}");
        }
        for bad in ["", "h.example/cb", "ftp://h/x", "https://", "https:///x", "https://h/a b", "/relative"] {
            assert!(!valid_url(bad), "{bad}");
        }
    }

    #[test]
    fn only_404_409_419_429_are_retried_and_2xx_succeeds() {
        assert!(rules::success(204) && !rules::success(300));
        for s in [404, 409, 419, 429] {
            assert!(rules::retried(s));
        }
        for s in [400, 401, 500, 502, 503] {
            assert!(!rules::retried(s));
        }
    }
}
