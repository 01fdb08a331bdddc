//! The populated tenant (`--populate`, `POST /__mock/populate`): one generated record in every
//! stored collection that has none, so that every GET path a client can name has a record
//! behind it.
//!
//! A child collection (`/company/companies/{id}/notes`) is filled under the first record
//! (lowest id) of each parent in its chain, the id a client lists first. Records are made by
//! [`values`] from the official schema and created through [`Tenant::create`], the write
//! pipeline a POST and the fixtures use (validation, references, derived fields, defaults,
//! indexes), so they are indistinguishable from records a client created; a reference is
//! pointed at the first record of its collection, populated first. The same fixtures give the
//! same records. Populating is part of building a fixture set
//! ([`super::FixtureSet::with_populate`]), so a reset and a new state file are populated and a
//! loaded state file is not; the console's [`Store::populate`] fills what is empty now, fires
//! no callbacks (the records are fixtures) and commits to the state file like any write.

mod enums;
mod values;

use std::collections::BTreeSet;

use super::persist;
use super::records::{Access, WriteCtx};
use super::secrets::KeyGen;
use super::tenant::Tenant;
use super::{Store, StoreError};
use crate::resources::Res;

/// How many references deep one record may pull in others before the chain is cut.
const MAX_CHAIN: usize = 12;

/// What populating created.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Populated {
    /// Records created.
    pub(crate) created: usize,
    /// The routes of the collections that got a record, in creation order.
    pub(crate) collections: Vec<&'static str>,
    /// Collections left empty, with the reason the create was refused.
    pub(crate) failed: Vec<(&'static str, String)>,
}

impl Populated {
    fn add(&mut self, other: Populated) {
        self.created += other.created;
        for c in other.collections {
            if !self.collections.contains(&c) {
                self.collections.push(c);
            }
        }
        self.failed.extend(other.failed);
    }
}

/// Fills every empty collection of `t`, records entered by `by` at `now`.
pub(crate) fn populate(t: &mut Tenant, keys: &KeyGen, now: i64, by: &str) -> Populated {
    let mut f = Filler { keys, now, by, busy: Vec::new(), failed: BTreeSet::new(), out: Populated::default() };
    for res in Res::all() {
        // API reports are not records (`/system/reports/{reportName}`).
        if res.info().path == "/system/reports" {
            continue;
        }
        f.first(t, res);
    }
    f.out
}

/// One populating pass: what is being created (a reference cycle stops there) and what failed.
struct Filler<'a> {
    keys: &'a KeyGen,
    now: i64,
    by: &'a str,
    busy: Vec<Res>,
    failed: BTreeSet<Res>,
    out: Populated,
}

impl Filler<'_> {
    /// The first record of `res` under the first record of each parent in its chain, created
    /// there when there is none.
    fn first(&mut self, t: &mut Tenant, res: Res) -> Option<u32> {
        let parent = match res.info().parent {
            Some((p, _)) if p != res => Some(self.first(t, p)?),
            Some(_) => return None,
            None => None,
        };
        if let Some(id) = first_of(t, res, parent) {
            return Some(id);
        }
        if self.busy.contains(&res) || self.busy.len() >= MAX_CHAIN || self.failed.contains(&res) {
            return None;
        }
        self.busy.push(res);
        let n = t.table(res).count() + 1;
        let body = self.body(t, res, parent, n);
        let access = Access { caller: self.by, own_only: false, track_others: false };
        let w = WriteCtx { access, now: self.now, keys: self.keys, base: "" };
        let created = t.create(res, parent, body, &w);
        self.busy.pop();
        match created {
            Ok(one) => {
                self.out.created += 1;
                self.out.collections.push(res.info().path);
                Some(one.id)
            }
            Err(e) => {
                self.failed.insert(res);
                self.out.failed.push((res.info().path, describe(&e)));
                None
            }
        }
    }
}

/// The lowest id of `res` (under `parent`).
fn first_of(t: &Tenant, res: Res, parent: Option<u32>) -> Option<u32> {
    t.table(res).iter().find(|r| parent.is_none_or(|p| r.meta.parent == p)).map(|r| r.id)
}

