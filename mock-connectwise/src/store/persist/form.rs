//! The serialisable form of the whole state, shared by `GET /__mock/state` and `POST
//! /__mock/state`, and the pieces of it the state file's rows carry (levels, reports).
//!
//! ```text
//! {"format": "mock-connectwise-state/1", "generation": 3, "tenants": [{
//!    "company", "companyName", "lastIds": {"/system/members": 12, ...}, "lastKeyId",
//!    "collections": {"/system/members": [{"id", "info": {enteredAt, updatedAt, enteredBy,
//!        updatedBy}, "parent"?, "secret"?, "levels"?, "doc": {...}}]},
//!    "apiKeys": [{id, memberId, description, publicKey, privateHash, createdAt,
//!        privateShown, inactive}],
//!    "tokens": [{publicKey, memberId, privateHash, expiresAt}],
//!    "lookups": {...}, "reports": [{name, info, columns, rows}]}]}
//! ```
//!
//! Secrets appear only as `sha256$SALT$DIGEST` ([`crate::store::secrets::SecretHash::to_text`]). Writing (here)
//! streams from the live tables, with no copy of the state; reading ([`super::read`]) builds
//! tables record by record, so a million-record document is never held twice as JSON values.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::datetime;
use crate::resources::Res;
use crate::store::State;
use crate::store::reports::ColumnDef;
use crate::store::secrets::{ApiKey, Token};
use crate::store::table::{Meta, Record};
use crate::store::tenant::Tenant;
use cw_model::RoleLevels;

/// The `format` every state document carries.
pub(crate) const FORMAT: &str = "mock-connectwise-state/1";

/// A collection's name in the state form: its route (`/system/members`).
pub(crate) fn collection(res: Res) -> &'static str {
    res.info().path
}

pub(crate) fn res_named(name: &str) -> Option<Res> {
    Res::at_path(name).filter(|r| collection(*r) == name)
}

/// The whole state, written as it is read.
pub(crate) struct StateOut<'a> {
    pub(crate) state: &'a State,
    pub(crate) generation: u64,
}

impl Serialize for StateOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("State", 3)?;
        m.serialize_field("format", FORMAT)?;
        m.serialize_field("generation", &self.generation)?;
        m.serialize_field("tenants", &Seq(|| self.state.tenants().map(TenantOut)))?;
        m.end()
    }
}

/// Serialises what a closure's iterator yields, as a JSON array.
struct Seq<F>(F);

impl<F: Fn() -> I, I: Iterator<Item = T>, T: Serialize> Serialize for Seq<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

struct TenantOut<'a>(&'a Tenant);

impl Serialize for TenantOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_struct("Tenant", 9)?;
        m.serialize_field("company", &t.company)?;
        m.serialize_field("companyName", &t.company_name)?;
        m.serialize_field("lastIds", &last_ids(t))?;
        m.serialize_field("lastKeyId", &t.last_key_id)?;
        m.serialize_field("collections", &Collections(t))?;
        m.serialize_field("apiKeys", &Seq(|| t.keys.values().map(KeyOut)))?;
        let mut tokens: Vec<_> = t.tokens.iter().collect();
        tokens.sort_by(|a, b| a.0.cmp(b.0));
        m.serialize_field("tokens", &Seq(|| tokens.iter().map(|(p, tok)| TokenOut(p, tok))))?;
        m.serialize_field("reports", &Seq(|| reports(t).map(|(_, r)| r)))?;
        m.end()
    }
}

pub(crate) fn last_ids(t: &Tenant) -> BTreeMap<&'static str, u32> {
    Res::all().filter(|r| t.last_ids[r.index()] != 0).map(|r| (collection(r), t.last_ids[r.index()])).collect()
}

struct Collections<'a>(&'a Tenant);

impl Serialize for Collections<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(None)?;
        // Empty collections are left out: most of the official surface is empty in a tenant.
        for res in Res::all().filter(|&r| t.table(r).iter().next().is_some()) {
            m.serialize_entry(collection(res), &Seq(|| t.table(res).iter().map(|r| RecordOut { t, res, r })))?;
        }
        m.end()
    }
}

