//! The serialisable form of the whole state, shared by the snapshot, `GET /__mock/state` and
//! `POST /__mock/state`, and the pieces of it a log record carries.
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
//! Secrets appear only as `sha256$SALT$DIGEST` ([`SecretHash::to_text`]). Writing streams
//! from the live tables (no copy of the state); reading builds tables record by record, so
//! a million-record snapshot is never held twice as JSON values.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::super::State;
use super::super::reports::{ColumnDef, ReportFixture};
use super::super::secrets::{ApiKey, SecretHash, Token};
use super::super::table::{Meta, Record};
use super::super::tenant::Tenant;
use crate::datetime;
use crate::doc::Doc;
use crate::permissions::{Action, Function, PermissionLevel, RoleLevels};
use crate::resources::Res;
use crate::validate::{Mode, validate};

/// The `format` every state document carries.
pub(crate) const FORMAT: &str = "mock-connectwise-state/1";

/// A collection's name in the state form: its route (`/system/members`).
pub(crate) fn collection(res: Res) -> &'static str {
    res.info().path
}

pub(crate) fn res_named(name: &str) -> Option<Res> {
    Res::ALL.into_iter().find(|r| collection(*r) == name)
}

// ---------- writing ----------

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
        m.serialize_field("lookups", &t.lookups.iter().collect::<BTreeMap<_, _>>())?;
        m.serialize_field("reports", &Seq(|| reports(t)))?;
        m.end()
    }
}

pub(crate) fn last_ids(t: &Tenant) -> BTreeMap<&'static str, u32> {
    Res::ALL
        .into_iter()
        .filter(|r| t.last_ids[r.index()] != 0)
        .map(|r| (collection(r), t.last_ids[r.index()]))
        .collect()
}

struct Collections<'a>(&'a Tenant);

impl Serialize for Collections<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(Res::ALL.len()))?;
        for res in Res::ALL {
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
struct LevelsOut(RoleLevels);

impl Serialize for LevelsOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rows = Function::ALL.iter().filter_map(|&f| {
            let cols: BTreeMap<&str, PermissionLevel> = Action::ALL
                .into_iter()
                .map(|a| (a.as_str(), self.0.get(f, a)))
                .filter(|(_, l)| *l != PermissionLevel::None)
                .collect();
            (!cols.is_empty()).then(|| (f.label(), cols))
        });
        s.collect_map(rows)
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

#[derive(Serialize)]
struct ReportOut<'a> {
    name: &'a str,
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

fn reports(t: &Tenant) -> impl Iterator<Item = ReportOut<'_>> {
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
        Some(ReportOut { name, info: InfoOut(t, r.meta), columns, rows })
    })
}

// ---------- reading ----------

/// How much to trust what is read: the mock's own snapshot and log, or a client's import
/// (every record validated against its schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trust {
    Own,
    Import,
}

/// A state document read back: its generation and the state it describes.
pub(crate) struct StateIn {
    pub(crate) generation: u64,
    pub(crate) state: State,
}

/// Reads a whole state document.
pub(crate) fn read_state(text: &[u8], trust: Trust) -> Result<StateIn, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let out = StateSeed(trust).deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

struct StateSeed(Trust);

impl<'de> DeserializeSeed<'de> for StateSeed {
    type Value = StateIn;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<StateIn, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StateSeed {
    type Value = StateIn;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a mock-connectwise state document {format, generation, tenants}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StateIn, A::Error> {
        let (mut format, mut generation, mut state) = (None, 0, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => format = Some(map.next_value::<String>()?),
                "generation" => generation = map.next_value()?,
                "tenants" => state = Some(map.next_value_seed(TenantsSeed(self.0))?),
                other => return Err(de::Error::unknown_field(other, &["format", "generation", "tenants"])),
            }
        }
        match format.as_deref() {
            Some(FORMAT) => {}
            Some(other) => return Err(de::Error::custom(format!("format '{other}' is not {FORMAT}"))),
            None => return Err(de::Error::missing_field("format")),
        }
        let state = state.ok_or_else(|| de::Error::missing_field("tenants"))?;
        if state.tenants().next().is_none() {
            return Err(de::Error::custom("the state has no tenant"));
        }
        Ok(StateIn { generation, state })
    }
}

struct TenantsSeed(Trust);

impl<'de> DeserializeSeed<'de> for TenantsSeed {
    type Value = State;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<State, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TenantsSeed {
    type Value = State;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of tenants")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<State, A::Error> {
        let mut state = State::default();
        while let Some(t) = seq.next_element_seed(super::tenant_in::TenantSeed(self.0))? {
            if state.tenant(&t.company).is_ok() {
                return Err(de::Error::custom(format!("company '{}' appears twice", t.company)));
            }
            state.insert_tenant(t);
        }
        Ok(state)
    }
}

/// `_info` as written by [`InfoOut`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct InfoIn {
    entered_at: String,
    updated_at: String,
    entered_by: String,
    updated_by: String,
}

impl InfoIn {
    pub(crate) fn meta(&self, t: &mut Tenant, parent: u32) -> Result<Meta, String> {
        let at = |s: &str| datetime::parse(s).ok_or_else(|| format!("'{s}' is not a date-time"));
        Ok(Meta {
            entered_at: at(&self.entered_at)?,
            updated_at: at(&self.updated_at)?,
            entered_by: t.names.intern(&self.entered_by),
            updated_by: t.names.intern(&self.updated_by),
            parent,
        })
    }
}

