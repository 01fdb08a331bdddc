//! One log record: the new state of everything one write touched in one tenant (records with
//! their secret and levels, API keys, tokens, id sequences), or its absence when it was
//! deleted. Replaying a record is idempotent: it sets, it does not add.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::form::{KeyOut, RecordOut, TokenOut, collection, last_ids, res_named};
use super::read::{KeyIn, RecordIn, TokenIn, Trust};
use crate::resources::Res;
use crate::store::State;
use crate::store::tenant::Tenant;

/// The id sequences before a write, to log them only when it moved them.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    last_ids: Box<[u32]>,
    last_key_id: u32,
}

impl Mark {
    pub(crate) fn of(t: &Tenant) -> Self {
        Self { last_ids: t.last_ids.clone(), last_key_id: t.last_key_id }
    }

    /// The last id of `res`'s id space before the write: a record above it is new.
    pub(crate) fn last_id(&self, res: Res) -> u32 {
        self.last_ids.get(res.info().id_space.index()).copied().unwrap_or(0)
    }
}

/// The JSON of the log record for what `t` changed since `mark`, or `None` if nothing did.
/// Takes the tenant's touched lists.
pub(crate) fn encode(t: &mut Tenant, mark: &Mark) -> Option<Vec<u8>> {
    let mut records = Vec::new();
    for res in Res::all() {
        let mut ids = std::mem::take(&mut t.table_mut(res).touched);
        ids.sort_unstable();
        ids.dedup();
        records.extend(ids.into_iter().map(|id| (res, id)));
    }
    let mut keys = std::mem::take(&mut t.touched.keys);
    keys.sort_unstable();
    keys.dedup();
    let mut tokens = std::mem::take(&mut t.touched.tokens);
    tokens.sort_unstable();
    tokens.dedup();
    let ids_moved = t.last_ids != mark.last_ids;
    let key_id_moved = t.last_key_id != mark.last_key_id;
    if records.is_empty() && keys.is_empty() && tokens.is_empty() && !ids_moved && !key_id_moved {
        return None;
    }
    let out = ChangeOut { t, records, keys, tokens, ids_moved, key_id_moved };
    // Serialising borrowed strings and numbers into a Vec cannot fail.
    serde_json::to_vec(&out).ok()
}

struct ChangeOut<'a> {
    t: &'a Tenant,
    records: Vec<(Res, u32)>,
    keys: Vec<u32>,
    tokens: Vec<String>,
    ids_moved: bool,
    key_id_moved: bool,
}

impl Serialize for ChangeOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.t;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("company", &t.company)?;
        if self.ids_moved {
            m.serialize_entry("lastIds", &last_ids(t))?;
        }
        if self.key_id_moved {
            m.serialize_entry("lastKeyId", &t.last_key_id)?;
        }
        let records: Vec<RecordChangeOut<'_>> = self
            .records
            .iter()
            .map(|&(res, id)| RecordChangeOut {
                collection: collection(res),
                id,
                record: t.table(res).get(id).map(|r| RecordOut { t, res, r }),
            })
            .collect();
        m.serialize_entry("records", &records)?;
        let keys: Vec<KeyChangeOut<'_>> =
            self.keys.iter().map(|&id| KeyChangeOut { id, key: t.keys.get(&id).map(KeyOut) }).collect();
        m.serialize_entry("keys", &keys)?;
        let tokens: Vec<TokenChangeOut<'_>> = self
            .tokens
            .iter()
            .map(|p| TokenChangeOut { public_key: p, token: t.tokens.get(p).map(|tok| TokenOut(p, tok)) })
            .collect();
        m.serialize_entry("tokens", &tokens)?;
        m.end()
    }
}

#[derive(Serialize)]
struct RecordChangeOut<'a> {
    collection: &'static str,
    id: u32,
    record: Option<RecordOut<'a>>,
}

#[derive(Serialize)]
struct KeyChangeOut<'a> {
    id: u32,
    key: Option<KeyOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenChangeOut<'a> {
    public_key: &'a str,
    token: Option<TokenOut<'a>>,
}

/// A log record read back.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ChangeIn {
    company: String,
    #[serde(default)]
    last_ids: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    last_key_id: Option<u32>,
    #[serde(default)]
    records: Vec<RecordChangeIn>,
    #[serde(default)]
    keys: Vec<KeyChangeIn>,
    #[serde(default)]
    tokens: Vec<TokenChangeIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordChangeIn {
    collection: String,
    id: u32,
    record: Option<RecordIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyChangeIn {
    id: u32,
    key: Option<KeyIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenChangeIn {
    public_key: String,
    token: Option<TokenIn>,
}

impl ChangeIn {
    /// Sets what the record says in `state`.
    pub(crate) fn apply(self, state: &mut State) -> Result<(), String> {
        let t = state.tenant_mut(&self.company).map_err(|e| e.to_string())?;
        if let Some(ids) = self.last_ids {
            for (name, last) in ids {
                let res = res_named(&name).ok_or_else(|| format!("no collection {name}"))?;
                t.last_ids[res.info().id_space.index()] = last;
            }
        }
        if let Some(k) = self.last_key_id {
            t.last_key_id = k;
        }
        for c in self.records {
            let res = res_named(&c.collection).ok_or_else(|| format!("no collection {}", c.collection))?;
            match c.record {
                Some(r) if r.id == c.id => r.apply(t, res, Trust::Own)?,
                Some(r) => return Err(format!("record {} filed under id {}", r.id, c.id)),
                None => {
                    t.table_mut(res).remove(c.id);
                    t.secrets.remove(&(res, c.id));
                    if res == Res::SecurityRoles {
                        t.levels.remove(&c.id);
                    }
                }
            }
        }
        for c in self.keys {
            if let Some(old) = t.keys.remove(&c.id) {
                t.key_index.remove(&old.public_key);
            }
            if let Some(k) = c.key {
                let key = k.into_key()?;
                t.key_index.insert(key.public_key.clone(), key.id);
                t.keys.insert(key.id, key);
            }
        }
        for c in self.tokens {
            t.tokens.remove(&c.public_key);
            if let Some(tok) = c.token {
                let (public, token) = tok.into_token()?;
                t.tokens.insert(public, token);
            }
        }
        super::forget_changes(t);
        Ok(())
    }
}
