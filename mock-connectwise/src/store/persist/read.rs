//! Reading a state document (an import) and the state file's record rows: tenants are built
//! record by record into their tables, then checked as a whole (keys and tokens belong to
//! members, children to parents, id sequences are ahead of every id and within int32).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::form::{FORMAT, collection, res_named};
use crate::datetime;
use crate::doc::Doc;
use crate::resources::Res;
use crate::store::State;
use crate::store::reports::ReportFixture;
use crate::store::secrets::{ApiKey, SecretHash, Token};
use crate::store::table::{Meta, Record};
use crate::store::tenant::Tenant;
use crate::validate::{Mode, validate};
use cw_model::RoleLevels;

/// How much to trust what is read: the mock's own state file, or a client's import
/// (every record validated against its schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trust {
    Own,
    Import,
}

/// Reads a whole state document, streamed, so a large import is never held in memory beside
/// the state it describes.
pub(crate) fn read_state<'de, R: serde_json::de::Read<'de>>(
    source: R,
    trust: Trust,
) -> Result<State, serde_json::Error> {
    let mut de = serde_json::Deserializer::new(source);
    let out = StateSeed(trust).deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

struct StateSeed(Trust);

impl<'de> DeserializeSeed<'de> for StateSeed {
    type Value = State;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<State, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StateSeed {
    type Value = State;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a mock-connectwise state document {format, generation, tenants}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<State, A::Error> {
        let (mut format, mut state) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => format = Some(map.next_value::<String>()?),
                "generation" => {
                    // Counts replacements of the exporting store; not part of the data.
                    map.next_value::<de::IgnoredAny>()?;
                }
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
        Ok(state)
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
        while let Some(t) = seq.next_element_seed(TenantSeed(self.0))? {
            if state.tenant(&t.company).is_ok() {
                return Err(de::Error::custom(format!("company '{}' appears twice", t.company)));
            }
            state.insert_tenant(t);
        }
        Ok(state)
    }
}

/// `_info` as written by [`super::form`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct InfoIn {
    pub(crate) entered_at: String,
    pub(crate) updated_at: String,
    pub(crate) entered_by: String,
    pub(crate) updated_by: String,
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

/// A record as written by [`super::form::RecordOut`].
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
    pub(crate) levels: Option<Value>,
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
                    // The same id in the sibling table is the same person (an API member and
                    // its `/system/members` twin share their id).
                    .find_map(|r| t.table(r).find_unique(v).filter(|&other| other != id))
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

/// A role's levels from the levels document [`super::form`] writes (the console's own form).
pub(crate) fn levels_in(doc: &Value) -> Result<RoleLevels, String> {
    let mut levels = RoleLevels::none();
    cw_model::console::LevelChanges::from_json(doc)?.apply(&mut levels);
    Ok(levels)
}

/// An API key as written by [`super::form::KeyOut`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyIn {
    pub(crate) id: u32,
    pub(crate) member_id: u32,
    pub(crate) description: String,
    pub(crate) public_key: String,
    pub(crate) private_hash: String,
    pub(crate) created_at: String,
    pub(crate) private_shown: bool,
    pub(crate) inactive: bool,
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

/// A member token as written by [`super::form::TokenOut`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TokenIn {
    pub(crate) public_key: String,
    pub(crate) member_id: u32,
    pub(crate) private_hash: String,
    pub(crate) expires_at: String,
}

impl TokenIn {
    pub(crate) fn into_token(self) -> Result<(String, Token), String> {
        let bad = |what: &str| format!("token {}: {what}", self.public_key);
        let private = SecretHash::from_text(&self.private_hash).ok_or_else(|| bad("privateHash is malformed"))?;
        let expires_at = datetime::parse(&self.expires_at).ok_or_else(|| bad("expiresAt is not a date-time"))?;
        Ok((self.public_key, Token { member_id: self.member_id, private, expires_at }))
    }
}

/// A report as written by [`super::form`].
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

const FIELDS: &[&str] =
    &["company", "companyName", "lastIds", "lastKeyId", "collections", "apiKeys", "tokens", "lookups", "reports"];

/// Reads one tenant.
pub(crate) struct TenantSeed(pub(crate) Trust);

impl<'de> DeserializeSeed<'de> for TenantSeed {
    type Value = Tenant;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Tenant, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TenantSeed {
    type Value = Tenant;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a tenant {company, companyName, collections, ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tenant, A::Error> {
        let mut t = Tenant::new("", "");
        let mut named = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "company" => {
                    t.company = map.next_value()?;
                    named = true;
                }
                "companyName" => t.company_name = map.next_value()?,
                "lastIds" => {
                    for (name, last) in map.next_value::<BTreeMap<String, u32>>()? {
                        let res = res_named(&name)
                            .ok_or_else(|| de::Error::custom(format!("lastIds: no collection {name}")))?;
                        t.last_ids[res.info().id_space.index()] = last;
                    }
                }
                "lastKeyId" => t.last_key_id = map.next_value()?,
                "collections" => map.next_value_seed(CollectionsSeed(&mut t, self.0))?,
                "apiKeys" => {
                    for k in map.next_value::<Vec<KeyIn>>()? {
                        let key = k.into_key().map_err(de::Error::custom)?;
                        if t.keys.contains_key(&key.id) || t.key_index.contains_key(&key.public_key) {
                            return Err(de::Error::custom(format!("API key {} appears twice", key.id)));
                        }
                        t.key_index.insert(key.public_key.clone(), key.id);
                        t.keys.insert(key.id, key);
                    }
                }
                "tokens" => {
                    for tok in map.next_value::<Vec<TokenIn>>()? {
                        let (public, token) = tok.into_token().map_err(de::Error::custom)?;
                        t.tokens.insert(public, token);
                    }
                }
                // Setup tables were kept apart before they became collections; their rows came
                // from the fixtures, which load them as records now.
                "lookups" => {
                    map.next_value::<de::IgnoredAny>()?;
                }
                "reports" => {
                    for r in map.next_value::<Vec<ReportIn>>()? {
                        r.apply(&mut t).map_err(de::Error::custom)?;
                    }
                }
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        if !named || t.company.trim().is_empty() {
            return Err(de::Error::custom("a tenant needs a company id"));
        }
        check(&t).map_err(|e| de::Error::custom(format!("company {}: {e}", t.company)))?;
        super::forget_changes(&mut t);
        Ok(t)
    }
}

/// The largest id: ConnectWise ids are int32, and clients parse them so.
pub(crate) const MAX_ID: u32 = i32::MAX as u32;

/// What ties a tenant's parts together.
pub(crate) fn check(t: &Tenant) -> Result<(), String> {
    // A sequence at the end of int32 would give the next record an id no client can read,
    // and one at the end of u32 would wrap to 0 and 1 and overwrite what is there.
    if let Some(res) = Res::all().find(|r| t.last_ids[r.index()] > MAX_ID) {
        return Err(format!(
            "lastIds {} is {}, beyond the largest id ConnectWise gives ({MAX_ID})",
            collection(res),
            t.last_ids[res.index()]
        ));
    }
    if t.last_key_id > MAX_ID {
        return Err(format!("lastKeyId is {}, beyond the largest id ConnectWise gives ({MAX_ID})", t.last_key_id));
    }
    for res in Res::all() {
        let space = res.info().id_space;
        if let Some(last) = t.table(res).iter().next_back() {
            if last.id > t.last_ids[space.index()] {
                return Err(format!("{} id {} is beyond lastIds", collection(res), last.id));
            }
        }
        if let Some((parent, _)) = res.info().parent {
            if let Some(orphan) = t.table(res).iter().find(|r| t.table(parent).get(r.meta.parent).is_none()) {
                return Err(format!(
                    "{} id {}: parent {} does not exist",
                    res.info().path,
                    orphan.id,
                    orphan.meta.parent
                ));
            }
        }
    }
    if let Some(k) = t.keys.values().find(|k| t.member(k.member_id).is_none()) {
        return Err(format!("API key {} belongs to member {}, which does not exist", k.id, k.member_id));
    }
    if t.keys.keys().next_back().is_some_and(|&id| id > t.last_key_id) {
        return Err("an API key id is beyond lastKeyId".into());
    }
    if let Some((public, tok)) = t.tokens.iter().find(|(_, tok)| t.member(tok.member_id).is_none()) {
        return Err(format!("token {public} belongs to member {}, which does not exist", tok.member_id));
    }
    if let Some(public) = t.tokens.keys().find(|p| t.key_index.contains_key(*p)) {
        return Err(format!("public key {public} is both an API key and a token"));
    }
    Ok(())
}

struct CollectionsSeed<'t>(&'t mut Tenant, Trust);

impl<'de> DeserializeSeed<'de> for CollectionsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectionsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("collections by route, each a list of records")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            let res = res_named(&name).ok_or_else(|| de::Error::custom(format!("no collection {name}")))?;
            map.next_value_seed(RecordsSeed(&mut *self.0, res, self.1))?;
        }
        Ok(())
    }
}

struct RecordsSeed<'t>(&'t mut Tenant, Res, Trust);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Self(t, res, trust) = self;
        while let Some(r) = seq.next_element::<RecordIn>()? {
            r.apply(t, res, trust).map_err(|e| de::Error::custom(format!("{}: {e}", res.info().path)))?;
        }
        Ok(())
    }
}