/// One record with what belongs to it: its password hash and, for a role, its levels.
pub(crate) struct RecordOut<'a> {
    pub(crate) t: &'a Tenant,
    pub(crate) res: Res,
    pub(crate) r: &'a Record,
}

impl Serialize for RecordOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Self { t, res, r } = *self;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &r.id)?;
        m.serialize_entry("info", &InfoOut(t, r.meta))?;
        if r.meta.parent != 0 {
            m.serialize_entry("parent", &r.meta.parent)?;
        }
        if let Some(h) = t.secrets.get(&(res, r.id)) {
            m.serialize_entry("secret", &h.to_text())?;
        }
        if res == Res::SecurityRoles {
            m.serialize_entry("levels", &LevelsOut(t.levels.get(&r.id).cloned().unwrap_or_default()))?;
        }
        m.serialize_entry("doc", &r.doc.view(res.schema()).to_json())?;
        m.end()
    }
}

struct InfoOut<'a>(&'a Tenant, Meta);

impl Serialize for InfoOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (t, meta) = (self.0, self.1);
        let mut m = s.serialize_struct("Info", 4)?;
        m.serialize_field("enteredAt", &datetime::format(meta.entered_at))?;
        m.serialize_field("updatedAt", &datetime::format(meta.updated_at))?;
        m.serialize_field("enteredBy", t.names.name(meta.entered_by))?;
        m.serialize_field("updatedBy", t.names.name(meta.updated_by))?;
        m.end()
    }
}

/// Levels other than `None`, as fixtures write them: `{"Finance > Agreements": {"Add": "All"}}`.
pub(crate) struct LevelsOut(pub(crate) RoleLevels);

/// A role's levels as the console's levels document (levels above `None`, Customize lists).
impl Serialize for LevelsOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        cw_model::console::LevelChanges::of(&self.0).to_json().serialize(s)
    }
}

pub(crate) struct KeyOut<'a>(pub(crate) &'a ApiKey);

impl Serialize for KeyOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let k = self.0;
        let mut m = s.serialize_struct("ApiKey", 8)?;
        m.serialize_field("id", &k.id)?;
        m.serialize_field("memberId", &k.member_id)?;
        m.serialize_field("description", &k.description)?;
        m.serialize_field("publicKey", &k.public_key)?;
        m.serialize_field("privateHash", &k.private.to_text())?;
        m.serialize_field("createdAt", &datetime::format(k.created_at))?;
        m.serialize_field("privateShown", &k.private_shown)?;
        m.serialize_field("inactive", &k.inactive)?;
        m.end()
    }
}

pub(crate) struct TokenOut<'a>(pub(crate) &'a str, pub(crate) &'a Token);

impl Serialize for TokenOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Token", 4)?;
        m.serialize_field("publicKey", self.0)?;
        m.serialize_field("memberId", &self.1.member_id)?;
        m.serialize_field("privateHash", &self.1.private.to_text())?;
        m.serialize_field("expiresAt", &datetime::format(self.1.expires_at))?;
        m.end()
    }
}

/// A report with its data, as the state document and the `reports` table hold it.
#[derive(Serialize)]
pub(crate) struct ReportOut<'a> {
    pub(crate) name: &'a str,
    info: InfoOut<'a>,
    columns: Vec<ColumnOut<'a>>,
    rows: Vec<Vec<Value>>,
}

#[derive(Serialize)]
struct ColumnOut<'a> {
    name: &'a str,
    #[serde(flatten)]
    def: &'a ColumnDef,
}

/// A tenant's reports, with the id of each in the report list.
pub(crate) fn reports(t: &Tenant) -> impl Iterator<Item = (u32, ReportOut<'_>)> {
    let list = &t.reports.list;
    list.iter().filter_map(move |r| {
        let data = t.reports.data.get(&r.id)?;
        let name = list.view(r.id)?.str("name")?;
        let rows = data
            .rows
            .iter()
            .map(|row| {
                let obj = row.doc.view(data.rows.schema).to_json();
                data.columns.iter().map(|c| obj.get(&c.name).cloned().unwrap_or(Value::Null)).collect()
            })
            .collect();
        let columns = data.columns.iter().map(|c| ColumnOut { name: &c.name, def: &c.def }).collect();
        Some((r.id, ReportOut { name, info: InfoOut(t, r.meta), columns, rows }))
    })
}
