//! Generated companies and tickets in bulk: `--companies N --tickets N` at start-up, and the
//! benchmark's million-ticket lookups.
//!
//! Like generated members (`fixtures`), they are valid by construction and go straight into
//! the tables, skipping the per-record write pipeline; indexes are built when first queried.
//! They look like records made through the API: a company has `fake` name, a unique
//! identifier, the default status and type, its "Main" site (also its billing site) and
//! its screen's custom fields; a ticket belongs to a
//! company (round robin), an active service board (round robin) and one of that board's
//! statuses (`closedFlag` from the status), and has a priority and the default source an
//! API-created ticket gets (the `defaultFlag` row of `/service/sources`). The same seed gives
//! the same records.

use fake::Fake;
use fake::faker::company::en::CompanyName;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value, json};

use super::derived::{MAIN_SITE, flag_names};
use super::table::{Meta, Record};
use super::tenant::Tenant;
use super::{Store, StoreError};
use crate::doc::Doc;
use crate::resources::Res;

/// What generated tickets are about: `(thing, problem)` pairs make their summaries.
const THINGS: &[&str] = &["Printer", "Laptop", "VPN", "Email", "Firewall", "Server", "Wi-Fi", "Phone", "Backup"];
const PROBLEMS: &[&str] =
    &["is offline", "is slow", "needs replacing", "shows an error", "alert raised", "request", "fails to start"];

/// Every boolean `*Flag` of `res`'s schema as `false`, for the properties a record lacks:
/// what the write pipeline stores, without a map entry per record.
fn false_flags(res: Res) -> Vec<(u16, Value)> {
    let schema = res.schema();
    flag_names(schema).into_iter().filter_map(|name| schema.prop(name).map(|(i, _)| (i, Value::Bool(false)))).collect()
}

/// A reference `{id, name}` plus `sort` when the record has a `sortOrder`.
fn reference(t: &Tenant, res: Res, id: u32) -> Value {
    let doc = t.table(res).view(id);
    let name = doc.and_then(|d| d.str("name")).unwrap_or("").to_owned();
    let mut r = json!({ "id": id, "name": name });
    if let Some(sort) = doc.and_then(|d| d.get_named("sortOrder")).map(|v| v.to_json()) {
        r["sort"] = sort;
    }
    r
}

/// The active row of `res` flagged `defaultFlag`, as a reference `{id, name}`: what the write
/// pipeline fills a missing single reference with (assumption A25.2).
fn flagged_default(t: &Tenant, res: Res) -> Option<Value> {
    let table = t.table(res);
    let flag = |d: crate::doc::DocRef<'_>, f: &str| d.get_named(f).is_some_and(|v| v.to_json() == json!(true));
    let row = table.iter().find(|r| {
        let d = r.doc.view(table.schema);
        flag(d, "defaultFlag") && !flag(d, "inactiveFlag")
    })?;
    Some(reference(t, res, row.id))
}

/// One board tickets go to, with its statuses `(reference, closed)`.
struct BoardPick {
    board: Value,
    statuses: Vec<(Value, bool)>,
}

/// The active service boards (not project boards) and their statuses.
fn service_boards(t: &Tenant) -> Vec<BoardPick> {
    let boards = t.table(Res::Boards);
    let flag = |d: crate::doc::DocRef<'_>, f: &str| d.get_named(f).is_some_and(|v| v.to_json() == json!(true));
    let statuses = t.table(Res::BoardStatuses);
    boards
        .iter()
        .filter(|r| {
            let d = r.doc.view(boards.schema);
            !flag(d, "inactiveFlag") && !flag(d, "projectFlag")
        })
        .map(|b| BoardPick {
            board: reference(t, Res::Boards, b.id),
            statuses: statuses
                .iter()
                .filter(|s| s.meta.parent == b.id)
                .map(|s| {
                    let d = s.doc.view(statuses.schema);
                    let name = d.str("name").unwrap_or("");
                    // As `derived` decides it: the board's `closedStatus`, else `>` naming.
                    let closed = d
                        .get_named("closedStatus")
                        .and_then(|v| v.to_json().as_bool())
                        .unwrap_or_else(|| name.starts_with('>'));
                    (reference(t, Res::BoardStatuses, s.id), closed)
                })
                .collect(),
        })
        .collect()
}