fn describe(e: &StoreError) -> String {
    match e {
        StoreError::Invalid { errors, .. } => errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

impl Store {
    /// Whether the mock was started populated (`--populate`): an item path of a view the
    /// mock stores nothing behind then answers a generated record (A24.44).
    pub(crate) fn populated(&self) -> bool {
        self.shared.config.fixtures.populates()
    }

    /// A generated record of `schema` with id `id` for an item path the mock stores nothing
    /// behind, references pointing at the first records of `company`.
    pub(crate) fn view_record(
        &self,
        company: &str,
        schema: &'static crate::schema::ObjectSchema,
        id: u32,
    ) -> Option<serde_json::Value> {
        let state = self.read();
        let t = state.tenant(company).ok()?;
        Some(serde_json::Value::Object(values::view_record(t, schema, id, 0)))
    }

    /// Fills every empty collection of every tenant now (`POST /__mock/populate`); a second
    /// call creates nothing. No callback fires: the records are fixtures. With a state file
    /// the records are committed before this returns.
    pub(crate) fn populate(&self) -> Result<Populated, persist::SaveError> {
        let now = self.now();
        let mut all = Populated::default();
        let companies = self.companies();
        for company in companies {
            let by = self.shared.config.fixtures.entered_by(&company).unwrap_or("admin").to_owned();
            let mut state = self.write();
            let Ok(tenant) = state.tenant_mut(&company) else { continue };
            let mark = persist::Mark::of(tenant);
            let done = populate(tenant, &self.shared.keys, now, &by);
            let Some(p) = &self.shared.persist else {
                persist::forget_changes(tenant);
                all.add(done);
                continue;
            };
            let queued = p.queue(tenant, &mark);
            drop(state);
            if let Some(queued) = queued {
                p.wait(queued, self)?;
            }
            all.add(done);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FixtureSet;

    fn built(populate: bool) -> super::super::State {
        FixtureSet::builtin().with_populate(populate).build(&KeyGen::seeded(7), 1_700_000_000).unwrap()
    }

    fn first_in_chain(t: &Tenant, res: Res) -> Option<u32> {
        let parent = match res.info().parent {
            Some((p, _)) => Some(first_in_chain(t, p)?),
            None => None,
        };
        first_of(t, res, parent)
    }

    #[test]
    fn every_stored_collection_gets_a_record_under_its_first_parent() {
        let state = built(true);
        let t = state.tenants().next().unwrap();
        let empty: Vec<_> = Res::all()
            .filter(|r| r.info().path != "/system/reports" && first_in_chain(t, *r).is_none())
            .map(|r| r.info().path)
            .collect();
        assert!(empty.is_empty(), "{} collections left empty: {empty:#?}", empty.len());
    }

    #[test]
    fn populating_twice_creates_nothing_and_the_same_fixtures_give_the_same_records() {
        let mut state = built(true);
        let company = state.tenants().next().unwrap().company.clone();
        let t = state.tenant_mut(&company).unwrap();
        let again = populate(t, &KeyGen::seeded(7), 1_700_000_000, "admin");
        assert_eq!(again.created, 0, "{again:?}");
        let dump = |s: &super::super::State| {
            let t = s.tenants().next().unwrap();
            Res::all().flat_map(|r| t.table(r).iter().map(move |rec| t.render(r, rec, None, ""))).collect::<Vec<_>>()
        };
        let (a, b) = (dump(&state), dump(&built(true)));
        assert!(a.len() > dump(&built(false)).len() + 100);
        assert!(a == b, "two builds of the same fixtures populated different records");
    }

    #[test]
    fn without_populate_an_empty_collection_stays_empty() {
        let state = built(false);
        let t = state.tenants().next().unwrap();
        let empty = Res::all().filter(|&r| t.table(r).count() == 0).count();
        assert!(empty > 100, "only {empty} empty collections in the default fixtures");
    }
}
