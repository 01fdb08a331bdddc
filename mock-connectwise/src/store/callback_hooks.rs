//! What the store offers the callbacks module, which it may not import (the module graph runs
//! one way): the [`WriteObserver`] that sees every write under the lock, the records a write
//! deleted (kept until the write ends so the observer still sees what they referenced), and
//! the registration rules of `/system/callbacks`, checked in the write pipeline
//! ([`Tenant::check_callback_entry`]). The rules themselves are `cw_model::callbacks`.

use std::cell::RefCell;
use std::sync::LazyLock;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::persist::Mark;
use super::records::WriteCtx;
use super::table::Record;
use super::tenant::Tenant;
use crate::resources::Res;
use crate::validate::{FieldError, FieldErrorCode};
use cw_model::callbacks::{self as cb, CallbackType};

/// Sees every write (`Store::write_tenant`) under the lock.
pub(crate) trait WriteObserver: std::any::Any + Send + Sync + std::fmt::Debug {
    /// Called under the write lock after a write to `tenant`: `mark` holds the id sequences
    /// from before it, `removed` the records it deleted. What it returns runs once the lock
    /// is released (and the write is durable).
    fn observe(&self, tenant: &Tenant, mark: &Mark, removed: Vec<Removed>) -> Option<Box<dyn FnOnce() + Send>>;
}

/// A record a write deleted, and who deleted it.
#[derive(Debug)]
pub(crate) struct Removed {
    pub(crate) res: Res,
    pub(crate) record: Record,
    pub(crate) by: String,
}

/// The most deleted records kept for one write; a larger bulk delete is still observed, the
/// rest without what they referenced.
const MAX_REMOVED: usize = 10_000;

thread_local! {
    /// A write runs on one thread under the lock, so its deletions are kept here until
    /// `write_tenant` hands them to the observer.
    static REMOVED: RefCell<Vec<Removed>> = const { RefCell::new(Vec::new()) };
}

/// Keeps a record the running write deleted.
pub(crate) fn note_removed(res: Res, record: Record, by: &str) {
    REMOVED.with_borrow_mut(|r| {
        if r.len() < MAX_REMOVED {
            r.push(Removed { res, record, by: by.to_owned() });
        }
    });
}

/// The records the running write deleted (and forgets them).
pub(crate) fn take_removed() -> Vec<Removed> {
    REMOVED.with_borrow_mut(std::mem::take)
}

/// `/system/callbacks`.
pub(crate) static CALLBACKS: LazyLock<Option<Res>> = LazyLock::new(|| Res::at_path("/system/callbacks"));

fn text<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(field)).and_then(|(_, v)| v.as_str())
}

fn set(obj: &mut Map<String, Value>, field: &str, value: Value) {
    obj.retain(|k, _| !k.eq_ignore_ascii_case(field));
    obj.insert(field.to_owned(), value);
}

impl Tenant {
    /// The real server's registration rules for `/system/callbacks` (nothing for other
    /// collections): a known type, a level that type accepts, `objectId` 1 for `owner`, an
    /// absolute http(s) `url`, no duplicate; then `memberId`, `connectWiseID` and
    /// `payloadVersion` filled in (kept from the stored entry on an update).
    pub(crate) fn check_callback_entry(
        &self,
        res: Res,
        obj: &mut Map<String, Value>,
        id: Option<u32>,
        w: &WriteCtx<'_>,
    ) -> Vec<FieldError> {
        if Some(res) != *CALLBACKS {
            return Vec::new();
        }
        let mut errors = Vec::new();
        let kind = text(obj, "type").and_then(CallbackType::parse);
        let level = kind.and_then(|t| t.level(text(obj, "level").unwrap_or_default()));
        match (kind, level) {
            (None, _) => errors.push(FieldError::new(
                FieldErrorCode::InvalidField,
                "type",
                "Unrecognized type, see documentation for supported types".into(),
            )),
            (Some(_), None) => {
                errors.push(FieldError::new(FieldErrorCode::InvalidObject, "level", cb::INVALID_LEVEL.into()))
            }
            (Some(t), Some(l)) => {
                set(obj, "type", Value::from(t.as_str()));
                set(obj, "level", Value::from(l));
            }
        }
        if level == Some(cb::OWNER) {
            set(obj, "objectId", Value::from(1));
        } else if obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("objectId"))
            .and_then(|(_, v)| v.as_i64())
            .unwrap_or(0)
            < 1
        {
            errors.push(FieldError::new(
                FieldErrorCode::InvalidField,
                "objectId",
                "objectId must be the id of a record.".into(),
            ));
        }
        let url = text(obj, "url").unwrap_or_default().to_owned();
        if !cb::valid_url(&url) {
            errors.push(FieldError::new(FieldErrorCode::InvalidField, "url", cb::INVALID_URL.into()));
        }
        if errors.is_empty() && self.callback_exists(obj, id) {
            errors.push(FieldError::new(FieldErrorCode::ObjectExists, "objectId", cb::DUPLICATE.into()));
        }
        if !errors.is_empty() {
            return errors;
        }
        let stored = id.and_then(|id| self.table(res).view(id)).map(|d| d.to_json());
        let kept = |field: &str| stored.as_ref().and_then(|s| s.get(field)).cloned();
        let member = kept("memberId")
            .unwrap_or_else(|| Value::from(self.member_by_identifier(w.access.caller).map_or(0, |(_, id)| id)));
        set(obj, "memberId", member);
        let guid = kept("connectWiseID").unwrap_or_else(|| Value::from(guid(&w.keys.key())));
        set(obj, "connectWiseID", guid);
        if text(obj, "payloadVersion").is_none_or(str::is_empty) {
            set(obj, "payloadVersion", Value::from(cb::PAYLOAD_VERSION));
        }
        Vec::new()
    }

    /// Whether another entry has the same type, level, objectId and url.
    fn callback_exists(&self, obj: &Map<String, Value>, id: Option<u32>) -> bool {
        let Some(res) = *CALLBACKS else { return false };
        let key = |o: &Map<String, Value>| {
            (
                text(o, "type").unwrap_or_default().to_ascii_lowercase(),
                text(o, "level").unwrap_or_default().to_ascii_lowercase(),
                o.get("objectId").and_then(Value::as_i64),
                text(o, "url").unwrap_or_default().to_owned(),
            )
        };
        let wanted = key(obj);
        self.table(res).iter().filter(|r| Some(r.id) != id).any(|r| key(&r.doc.view(res.schema()).to_json()) == wanted)
    }
}

/// A GUID (`8-4-4-4-12` hex digits) drawn from the store's key generator.
pub(crate) fn guid(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}
