//! What one write fires, worked out under the store's lock: which records of the callback
//! types it added, updated or deleted (from the tables' `touched` lists and the id sequences
//! before the write, neither of which it consumes), which active entries each change reaches
//! (type, level, `objectId`, self-suppression), and each delivery's body with the `Entity`
//! rendered as `GET` would answer it.

use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};

use super::Engine;
use super::deliver::{Job, Message};
use crate::resources::Res;
use crate::store::callback_hooks::{CALLBACKS, Removed, guid};
use crate::store::persist::Mark;
use crate::store::render::{Ctx, RecordJson, write_one};
use crate::store::table::{Names, Record};
use crate::store::tenant::Tenant;
use cw_model::callbacks::{CallbackType, OWNER};

/// The collections behind each type (the two not served by the mock, expense entries and
/// purchase orders, have none: their entries register but nothing fires them).
static COLLECTIONS: LazyLock<Vec<(Res, CallbackType)>> = LazyLock::new(|| {
    use CallbackType as T;
    let paths: [(&str, T); 15] = [
        ("/sales/activities", T::Activity),
        ("/finance/agreements", T::Agreement),
        ("/company/companies", T::Company),
        ("/company/contacts", T::Contact),
        ("/company/configurations", T::Configuration),
        ("/finance/invoices", T::Invoice),
        ("/expense/entries", T::Expense),
        ("/system/members", T::Member),
        ("/sales/opportunities", T::Opportunity),
        ("/procurement/catalog", T::ProductCatalog),
        ("/project/projects", T::Project),
        ("/procurement/purchaseorders", T::PurchaseOrder),
        ("/schedule/entries", T::Schedule),
        ("/service/tickets", T::Ticket),
        ("/time/entries", T::Time),
    ];
    let mut out: Vec<(Res, CallbackType)> =
        paths.iter().filter_map(|(p, t)| Res::at_path(p).map(|r| (r, *t))).collect();
    // Project tickets are tickets too, when they are a collection of their own.
    if let Some(r) = Res::at_path("/project/tickets").filter(|r| !out.iter().any(|(o, _)| o == r)) {
        out.push((r, T::Ticket));
    }
    out
});

/// An active entry, as delivery needs it.
#[derive(Debug)]
struct Entry {
    id: u32,
    kind: CallbackType,
    level: &'static str,
    object_id: i64,
    url: String,
    member_id: u32,
    self_suppressed: bool,
}

fn entries(tenant: &Tenant) -> Vec<Entry> {
    let Some(res) = *CALLBACKS else { return Vec::new() };
    tenant
        .table(res)
        .iter()
        .filter_map(|r| {
            let doc = r.doc.view(res.schema()).to_json();
            let flag = |f: &str| doc.get(f).and_then(Value::as_bool).unwrap_or(false);
            let text = |f: &str| doc.get(f).and_then(Value::as_str).unwrap_or_default();
            if flag("inactiveFlag") {
                return None;
            }
            let kind = CallbackType::parse(text("type"))?;
            Some(Entry {
                id: r.id,
                kind,
                level: kind.level(text("level"))?,
                object_id: doc.get("objectId").and_then(Value::as_i64).unwrap_or(0),
                url: text("url").to_owned(),
                member_id: doc.get("memberId").and_then(Value::as_u64).and_then(|m| u32::try_from(m).ok()).unwrap_or(0),
                self_suppressed: flag("isSelfSuppressedFlag"),
            })
        })
        .collect()
}

/// The fields of a record a level names: `status` is the record's `status` (or its id),
/// `type` also its `types` list, `location` its default location too (and a schedule
/// entry's `where`, the only location it has), and so on.
fn fields_of(level: &str) -> &'static [&'static str] {
    match level {
        "status" | "statusid" => &["status", "statusId"],
        "type" => &["type", "types", "typeId"],
        "company" => &["company", "companyId"],
        "territory" => &["territory", "territoryId"],
        "board" => &["board", "boardId"],
        "project" => &["project", "projectId"],
        "phase" => &["phase", "phaseId"],
        "location" => &["location", "locationId", "defaultLocation", "where"],
        "securityrole" => &["securityRole"],
        "member" => &["member", "memberId"],
        "vendor" => &["vendor", "vendorCompany"],
        "class" => &["classification"],
        "chargetotype" => &["chargeToId"],
        "integratortag" => &["integratorTags"],
        _ => &[],
    }
}