/// A record as written by [`RecordOut`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordIn {
    pub(crate) id: u32,
    pub(crate) info: InfoIn,
    #[serde(default)]
    pub(crate) parent: u32,
    #[serde(default)]
    pub(crate) secret: Option<String>,
    #[serde(default)]
    pub(crate) levels: Option<BTreeMap<String, BTreeMap<String, PermissionLevel>>>,
    pub(crate) doc: Map<String, Value>,
}

impl RecordIn {
    /// Stores this record in `t` (replacing one with its id), with its secret and levels.
    pub(crate) fn apply(self, t: &mut Tenant, res: Res, trust: Trust) -> Result<(), String> {
        let schema = res.schema();
        let id = self.id;
        if id == 0 {
            return Err("id 0 is not a record id".into());
        }
        if trust == Trust::Import {
            if t.table(res).get(id).is_some() {
                return Err(format!("id {id} appears twice"));
            }
            let errors = validate(schema, &Value::Object(self.doc.clone()), Mode::Create);
            if let Some(e) = errors.first() {
                return Err(format!("id {id}: {} ({})", e.message, e.field));
            }
            if res.info().parent.is_some() != (self.parent != 0) {
                return Err(format!("id {id}: parent must be given exactly for child collections"));
            }
        }
        if let (Some(field), Trust::Import) = (res.info().unique, trust) {
            let value = self.doc.iter().find(|(k, _)| k.eq_ignore_ascii_case(field)).and_then(|(_, v)| v.as_str());
            let taken = value.and_then(|v| {
                std::iter::once(res)
                    .chain(res.info().unique_with.iter().copied())
                    .find_map(|r| t.table(r).find_unique(v).filter(|&other| other != id || r != res))
            });
            if let (Some(v), Some(_)) = (value, taken) {
                return Err(format!("id {id}: {field} '{v}' is already in use"));
            }
        }
        let secret = match &self.secret {
            Some(text) => {
                Some(SecretHash::from_text(text).ok_or_else(|| format!("id {id}: secret is not sha256$SALT$DIGEST"))?)
            }
            None => None,
        };
        let levels = match (&self.levels, res) {
            (Some(rows), Res::SecurityRoles) => Some(levels_in(rows).map_err(|e| format!("id {id}: {e}"))?),
            (Some(_), _) => return Err(format!("id {id}: only security roles have levels")),
            (None, Res::SecurityRoles) => Some(RoleLevels::none()),
            (None, _) => None,
        };
        let meta = self.info.meta(t, self.parent).map_err(|e| format!("id {id}: {e}"))?;
        let doc = Doc::encode(schema, &self.doc);
        let table = t.table_mut(res);
        if table.get(id).is_some() {
            table.update(id, doc, meta);
        } else {
            table.insert(Record::new(id, meta, doc));
        }
        match secret {
            Some(h) => t.secrets.insert((res, id), h),
            None => t.secrets.remove(&(res, id)),
        };
        if let Some(l) = levels {
            t.levels.insert(id, l);
        }
        Ok(())
    }
}

pub(crate) fn levels_in(rows: &BTreeMap<String, BTreeMap<String, PermissionLevel>>) -> Result<RoleLevels, String> {
    let mut levels = RoleLevels::none();
    for (function, cols) in rows {
        let f = Function::find(function).ok_or_else(|| format!("no security-role row named '{function}'"))?;
        for (action, level) in cols {
            let a: Action = action.parse().map_err(|e| format!("{function}: {e}"))?;
            levels.set(f, a, *level);
        }
    }
    Ok(levels)
}

/// An API key as written by [`KeyOut`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyIn {
    id: u32,
    member_id: u32,
    description: String,
    public_key: String,
    private_hash: String,
    created_at: String,
    private_shown: bool,
    inactive: bool,
}

impl KeyIn {
    pub(crate) fn into_key(self) -> Result<ApiKey, String> {
        let id = self.id;
        Ok(ApiKey {
            id,
            member_id: self.member_id,
            description: self.description,
            public_key: self.public_key,
            private: SecretHash::from_text(&self.private_hash)
                .ok_or_else(|| format!("API key {id}: privateHash is not sha256$SALT$DIGEST"))?,
            created_at: datetime::parse(&self.created_at)
                .ok_or_else(|| format!("API key {id}: createdAt is not a date-time"))?,
            private_shown: self.private_shown,
            inactive: self.inactive,
        })
    }
}

/// A member token as written by [`TokenOut`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TokenIn {
    pub(crate) public_key: String,
    member_id: u32,
    private_hash: String,
    expires_at: String,
}

impl TokenIn {
    pub(crate) fn into_token(self) -> Result<(String, Token), String> {
        let bad = |what: &str| format!("token {}: {what}", self.public_key);
        let private = SecretHash::from_text(&self.private_hash).ok_or_else(|| bad("privateHash is malformed"))?;
        let expires_at = datetime::parse(&self.expires_at).ok_or_else(|| bad("expiresAt is not a date-time"))?;
        Ok((self.public_key, Token { member_id: self.member_id, private, expires_at }))
    }
}

/// A report as written by [`ReportOut`].
#[derive(Debug, Deserialize)]
pub(crate) struct ReportIn {
    info: InfoIn,
    #[serde(flatten)]
    report: ReportFixture,
}

impl ReportIn {
    pub(crate) fn apply(self, t: &mut Tenant) -> Result<(), String> {
        let meta = self.info.meta(t, 0)?;
        t.reports.add(&self.report, meta)
    }
}