/// Adds `companies` generated companies (each with its Main site) and `tickets` tickets to
/// the tenant, seeded by `seed`; tickets go to the generated companies, or to the tenant's
/// existing ones when none are generated. Returns the ids of the new companies.
pub(crate) fn add_bulk(
    t: &mut Tenant,
    companies: usize,
    tickets: usize,
    seed: u64,
    entered_by: &str,
    now: i64,
) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xC0_4A_11_E5);
    let by = t.names.intern(entered_by);
    let meta = Meta { entered_at: now, updated_at: now, entered_by: by, updated_by: by, parent: 0 };
    let made = add_companies(t, companies, &mut rng, meta);
    let targets: Vec<Value> = if made.is_empty() {
        let table = t.table(Res::Companies);
        table
            .iter()
            .map(|r| {
                let d = r.doc.view(table.schema);
                json!({ "id": r.id, "identifier": d.str("identifier").unwrap_or(""), "name": d.str("name").unwrap_or("") })
            })
            .collect()
    } else {
        made.iter().map(|(_, r)| r.clone()).collect()
    };
    add_tickets(t, tickets, &targets, &mut rng, meta);
    made.into_iter().map(|(id, _)| id).collect()
}

/// The companies, as `(id, reference)`.
fn add_companies(t: &mut Tenant, n: usize, rng: &mut StdRng, meta: Meta) -> Vec<(u32, Value)> {
    let status = Res::at_path("/company/companies/statuses").and_then(|r| t.default_of(r, None));
    let types = Res::at_path("/company/companies/types").and_then(|r| t.default_of(r, None));
    let sites = Res::at_path("/company/companies/{parentId}/sites");
    let schema = Res::Companies.schema();
    let flags = false_flags(Res::Companies);
    let custom = t.empty_custom_fields(Res::Companies);
    let site_flags = sites.map(false_flags).unwrap_or_default();
    t.table_mut(Res::Companies).reserve(n);
    let mut made = Vec::with_capacity(n);
    for i in 0..n {
        let name: String = CompanyName().fake_with_rng(rng);
        let name: String = name.chars().take(100).collect();
        // Letters then digits: the number alone keeps identifiers unique.
        let stem: String = name.chars().filter(char::is_ascii_alphabetic).take(20).collect();
        let identifier = format!("{}{}", if stem.is_empty() { "Co" } else { &stem }, i + 1);
        let Ok(id) = t.next_id(Res::Companies) else { break };
        let mut obj = Map::new();
        obj.insert("identifier".into(), json!(identifier));
        obj.insert("name".into(), json!(name));
        obj.insert("phoneNumber".into(), json!(format!("555{:07}", i % 10_000_000)));
        if let Some(s) = &status {
            obj.insert("status".into(), s.clone());
        }
        obj.insert("types".into(), Value::Array(types.iter().cloned().collect()));
        if let Some(sites) = sites {
            let Ok(site_id) = t.next_id(sites) else { break };
            let mut site = Map::new();
            site.insert("name".into(), json!(MAIN_SITE));
            for flag in ["primaryAddressFlag", "defaultBillingFlag", "defaultShippingFlag", "defaultMailingFlag"] {
                site.insert(flag.into(), Value::Bool(true));
            }
            site.insert("company".into(), json!({ "id": id, "identifier": identifier, "name": name }));
            let table = t.table_mut(sites);
            let doc = Doc::encode_with_defaults(table.schema, &site, &site_flags);
            table.insert(Record::new(site_id, Meta { parent: id, ..meta }, doc));
            obj.insert("site".into(), json!({ "id": site_id, "name": MAIN_SITE }));
            obj.insert("billingSite".into(), json!({ "id": site_id, "name": MAIN_SITE }));
        }
        if let Some(cf) = &custom {
            obj.insert("customFields".into(), cf.clone());
        }
        for (field, default) in Res::Companies.info().defaults {
            obj.entry((*field).to_owned()).or_insert_with(|| default.to_json());
        }
        let doc = Doc::encode_with_defaults(schema, &obj, &flags);
        t.table_mut(Res::Companies).insert(Record::new(id, meta, doc));
        made.push((id, json!({ "id": id, "identifier": identifier, "name": name })));
    }
    made
}

