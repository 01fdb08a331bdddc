//! Fixture sets: the seed data a store is built from.
//!
//! A set is one JSON document per tenant (`fixtures/default/*.json`; the default set is built
//! into the binary). Records go through the same write pipeline as API calls, so a fixture
//! cannot hold what the API would refuse. Bulk members for load tests are generated with
//! `fake` from a seed, so the same seed gives the same members; bulk companies and tickets
//! come from [`super::bulk`] the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fake::Fake;
use fake::faker::name::en::{FirstName, LastName};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::access::SaveAction;
use super::records::{Access, WriteCtx};
use super::reports::ReportFixture;
use super::secrets::KeyGen;
use super::table::{Meta, Record};
use super::tenant::Tenant;
use super::{State, StoreError};
use crate::datetime;
use crate::doc::Doc;
use crate::resources::Res;
use cw_model::{Action, Function, PermissionLevel, RoleLevels};

static DEFAULT_TENANT: &str = include_str!("../../../fixtures/default/cwmock.json");

/// Why a fixture set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// A file could not be read.
    #[error("cannot read fixture {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not a tenant fixture.
    #[error("fixture {origin} is not a valid tenant fixture: {source}")]
    Parse {
        /// The file or console request.
        origin: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A record was refused by the API's own rules.
    #[error("fixture for company {company}: {what}")]
    Invalid {
        /// The tenant.
        company: String,
        /// The record and what is wrong with it.
        what: String,
    },
    /// The set has no tenant.
    #[error("the fixture set has no tenant")]
    Empty,
}

/// One tenant's seed data.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TenantFixture {
    company: String,
    company_name: String,
    #[serde(default)]
    client_id: Option<String>,
    /// Who fixture records are entered by unless a record's `_info.enteredBy` says otherwise.
    entered_by: String,
    #[serde(default)]
    security_roles: Vec<RoleFixture>,
    #[serde(default)]
    api_members: Vec<Value>,
    #[serde(default)]
    members: Vec<Value>,
    #[serde(default)]
    boards: Vec<Value>,
    #[serde(default)]
    priorities: Vec<Value>,
    #[serde(default)]
    integrator_logins: Vec<Value>,
    #[serde(default)]
    companies: Vec<Value>,
    #[serde(default)]
    catalog: Vec<Value>,
    #[serde(default)]
    agreements: Vec<Value>,
    #[serde(default)]
    tickets: Vec<Value>,
    /// Rows of setup tables by the reference schema that points at them (the form before
    /// setup tables were collections): loaded as records of that collection.
    #[serde(default)]
    lookups: BTreeMap<String, Vec<Map<String, Value>>>,
    /// Records of any collection, by its route, loaded in order after members and before
    /// the named sections; a record's child collections nest in it under their last path
    /// segment (`"statuses": [...]` in a board, `"sites": [...]` in a company).
    #[serde(default)]
    collections: Vec<CollectionFixture>,
    #[serde(default)]
    reports: Vec<ReportFixture>,
}

#[derive(Clone, Debug, Deserialize)]
struct CollectionFixture {
    path: String,
    records: Vec<Value>,
}

#[derive(Clone, Debug, Deserialize)]
struct RoleFixture {
    #[serde(flatten)]
    record: Map<String, Value>,
    levels: Levels,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Levels {
    /// `"all"`, `"none"` or `"integration"`.
    Preset(String),
    /// `{"Finance > Agreements": {"Add": "All", "Inquire": "My"}}`.
    Table(BTreeMap<String, BTreeMap<String, PermissionLevel>>),
}

/// Credentials of the seeded admin, printed by the binary at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminCredentials {
    /// `CW_COMPANY`.
    pub company: String,
    /// `CW_PUBLIC_KEY`.
    pub public_key: String,
    /// `CW_PRIVATE_KEY`.
    pub private_key: String,
    /// `CW_CLIENT_ID`.
    pub client_id: String,
}

