//! One company (tenant): its collections, id sequences, security-role levels, secrets, API
//! keys, member tokens, lookup tables and reports.

use std::collections::{BTreeMap, HashMap};

use super::StoreError;
use super::reports::Reports;
use super::secrets::{ApiKey, SecretHash, Token};
use super::table::{Names, Record, Table};
use crate::resources::Res;
use crate::validate::{FieldError, FieldErrorCode};
use cw_model::RoleLevels;

/// The largest id ConnectWise gives: ids are int32 (the state file's reader holds the same
/// bound for imported sequences).
pub(crate) const MAX_ID: u32 = i32::MAX as u32;

/// One company's data.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// The company id as clients send it in credentials (`CW_COMPANY`).
    pub(crate) company: String,
    pub(crate) company_name: String,
    tables: Vec<Table>,
    /// The last id given out, per id space.
    pub(crate) last_ids: Box<[u32]>,
    /// Levels of each security role, by role id.
    pub(crate) levels: HashMap<u32, RoleLevels>,
    /// Hashed passwords (members, integrator logins).
    pub(crate) secrets: HashMap<(Res, u32), SecretHash>,
    pub(crate) keys: BTreeMap<u32, ApiKey>,
    /// Public key → key id.
    pub(crate) key_index: HashMap<String, u32>,
    pub(crate) last_key_id: u32,
    /// Member tokens by public key.
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) names: Names,
    pub(crate) reports: Reports,
    /// API keys and tokens changed since the store last took them (`--state-file`).
    pub(crate) touched: super::persist::Touched,
}

impl Tenant {
    pub(crate) fn new(company: &str, company_name: &str) -> Self {
        Self {
            company: company.to_owned(),
            company_name: company_name.to_owned(),
            tables: Res::all()
                .map(|r| {
                    let t = Table::new(r.schema(), r.info().unique);
                    if r.info().parent.is_some() { t.child() } else { t }
                })
                .collect(),
            last_ids: vec![0; Res::count()].into_boxed_slice(),
            levels: HashMap::new(),
            secrets: HashMap::new(),
            keys: BTreeMap::new(),
            key_index: HashMap::new(),
            last_key_id: 0,
            tokens: HashMap::new(),
            names: Names::default(),
            reports: Reports::default(),
            touched: super::persist::Touched::default(),
        }
    }

    pub(crate) fn table(&self, res: Res) -> &Table {
        &self.tables[res.index()]
    }

    pub(crate) fn table_mut(&mut self, res: Res) -> &mut Table {
        &mut self.tables[res.index()]
    }

    /// The next id of `res`'s id space (members and API members share one); refused past
    /// int32, where ConnectWise ids stop (a wrapped or a too large id would break every client
    /// that parses ids as int32).
    pub(crate) fn next_id(&mut self, res: Res) -> Result<u32, StoreError> {
        let slot = &mut self.last_ids[res.info().id_space.index()];
        *slot = next_in(*slot, res.info().noun)?;
        Ok(*slot)
    }

    /// The next API key id, refused past int32 as record ids are.
    pub(crate) fn next_key_id(&mut self) -> Result<u32, StoreError> {
        self.last_key_id = next_in(self.last_key_id, "apiKey")?;
        Ok(self.last_key_id)
    }

    /// A member or API member by id.
    pub(crate) fn member(&self, id: u32) -> Option<(Res, &Record)> {
        [Res::Members, Res::ApiMembers].into_iter().find_map(|r| self.table(r).get(id).map(|rec| (r, rec)))
    }

    /// A member or API member by identifier (ignoring case).
    pub(crate) fn member_by_identifier(&self, identifier: &str) -> Option<(Res, u32)> {
        // An API member first: its `/system/members` twin (same id) is derived from it and
        // carries only the fields the two share.
        [Res::ApiMembers, Res::Members]
            .into_iter()
            .find_map(|r| self.table(r).find_unique(identifier).map(|id| (r, id)))
    }

    /// A member's identifier, display name, inactive flag and security-role id.
    pub(crate) fn member_summary(&self, id: u32) -> Option<MemberSummary<'_>> {
        let (res, rec) = self.member(id)?;
        let doc = rec.doc.view(res.schema());
        let identifier = doc.str("identifier").unwrap_or_default();
        let name = match res {
            Res::ApiMembers => doc.str("name").map(str::to_owned).unwrap_or_else(|| identifier.to_owned()),
            _ => {
                let first = doc.str("firstName").unwrap_or_default();
                let last = doc.str("lastName").unwrap_or_default();
                format!("{first} {last}").trim().to_owned()
            }
        };
        let role_id = match doc.get_named("securityRole") {
            Some(crate::doc::Val::Obj(r)) => r.int("id").and_then(|i| u32::try_from(i).ok()),
            _ => None,
        };
        Some(MemberSummary { identifier, name, inactive: doc.flag("inactiveFlag").unwrap_or(false), role_id })
    }

    /// Heap bytes held by all tables (an estimate, for the benchmark's memory breakdown).
    pub(crate) fn heap_size(&self) -> usize {
        self.tables.iter().map(Table::heap_size).sum()
    }
}

/// The id after `last`, unless `last` is the largest id ConnectWise gives (assumption A26.20).
fn next_in(last: u32, noun: &'static str) -> Result<u32, StoreError> {
    match last.checked_add(1).filter(|id| *id <= MAX_ID) {
        Some(id) => Ok(id),
        None => Err(StoreError::Invalid {
            noun,
            errors: vec![FieldError::new(
                FieldErrorCode::InvalidField,
                "id",
                format!(
                    "No id is left for a new {noun}: ids stop at {MAX_ID}, the largest int32, and {last} is given out."
                ),
            )],
        }),
    }
}

/// What authentication and rendering need to know of a member.
#[derive(Clone, Debug)]
pub(crate) struct MemberSummary<'a> {
    pub(crate) identifier: &'a str,
    pub(crate) name: String,
    pub(crate) inactive: bool,
    pub(crate) role_id: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_sequence_gives_the_largest_int32_then_refuses_and_never_wraps() {
        let mut t = Tenant::new("c", "C");
        t.last_ids[Res::Tickets.info().id_space.index()] = MAX_ID - 1;
        assert_eq!(t.next_id(Res::Tickets).ok(), Some(MAX_ID));
        for _ in 0..2 {
            match t.next_id(Res::Tickets) {
                Err(StoreError::Invalid { errors, .. }) => assert_eq!(errors[0].field, "id"),
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        assert_eq!(t.last_ids[Res::Tickets.info().id_space.index()], MAX_ID, "a refusal moves nothing");
        t.last_ids[Res::Tickets.info().id_space.index()] = u32::MAX;
        assert!(t.next_id(Res::Tickets).is_err(), "no overflow past u32 either");
        t.last_key_id = MAX_ID;
        assert!(t.next_key_id().is_err());
        assert_eq!(t.last_key_id, MAX_ID);
    }
}