fn add_tickets(t: &mut Tenant, n: usize, companies: &[Value], rng: &mut StdRng, meta: Meta) {
    if companies.is_empty() || n == 0 {
        return;
    }
    let boards = service_boards(t);
    let priorities: Vec<Value> = {
        let ids: Vec<u32> = t.table(Res::Priorities).iter().map(|r| r.id).collect();
        ids.into_iter().map(|id| reference(t, Res::Priorities, id)).collect()
    };
    let source = Res::at_path("/service/sources").and_then(|r| flagged_default(t, r));
    let closed_at = crate::datetime::format(meta.entered_at);
    let closed_by = t.names.name(meta.entered_by).to_owned();
    let schema = Res::Tickets.schema();
    let flags = false_flags(Res::Tickets);
    let custom = t.empty_custom_fields(Res::Tickets);
    t.table_mut(Res::Tickets).reserve(n);
    for i in 0..n {
        let mut obj = Map::new();
        let thing = THINGS[rng.random_range(0..THINGS.len())];
        let problem = PROBLEMS[rng.random_range(0..PROBLEMS.len())];
        obj.insert("summary".into(), json!(format!("{thing} {problem} ({})", i + 1)));
        obj.insert("recordType".into(), json!("ServiceTicket"));
        obj.insert("company".into(), companies[i % companies.len()].clone());
        let mut closed = false;
        if let Some(b) = (!boards.is_empty()).then(|| &boards[i % boards.len()]) {
            obj.insert("board".into(), b.board.clone());
            if !b.statuses.is_empty() {
                let (status, is_closed) = &b.statuses[rng.random_range(0..b.statuses.len())];
                obj.insert("status".into(), status.clone());
                closed = *is_closed;
            }
        }
        if !priorities.is_empty() {
            obj.insert("priority".into(), priorities[rng.random_range(0..priorities.len())].clone());
        }
        if let Some(s) = &source {
            obj.insert("source".into(), s.clone());
        }
        if let Some(cf) = &custom {
            obj.insert("customFields".into(), cf.clone());
        }
        for (field, default) in Res::Tickets.info().defaults {
            obj.entry((*field).to_owned()).or_insert_with(|| default.to_json());
        }
        obj.insert("closedFlag".into(), Value::Bool(closed));
        if closed {
            obj.insert("closedDate".into(), json!(closed_at));
            obj.insert("closedBy".into(), json!(closed_by));
        }
        let Ok(id) = t.next_id(Res::Tickets) else { break };
        t.table_mut(Res::Tickets).insert(Record::new(id, meta, Doc::encode_with_defaults(schema, &obj, &flags)));
    }
}

impl Store {
    /// Adds `companies` companies and `tickets` tickets spread over them (round robin) to
    /// `company`'s tenant (seed 1); returns the ids of the new companies.
    pub fn generate_tickets(&self, company: &str, companies: usize, tickets: usize) -> Result<Vec<u32>, String> {
        self.write_tenant(company, |t, _, now| {
            Ok::<_, StoreError>(add_bulk(t, companies, tickets, 1, "BulkLoader", now))
        })
        .map_err(|e| e.to_string())
    }
}