/// A set of tenant fixtures, plus optional generated members, companies and tickets.
#[derive(Clone, Debug)]
pub struct FixtureSet {
    tenants: Vec<TenantFixture>,
    bulk_members: usize,
    bulk_seed: u64,
    bulk_companies: usize,
    bulk_tickets: usize,
    bulk_records_seed: u64,
}

/// The client id printed when a fixture names none (any non-empty value is accepted).
pub const DEFAULT_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000c0de";

impl Default for FixtureSet {
    fn default() -> Self {
        Self::builtin()
    }
}

impl FixtureSet {
    /// The default set built into the binary (`fixtures/default`).
    pub fn builtin() -> Self {
        // Parsed by a unit test; a failure here is a build bug, not an input error.
        Self::from_json_str("fixtures/default/cwmock.json", DEFAULT_TENANT).expect("the built-in fixtures parse")
    }

    /// Every `*.json` file in `dir`, one tenant each, in name order.
    pub fn from_dir(dir: &Path) -> Result<Self, FixtureError> {
        let io = |source| FixtureError::Io { path: dir.to_owned(), source };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut tenants = Vec::new();
        for path in files {
            let text =
                std::fs::read_to_string(&path).map_err(|source| FixtureError::Io { path: path.clone(), source })?;
            tenants.extend(Self::from_json_str(&path.display().to_string(), &text)?.tenants);
        }
        if tenants.is_empty() {
            return Err(FixtureError::Empty);
        }
        Ok(Self { tenants, bulk_members: 0, bulk_seed: 0, bulk_companies: 0, bulk_tickets: 0, bulk_records_seed: 0 })
    }

    /// A tenant fixture, or an array of them, as JSON text.
    pub fn from_json_str(origin: &str, text: &str) -> Result<Self, FixtureError> {
        let parse = |source| FixtureError::Parse { origin: origin.to_owned(), source };
        let value: Value = serde_json::from_str(text).map_err(parse)?;
        let tenants = match value {
            Value::Array(items) => {
                items.into_iter().map(serde_json::from_value).collect::<Result<Vec<_>, _>>().map_err(parse)?
            }
            other => vec![serde_json::from_value(other).map_err(parse)?],
        };
        if tenants.is_empty() {
            return Err(FixtureError::Empty);
        }
        Ok(Self { tenants, bulk_members: 0, bulk_seed: 0, bulk_companies: 0, bulk_tickets: 0, bulk_records_seed: 0 })
    }

    /// Adds `n` generated members (seeded by `seed`) to the first tenant.
    pub fn with_bulk_members(mut self, n: usize, seed: u64) -> Self {
        self.bulk_members = n;
        self.bulk_seed = seed;
        self
    }

    /// Adds `companies` generated companies and `tickets` tickets (seeded by `seed`) to the
    /// first tenant; the tickets go to the generated companies, or to the fixture's own when
    /// `companies` is 0 (see [`super::bulk`]).
    pub fn with_bulk_tickets(mut self, companies: usize, tickets: usize, seed: u64) -> Self {
        self.bulk_companies = companies;
        self.bulk_tickets = tickets;
        self.bulk_records_seed = seed;
        self
    }

    /// The seeded admin: the first key of the first tenant's first member that has one.
    pub fn admin(&self) -> Option<AdminCredentials> {
        let t = self.tenants.first()?;
        t.api_members.iter().chain(&t.members).find_map(|m| {
            let key = m.get("apiKeys")?.as_array()?.first()?;
            Some(AdminCredentials {
                company: t.company.clone(),
                public_key: key.get("publicKey")?.as_str()?.to_owned(),
                private_key: key.get("privateKey")?.as_str()?.to_owned(),
                client_id: t.client_id.clone().unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
            })
        })
    }