/// Whether the record (its stored properties) references `id` through `field`.
fn references(doc: &Map<String, Value>, field: &str, id: i64) -> bool {
    let is = |v: &Value| v.as_i64() == Some(id) || v.get("id").and_then(Value::as_i64) == Some(id);
    match doc.get(field) {
        Some(Value::Array(items)) => items.iter().any(is),
        Some(v) => is(v),
        None => false,
    }
}

fn reaches(entry: &Entry, kind: CallbackType, id: u32, doc: Option<&Map<String, Value>>) -> bool {
    if entry.kind != kind {
        return false;
    }
    if entry.level == OWNER {
        return true;
    }
    if entry.level == kind.as_str() {
        return entry.object_id == i64::from(id);
    }
    doc.is_some_and(|d| fields_of(entry.level).iter().any(|f| references(d, f, entry.object_id)))
}

/// One change of one record.
struct Change<'a> {
    res: Res,
    kind: CallbackType,
    id: u32,
    action: &'static str,
    /// The record now, or (deleted) as it was, if kept.
    record: Option<&'a Record>,
    /// Who made the change (a member identifier; empty for the console).
    by: String,
}

fn changes<'a>(tenant: &'a Tenant, mark: &Mark, removed: &'a [Removed]) -> Vec<Change<'a>> {
    let mut out = Vec::new();
    for &(res, kind) in COLLECTIONS.iter() {
        let table = tenant.table(res);
        if table.touched.is_empty() {
            continue;
        }
        let mut ids = table.touched.clone();
        ids.sort_unstable();
        ids.dedup();
        let last = mark.last_id(res);
        for id in ids {
            let change = match table.get(id) {
                Some(rec) => Change {
                    res,
                    kind,
                    id,
                    action: if id > last { "added" } else { "updated" },
                    record: Some(rec),
                    by: tenant.names.name(rec.meta.updated_by).to_owned(),
                },
                // Added and deleted by the same write: nothing to tell.
                None if id > last => continue,
                None => {
                    let gone = removed.iter().find(|r| r.res == res && r.record.id == id);
                    Change {
                        res,
                        kind,
                        id,
                        action: "deleted",
                        record: gone.map(|g| &g.record),
                        by: gone.map(|g| g.by.clone()).unwrap_or_default(),
                    }
                }
            };
            out.push(change);
        }
    }
    out
}

/// A record as the write left it, rendered as the `Entity` by the worker, off the lock: a copy
/// of its compact document and of the two names its `_info` shows.
#[derive(Debug)]
pub(crate) struct Snapshot {
    res: Res,
    record: Record,
    names: Names,
    base: Arc<str>,
}

impl Snapshot {
    fn take(res: Res, rec: &Record, names: &Names, base: &Arc<str>) -> Self {
        let mut own = Names::default();
        let mut record = rec.clone();
        record.meta.entered_by = own.intern(names.name(rec.meta.entered_by));
        record.meta.updated_by = own.intern(names.name(rec.meta.updated_by));
        Self { res, record, names: own, base: base.clone() }
    }

