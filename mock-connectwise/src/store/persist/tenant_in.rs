//! Reading one tenant of a state document, record by record into its tables, and the
//! checks that tie its parts together (keys and tokens belong to members, children to
//! parents, id sequences are ahead of every id).

use std::collections::{BTreeMap, HashMap};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::form::{KeyIn, RecordIn, ReportIn, TokenIn, Trust, res_named};
use crate::resources::Res;
use crate::store::tenant::Tenant;

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
                "lookups" => t.lookups = map.next_value::<HashMap<String, Vec<Map<String, Value>>>>()?,
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

/// What ties a tenant's parts together.
fn check(t: &Tenant) -> Result<(), String> {
    for res in Res::ALL {
        let space = res.info().id_space;
        if let Some(last) = t.table(res).iter().next_back() {
            if last.id > t.last_ids[space.index()] {
                return Err(format!("{} id {} is beyond lastIds", super::form::collection(res), last.id));
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