    pub(crate) fn build(&self, keys: &KeyGen, now: i64) -> Result<State, FixtureError> {
        self.check_distinct()?;
        let mut state = State::default();
        for (i, t) in self.tenants.iter().enumerate() {
            let mut tenant = t.build(keys, now)?;
            if i == 0 && self.bulk_members > 0 {
                add_bulk_members(&mut tenant, self.bulk_members, self.bulk_seed, &t.entered_by, now);
            }
            if i == 0 && (self.bulk_companies > 0 || self.bulk_tickets > 0) {
                let (companies, tickets, seed) = (self.bulk_companies, self.bulk_tickets, self.bulk_records_seed);
                super::bulk::add_bulk(&mut tenant, companies, tickets, seed, &t.entered_by, now);
            }
            state.insert_tenant(tenant);
        }
        Ok(state)
    }
}

impl FixtureSet {
    /// Two tenants with one company id would be one tenant, the second replacing the first:
    /// refused, as the state import refuses such a document.
    fn check_distinct(&self) -> Result<(), FixtureError> {
        let mut seen = std::collections::HashSet::new();
        for t in &self.tenants {
            if !seen.insert(t.company.to_ascii_lowercase()) {
                return Err(FixtureError::Invalid {
                    company: t.company.clone(),
                    what: format!("the set names company '{}' twice; give each tenant its own company id", t.company),
                });
            }
        }
        Ok(())
    }
}

impl TenantFixture {
    fn build(&self, keys: &KeyGen, now: i64) -> Result<Tenant, FixtureError> {
        let mut tenant = Tenant::new(&self.company, &self.company_name);
        let invalid = |what: String| FixtureError::Invalid { company: self.company.clone(), what };
        for role in &self.security_roles {
            let id =
                self.insert(&mut tenant, Res::SecurityRoles, None, &Value::Object(role.record.clone()), keys, now)?;
            let levels = match &role.levels {
                Levels::Preset(p) if p.eq_ignore_ascii_case("all") => RoleLevels::all(),
                Levels::Preset(p) if p.eq_ignore_ascii_case("none") => RoleLevels::none(),
                Levels::Preset(p) if p.eq_ignore_ascii_case("integration") => cw_model::Profile::seed().levels(),
                Levels::Preset(p) => {
                    return Err(invalid(format!("levels preset '{p}' is not all, none or integration")));
                }
                Levels::Table(rows) => {
                    let mut levels = RoleLevels::none();
                    for (function, cols) in rows {
                        let f = Function::find(function)
                            .ok_or_else(|| invalid(format!("no security-role row named '{function}'")))?;
                        for (action, level) in cols {
                            let a: Action = action.parse().map_err(|e| invalid(format!("{function}: {e}")))?;
                            levels.set(f, a, *level);
                        }
                    }
                    levels
                }
            };
            tenant.levels.insert(id, levels);
        }
        for (res, records) in [(Res::ApiMembers, &self.api_members), (Res::Members, &self.members)] {
            for r in records {
                let id = self.insert(&mut tenant, res, None, r, keys, now)?;
                self.add_keys(&mut tenant, res, id, r, keys, now)?;
            }
        }
        for (reference, rows) in &self.lookups {
            let res = Res::for_reference(reference)
                .map(|(r, _)| r)
                .filter(|r| r.info().parent.is_none())
                .ok_or_else(|| invalid(format!("lookups: {reference} is not a reference to a top-level collection")))?;
            for row in rows {
                let mut row = row.clone();
                row.remove("id");
                self.insert(&mut tenant, res, None, &Value::Object(row), keys, now)?;
            }
        }
        for c in &self.collections {
            let res = Res::at_path(&c.path).ok_or_else(|| invalid(format!("collections: no collection {}", c.path)))?;
            if res.info().parent.is_some() {
                return Err(invalid(format!("collections: nest {} records in their parent's records", c.path)));
            }
            for r in &c.records {
                self.insert_tree(&mut tenant, res, None, r, keys, now)?;
            }
        }
        for (res, records) in [
            (Res::Boards, &self.boards),
            (Res::Priorities, &self.priorities),
            (Res::IntegratorLogins, &self.integrator_logins),
            (Res::Companies, &self.companies),
            (Res::Catalog, &self.catalog),
            (Res::Agreements, &self.agreements),
            (Res::Tickets, &self.tickets),
        ] {
            for r in records {
                let id = self.insert_tree(&mut tenant, res, None, r, keys, now)?;
                self.add_keys(&mut tenant, res, id, r, keys, now)?;
            }
        }
        let meta = self.meta(&mut tenant, &Value::Null, now);
        for r in &self.reports {
            tenant.reports.add(r, meta).map_err(invalid)?;
        }
        Ok(tenant)
    }