    /// The record as `GET` answers it.
    pub(crate) fn render(&self) -> String {
        let ctx = Ctx { base: &self.base, names: &self.names, board: None, company: None };
        let doc = self.record.doc.view(self.res.schema());
        let json = write_one(&RecordJson { ctx, doc, record: &self.record, res: Some(self.res), fields: None });
        String::from_utf8(json).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Stable tenant identifiers for `ProductInstanceId` and `PartnerId`.
fn tenant_id(kind: &str, company: &str) -> String {
    guid(&format!("{kind}:{}", company.to_ascii_lowercase()))
}

/// The deliveries one write fires: at most the queue's capacity (more would only push each
/// other out of it), so a bulk write cannot hold the lock rendering a million bodies. Only
/// what must be read under the lock is made here (the `Entity`, who changed what); the body
/// is made by the worker that sends it.
pub(super) fn jobs(engine: &Engine, tenant: &Tenant, mark: &Mark, removed: &[Removed]) -> Vec<Job> {
    // Most tenants register nothing: one look at the entries table, and the write is done.
    if CALLBACKS.is_none_or(|res| tenant.table(res).iter().next().is_none()) {
        return Vec::new();
    }
    let entries = entries(tenant);
    if entries.is_empty() {
        return Vec::new();
    }
    let changes = changes(tenant, mark, removed);
    let cap = engine.settings.queue_capacity.max(1);
    let site = engine.site();
    let base: Arc<str> = format!("{site}/{}apis/3.0", engine.codebase()).into();
    let from_url: Arc<str> = site.split_once("://").map_or(site.as_str(), |(_, h)| h).into();
    let key_url: Arc<str> = engine.keys.key_url(&site, engine.codebase(), &tenant.company).into();
    let product: Arc<str> = tenant_id("product", &tenant.company).into();
    let partner: Arc<str> = tenant_id("partner", &tenant.company).into();
    // Only levels other than `owner` and the type's own read the record's references.
    let by_reference = entries.iter().any(|e| e.level != OWNER && e.level != e.kind.as_str());
    let mut jobs = Vec::new();
    for c in &changes {
        if jobs.len() >= cap {
            break;
        }
        let doc = c.record.filter(|_| by_reference).map(|r| r.doc.view(c.res.schema()).to_json());
        let reached: Vec<&Entry> = entries.iter().filter(|e| reaches(e, c.kind, c.id, doc.as_ref())).collect();
        if reached.is_empty() {
            continue;
        }
        let by_id = tenant.member_by_identifier(&c.by).map(|(_, id)| id);
        let reached: Vec<&Entry> =
            reached.into_iter().filter(|e| !(e.self_suppressed && by_id.is_some_and(|m| m == e.member_id))).collect();
        if reached.is_empty() {
            continue;
        }
        let entity = match (c.action, c.record) {
            ("deleted", _) | (_, None) => None,
            (_, Some(rec)) => Some(Snapshot::take(c.res, rec, &tenant.names, &base)),
        };
        let message = Arc::new(Message {
            from_url: from_url.clone(),
            member: c.by.as_str().into(),
            entity,
            key_url: key_url.clone(),
            product: product.clone(),
            partner: partner.clone(),
        });
        for e in reached {
            let what = (c.action, c.kind.as_str(), c.id);
            jobs.push(Job::new(&tenant.company, e.id, format!("{}{}", e.url, c.id), what, message.clone()));
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(kind: CallbackType, level: &'static str, object_id: i64) -> Entry {
        Entry { id: 1, kind, level, object_id, url: String::new(), member_id: 0, self_suppressed: false }
    }

    #[test]
    fn every_level_of_every_type_names_the_record_fields_it_reaches() {
        for t in CallbackType::all() {
            for level in t.levels().iter().filter(|l| **l != OWNER && **l != t.as_str()) {
                assert!(!fields_of(level).is_empty(), "{}/{level} names no field", t.as_str());
            }
        }
    }

    #[test]
    fn a_level_reaches_records_whose_reference_or_list_holds_the_object() {
        let doc = json!({"board": {"id": 4}, "types": [{"id": 7}, {"id": 9}], "integratorTags": [3], "chargeToId": 5});
        let doc = doc.as_object().expect("an object");
        let t = CallbackType::Ticket;
        assert!(reaches(&entry(t, "board", 4), t, 10, Some(doc)));
        assert!(!reaches(&entry(t, "board", 5), t, 10, Some(doc)));
        assert!(reaches(&entry(t, "integratortag", 3), t, 10, Some(doc)));
        let c = CallbackType::Company;
        assert!(reaches(&entry(c, "type", 9), c, 10, Some(doc)));
        assert!(!reaches(&entry(c, "type", 8), c, 10, Some(doc)));
        assert!(reaches(&entry(CallbackType::Expense, "chargetotype", 5), CallbackType::Expense, 1, Some(doc)));
        // Owner reaches everything of its type, the own level only that record, no other type.
        assert!(reaches(&entry(t, "owner", 1), t, 10, None));
        assert!(reaches(&entry(t, "ticket", 10), t, 10, None));
        assert!(!reaches(&entry(t, "ticket", 11), t, 10, None));
        assert!(!reaches(&entry(c, "owner", 1), t, 10, None));
    }
}