    /// `_info.enteredBy` / `_info.dateEntered` of a fixture record, or the fixture defaults.
    fn meta(&self, tenant: &mut Tenant, record: &Value, now: i64) -> Meta {
        let info = record.get("_info");
        let by = info.and_then(|i| i.get("enteredBy")).and_then(Value::as_str).unwrap_or(&self.entered_by);
        let at =
            info.and_then(|i| i.get("dateEntered")).and_then(Value::as_str).and_then(datetime::parse).unwrap_or(now);
        let by = tenant.names.intern(by);
        Meta { entered_at: at, updated_at: at, entered_by: by, updated_by: by, parent: 0 }
    }

    /// Inserts a record and the child records nested in it, depth first.
    fn insert_tree(
        &self,
        tenant: &mut Tenant,
        res: Res,
        parent: Option<u32>,
        record: &Value,
        keys: &KeyGen,
        now: i64,
    ) -> Result<u32, FixtureError> {
        // A child collection nests under its path's last segment (`statuses`, `sites`).
        let children: Vec<(Res, &str, &Vec<Value>)> = Res::all()
            .filter(|c| c.info().parent.is_some_and(|(p, _)| p == res))
            .filter_map(|c| {
                let key = c.info().path.rsplit('/').next().unwrap_or("");
                let nested = record.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))?;
                nested.1.as_array().map(|a| (c, key, a))
            })
            .collect();
        let mut body = record.clone();
        if let Some(o) = body.as_object_mut() {
            for (_, key, _) in &children {
                o.retain(|k, _| !k.eq_ignore_ascii_case(key) || res.schema().prop(k).is_some());
            }
        }
        let id = self.insert(tenant, res, parent, &body, keys, now)?;
        for (child, _, records) in children {
            for r in records {
                self.insert_tree(tenant, child, Some(id), r, keys, now)?;
            }
        }
        Ok(id)
    }

    fn insert(
        &self,
        tenant: &mut Tenant,
        res: Res,
        parent: Option<u32>,
        record: &Value,
        keys: &KeyGen,
        now: i64,
    ) -> Result<u32, FixtureError> {
        let mut body = record.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("apiKeys");
            o.remove("additions");
        }
        let meta = self.meta(tenant, record, now);
        let by = tenant.names.name(meta.entered_by).to_owned();
        let access = Access { caller: &by, own_only: false, track_others: false };
        let created = tenant
            .create(res, parent, body, &WriteCtx { access, now: meta.entered_at, keys, base: "" })
            .map_err(|e| FixtureError::Invalid {
                company: self.company.clone(),
                what: format!("{} {}: {}", res.info().noun, short(record), describe(&e)),
            })?;
        Ok(created.id)
    }

    fn add_keys(
        &self,
        tenant: &mut Tenant,
        res: Res,
        id: u32,
        record: &Value,
        keys: &KeyGen,
        now: i64,
    ) -> Result<(), FixtureError> {
        let Some(list) = record.get("apiKeys").and_then(Value::as_array) else { return Ok(()) };
        let identifier = tenant.member_summary(id).map(|m| m.identifier.to_owned()).unwrap_or_default();
        for k in list {
            let field = |n: &str| k.get(n).and_then(Value::as_str);
            let (Some(public), Some(private)) = (field("publicKey"), field("privateKey")) else {
                return Err(FixtureError::Invalid {
                    company: self.company.clone(),
                    what: format!("{} {identifier}: an API key needs publicKey and privateKey", res.info().noun),
                });
            };
            let description = field("description").unwrap_or("fixture key");
            tenant.create_key(&identifier, description, SaveAction::Save, Some((public, private)), now, keys).map_err(
                |e| FixtureError::Invalid {
                    company: self.company.clone(),
                    what: format!("key {public}: {}", describe(&e)),
                },
            )?;
        }
        Ok(())
    }
}

fn short(record: &Value) -> String {
    ["identifier", "name", "username", "summary"]
        .iter()
        .find_map(|f| record.get(f).and_then(Value::as_str))
        .map_or_else(|| "(unnamed)".to_owned(), |s| format!("'{s}'"))
}

fn describe(e: &StoreError) -> String {
    match e {
        StoreError::Invalid { errors, .. } => errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

const TITLES: &[&str] =
    &["Technician", "Service Manager", "Dispatcher", "Account Manager", "Engineer", "Project Manager"];

/// Generates `n` members with `fake` names, straight into the table (they are valid by
/// construction, so the per-record pipeline is skipped to keep a million-member start fast).
/// Members generated per seeded generator: the data for a seed is the same whatever the
/// number of threads that make it.
const BULK_CHUNK: usize = 65_536;

fn add_bulk_members(tenant: &mut Tenant, n: usize, seed: u64, entered_by: &str, now: i64) {
    let role = tenant.role_id("Member").or_else(|| tenant.table(Res::SecurityRoles).iter().next().map(|r| r.id));
    let role = role.map(|id| json!({"id": id, "name": tenant.table(Res::SecurityRoles).view(id).and_then(|d| d.str("name")).unwrap_or("")}));
    let by = tenant.names.intern(entered_by);
    let chunks = n.div_ceil(BULK_CHUNK);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
    // Generating and encoding is the slow part (a million members), so it runs on every
    // core; ids and the unique index are then filled in order.
    let mut made: Vec<(usize, Vec<Doc>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let role = role.clone();
                scope.spawn(move || {
                    (t..chunks).step_by(threads).map(|c| (c, bulk_chunk(c, n, seed, role.as_ref()))).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("member generation does not panic")).collect()
    });
    made.sort_unstable_by_key(|(c, _)| *c);
    tenant.table_mut(Res::Members).reserve(n);
    for doc in made.into_iter().flat_map(|(_, docs)| docs) {
        let id = tenant.next_id(Res::Members);
        let meta = Meta { entered_at: now, updated_at: now, entered_by: by, updated_by: by, parent: 0 };
        tenant.table_mut(Res::Members).insert(Record::new(id, meta, doc));
    }
}

/// The members of chunk `c` (of `n` in all), encoded.
fn bulk_chunk(c: usize, n: usize, seed: u64, role: Option<&Value>) -> Vec<Doc> {
    let mut rng = StdRng::seed_from_u64(seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let schema = Res::Members.schema();
    let start = c * BULK_CHUNK;
    let end = (start + BULK_CHUNK).min(n);
    let mut docs = Vec::with_capacity(end - start);
    // Every flag false, as the write pipeline stores them, without a map entry per member.
    let flags: Vec<(u16, Value)> = super::derived::flag_names(schema)
        .into_iter()
        .filter_map(|name| schema.prop(name).map(|(i, _)| (i, Value::Bool(false))))
        .collect();
    for i in start..end {
        let first: String = FirstName().fake_with_rng(&mut rng);
        let last: String = LastName().fake_with_rng(&mut rng);
        let suffix = (i + 1).to_string();
        let stem: String = first
            .chars()
            .take(1)
            .chain(last.chars().filter(char::is_ascii_alphanumeric))
            .take(15 - suffix.len())
            .collect();
        let hired = 1_104_537_600 + (i as i64 * 7919 % 631_152_000);
        let mut obj = Map::with_capacity(20);
        obj.insert("identifier".into(), Value::String(format!("{stem}{suffix}")));
        obj.insert("firstName".into(), Value::String(first.chars().take(30).collect()));
        obj.insert("lastName".into(), Value::String(last.chars().take(30).collect()));
        obj.insert("licenseClass".into(), Value::from("F"));
        obj.insert("inactiveFlag".into(), Value::Bool(i % 20 == 19));
        obj.insert("hireDate".into(), Value::String(datetime::format(hired)));
        obj.insert(
            "officeEmail".into(),
            Value::String(format!("{}.{}{suffix}@example.com", first.to_lowercase(), last.to_lowercase())),
        );
        obj.insert("defaultEmail".into(), Value::from("Office"));
        obj.insert("defaultPhone".into(), Value::from("Office"));
        obj.insert("title".into(), Value::from(TITLES[i % TITLES.len()]));
        if let Some(r) = role {
            obj.insert("securityRole".into(), r.clone());
        }
        // The defaults a created member gets, so generated ones look the same.
        for (name, default) in Res::Members.info().defaults {
            if !obj.contains_key(*name) {
                obj.insert((*name).to_owned(), default.to_json());
            }
        }
        docs.push(Doc::encode_with_defaults(schema, &obj, &flags));
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_set_loads_with_an_admin_key() {
        let set = FixtureSet::builtin();
        let state = set.build(&KeyGen::seeded(1), 1_700_000_000).unwrap();
        let admin = set.admin().unwrap();
        let tenant = state.tenant(&admin.company).unwrap();
        assert!(tenant.authenticate(&admin.public_key, &admin.private_key, false, 1_700_000_000).is_ok());
        let member_role = tenant.role_id("Member").unwrap();
        assert!(!cw_model::Profile::seed().missing(&tenant.role_levels(member_role).unwrap()).is_empty());
    }

    #[test]
    fn bulk_members_are_unique_and_repeatable() {
        let set = FixtureSet::builtin().with_bulk_members(2000, 42);
        let a = set.build(&KeyGen::seeded(1), 0).unwrap();
        let b = set.build(&KeyGen::seeded(1), 0).unwrap();
        let company = set.admin().unwrap().company;
        let (ta, tb) = (a.tenant(&company).unwrap(), b.tenant(&company).unwrap());
        let ids = |t: &Tenant| {
            t.table(Res::Members)
                .iter()
                .map(|r| r.doc.view(Res::Members.schema()).str("identifier").unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let (ia, ib) = (ids(ta), ids(tb));
        assert_eq!(ia, ib);
        let unique: std::collections::HashSet<_> = ia.iter().map(|s| s.to_lowercase()).collect();
        assert_eq!(unique.len(), ia.len());
        assert!(ia.iter().all(|s| s.len() <= 15));
    }

    #[test]
    fn a_set_naming_the_same_company_twice_is_refused_not_half_loaded() {
        let one = r#"{"company": "Dup", "companyName": "A", "enteredBy": "admin"}"#;
        let two = r#"{"company": "dup", "companyName": "B", "enteredBy": "admin"}"#;
        let set = FixtureSet::from_json_str("t", &format!("[{one}, {two}]")).unwrap();
        let e = set.build(&KeyGen::Os, 0).unwrap_err();
        assert!(e.to_string().contains("names company 'dup' twice"), "{e}");
        let dir = std::env::temp_dir().join(format!("cwmock-dup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.json"), one).unwrap();
        std::fs::write(dir.join("b.json"), two).unwrap();
        let from_dir = FixtureSet::from_dir(&dir).unwrap().build(&KeyGen::Os, 0);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(from_dir, Err(FixtureError::Invalid { .. })));
    }

    #[test]
    fn a_fixture_record_the_api_would_refuse_is_refused_with_its_name() {
        let text = r#"{"company": "x", "companyName": "X", "enteredBy": "admin",
            "securityRoles": [{"name": "Admin", "levels": "all"}],
            "apiMembers": [{"identifier": "this-identifier-is-too-long", "securityRole": {"name": "Admin"}}]}"#;
        let e = FixtureSet::from_json_str("t", text).unwrap().build(&KeyGen::Os, 0).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("'this-identifier-is-too-long'") && msg.contains("maximum length of 15"), "{msg}");
    }
}
