//! A collection's records read and written one at a time through the tenant: get, create,
//! replace, patch and delete, with the checks each needs (parent, owner, referrers).

use serde_json::{Map, Value};

use super::derived::MAIN_SITE;
use super::records::{Access, WriteCtx, list_visible};
use super::secrets::{KeyGen, SecretHash};
use super::table::{Meta, Record};
use super::tenant::Tenant;
use super::{Listed, One, StoreError};
use crate::doc::{Doc, Val};
use crate::query::BoundQuery;
use crate::query::shape::Fields;
use crate::resources::Res;
use crate::schema::Type;
use crate::store::render::{Ctx, RecordJson, write_one};
use crate::validate::Mode;

impl Tenant {
    /// The parent record's id, checked to exist, for child collections.
    pub(crate) fn parent_of(&self, res: Res, parent: Option<u32>) -> Result<Option<u32>, StoreError> {
        match (res.info().parent, parent) {
            (Some((pres, _)), Some(p)) => match self.table(pres).get(p) {
                Some(_) => Ok(Some(p)),
                None => Err(StoreError::NotFound(format!("{} {p}", pres.info().title))),
            },
            (Some(_), None) => Err(StoreError::BadRequest(format!("{} needs a parent id", res.info().noun))),
            (None, _) => Ok(None),
        }
    }

    /// A record of `res` (under `parent`), or the ConnectWise 404.
    fn record(&self, res: Res, parent: Option<u32>, id: u32) -> Result<&Record, StoreError> {
        let parent = self.parent_of(res, parent)?;
        self.table(res)
            .get(id)
            .filter(|r| parent.is_none_or(|p| r.meta.parent == p))
            .ok_or_else(|| StoreError::NotFound(format!("{} {id}", res.info().title)))
    }

    /// Hides a record the caller does not see (404) and refuses a `My`-level caller one that
    /// is not its own; reports whether it is someone else's.
    fn check_owner(&self, res: Res, rec: &Record, access: Access<'_>) -> Result<bool, StoreError> {
        let vis = self.visibility(res, access);
        if !vis.sees(rec) {
            return Err(StoreError::NotFound(format!("{} {}", res.info().title, rec.id)));
        }
        let others = !vis.owns(rec);
        if others && access.own_only {
            return Err(StoreError::NotOwn { entered_by: self.names.name(rec.meta.entered_by).to_owned() });
        }
        Ok(others)
    }

    pub(crate) fn render(&self, res: Res, rec: &Record, fields: Option<&Fields>, base: &str) -> Vec<u8> {
        let ctx = Ctx { base, names: &self.names, board: None, company: None };
        write_one(&RecordJson { ctx, doc: rec.doc.view(res.schema()), record: rec, res: Some(res), fields })
    }

    pub(crate) fn list(
        &self,
        res: Res,
        parent: Option<u32>,
        q: &BoundQuery,
        access: Access<'_>,
        base: &str,
    ) -> Result<Listed, StoreError> {
        let parent = self.parent_of(res, parent)?;
        let vis = self.visibility(res, access);
        Ok(list_visible(self.table(res), Some(res), parent, q, access, &self.names, base, &vis))
    }

    pub(crate) fn get(
        &self,
        res: Res,
        parent: Option<u32>,
        id: u32,
        fields: Option<&Fields>,
        access: Access<'_>,
        base: &str,
    ) -> Result<One, StoreError> {
        let rec = self.record(res, parent, id)?;
        let others = self.check_owner(res, rec, access)?;
        Ok(One { id, body: self.render(res, rec, fields, base), others })
    }

    /// Creates a record entered by the caller now.
    pub(crate) fn create(
        &mut self,
        res: Res,
        parent: Option<u32>,
        body: Value,
        w: &WriteCtx<'_>,
    ) -> Result<One, StoreError> {
        let parent = self.parent_of(res, parent)?;
        let (mut obj, secret) = self.prepare(res, parent, body, Mode::Create, None, w)?;
        // A link collection's record is keyed by the record it links (A15.4).
        let id = match self.link_key(res, parent, &mut obj)? {
            Some(super::derived::Link::Existing(id)) => {
                let rec = self.record(res, parent, id)?;
                return Ok(One { id, body: self.render(res, rec, None, w.base), others: false });
            }
            // The linked record's id: the sequence moves past it, or a state file holding the
            // link would be refused on reopen ("beyond lastIds").
            Some(super::derived::Link::New(id)) => {
                let last = &mut self.last_ids[res.info().id_space.index()];
                *last = (*last).max(id);
                id
            }
            None => self.next_id(res)?,
        };
        let (now, keys, base) = (w.now, w.keys, w.base);
        let by = self.names.intern(w.access.caller);
        let meta =
            Meta { entered_at: now, updated_at: now, entered_by: by, updated_by: by, parent: parent.unwrap_or(0) };
        let table = self.table_mut(res);
        table.insert(Record::new(id, meta, Doc::encode(table.schema, &obj)));
        self.after_create(res, id, secret, keys);
        self.sync_api_member(res, id);
        self.sync_communications(res, id, parent);
        if res == Res::Companies {
            self.make_main_site(id, w);
        }
        if res == Res::Tickets {
            self.after_ticket_created(id, w);
        }
        let rec = self.table(res).get(id).ok_or_else(|| StoreError::NotFound(format!("{} {id}", res.info().title)))?;
        Ok(One { id, body: self.render(res, rec, None, base), others: false })
    }

    fn after_create(&mut self, res: Res, id: u32, secret: Option<String>, keys: &KeyGen) {
        if res == Res::SecurityRoles {
            self.levels.entry(id).or_default();
        }
        let secret = match (secret, res) {
            (Some(s), _) => Some(s),
            // "API Member will get random password generated" (Member.password).
            (None, Res::Members) => Some(keys.key()),
            (None, _) => None,
        };
        if let Some(s) = secret {
            self.secrets.insert((res, id), SecretHash::new(&s, keys));
        }
    }

    /// Makes the site the server makes with every company (assumption A13.5): named as the
    /// company's `site` asks (default "Main"), at the company's address, the default for
    /// billing, shipping and mail; the company's `site` then points at it.
    fn make_main_site(&mut self, company: u32, w: &WriteCtx<'_>) {
        let Some(sites) = Res::at_path("/company/companies/{parentId}/sites") else { return };
        let Some(mut doc) = self.table(Res::Companies).view(company).map(|d| d.to_json()) else { return };
        let name = doc.get("site").and_then(|s| s.get("name")).and_then(Value::as_str).unwrap_or(MAIN_SITE).to_owned();
        let mut site = Map::new();
        site.insert("name".into(), Value::from(name.clone()));
        for field in ["addressLine1", "addressLine2", "city", "zip", "phoneNumber", "faxNumber"] {
            if let Some(v) = doc.get(field).filter(|_| sites.schema().prop(field).is_some()) {
                site.insert(field.into(), v.clone());
            }
        }
        for flag in ["primaryAddressFlag", "defaultBillingFlag", "defaultShippingFlag", "defaultMailingFlag"] {
            site.insert(flag.into(), Value::Bool(true));
        }
        let Ok(made) = self.create(sites, Some(company), Value::Object(site), w) else { return };
        let site = serde_json::json!({ "id": made.id, "name": name });
        // `billingSite` named the main site before it existed (A25.5): it points at it now.
        if doc.get("billingSite").is_none_or(|b| b.get("id").is_none_or(Value::is_null)) {
            doc.insert("billingSite".into(), site.clone());
        }
        doc.insert("site".into(), site);
        let table = self.table_mut(Res::Companies);
        let Some(meta) = table.get(company).map(|r| r.meta) else { return };
        let encoded = Doc::encode(table.schema, &doc);
        table.update(company, encoded, meta);
    }

    /// Replaces a record (PUT) or stores the result of a PATCH.
    pub(crate) fn update(
        &mut self,
        res: Res,
        parent: Option<u32>,
        id: u32,
        body: Value,
        mode: Mode,
        w: &WriteCtx<'_>,
    ) -> Result<One, StoreError> {
        let (access, now, keys, base) = (w.access, w.now, w.keys, w.base);
        let rec = self.record(res, parent, id)?;
        let others = self.check_owner(res, rec, access)?;
        let old_meta = rec.meta;
        let parent = (old_meta.parent != 0).then_some(old_meta.parent);
        let (obj, secret) = self.prepare(res, parent, body, mode, Some(id), w)?;
        let by = self.names.intern(access.caller);
        let meta = Meta { updated_at: now, updated_by: by, ..old_meta };
        let table = self.table_mut(res);
        let doc = Doc::encode(table.schema, &obj);
        table.update(id, doc, meta);
        if let Some(s) = secret {
            self.secrets.insert((res, id), SecretHash::new(&s, keys));
        }
        self.sync_api_member(res, id);
        self.sync_communications(res, id, parent);
        let rec = self.record(res, parent, id)?;
        Ok(One { id, body: self.render(res, rec, None, base), others })
    }

    /// Deactivates a member (`POST /system/members/{id}/deactivate`): it stops
    /// authenticating at once, and its member tokens are revoked.
    pub(crate) fn deactivate_member(&mut self, id: u32, w: &WriteCtx<'_>) -> Result<bool, StoreError> {
        let mut current = self.current(Res::Members, None, id)?;
        current.insert("inactiveFlag".into(), Value::Bool(true));
        current.insert("inactiveDate".into(), Value::String(crate::datetime::format(w.now)));
        let one = self.update(Res::Members, None, id, Value::Object(current), Mode::Create, w)?;
        let touched = &mut self.touched.tokens;
        self.tokens.retain(|k, t| t.member_id != id || super::persist::Touched::gone(touched, k));
        Ok(one.others)
    }

    /// A record's stored properties as JSON, for PATCH.
    pub(crate) fn current(&self, res: Res, parent: Option<u32>, id: u32) -> Result<Map<String, Value>, StoreError> {
        let rec = self.record(res, parent, id)?;
        Ok(rec.doc.view(res.schema()).to_json())
    }

    pub(crate) fn delete(
        &mut self,
        res: Res,
        parent: Option<u32>,
        id: u32,
        access: Access<'_>,
    ) -> Result<bool, StoreError> {
        let others = self.check_delete(res, parent, id, access)?;
        if let Some(gone) = self.table_mut(res).remove(id) {
            super::callback_hooks::note_removed(res, gone, access.caller);
        }
        self.secrets.remove(&(res, id));
        if res == Res::SecurityRoles {
            self.levels.remove(&id);
        }
        self.sync_communications(res, id, parent);
        // Child records go with their parent (agreement additions).
        for child in Res::all().filter(|c| c.info().parent.is_some_and(|(p, _)| p == res)) {
            let ids: Vec<u32> = self.table(child).iter().filter(|r| r.meta.parent == id).map(|r| r.id).collect();
            for cid in ids {
                self.table_mut(child).remove(cid);
            }
        }
        Ok(others)
    }

    /// What a delete checks before it changes anything: the record exists and is the
    /// caller's to delete, and nothing references it. Reports whether it is someone else's.
    pub(super) fn check_delete(
        &self,
        res: Res,
        parent: Option<u32>,
        id: u32,
        access: Access<'_>,
    ) -> Result<bool, StoreError> {
        let rec = self.record(res, parent, id)?;
        let others = self.check_owner(res, rec, access)?;
        let users = self.referrers(res, id);
        if !users.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{} {id} is in use by {} and cannot be deleted",
                res.info().title,
                users.join(", ")
            )));
        }
        Ok(others)
    }

    /// Records that reference `res` `id` (a delete of it would leave them dangling): through
    /// a collection's listed references, or any reference whose schema points at `res`; a
    /// child's reference to its own parent does not count (children go with their parent).
    fn referrers(&self, res: Res, id: u32) -> Vec<String> {
        let mut users = Vec::new();
        for other in Res::all() {
            let info = other.info();
            let table = self.table(other);
            if table.iter().next().is_none() {
                continue;
            }
            let parent_field = info.parent.filter(|(p, _)| *p == res).map(|(_, f)| f);
            let fields = table.schema.props.iter().filter(|p| Some(p.name.as_str()) != parent_field).filter(|p| {
                let Type::Object(s) = p.ty else { return false };
                match info.refs.iter().find(|rf| rf.field == p.name) {
                    Some(rf) => rf.targets.contains(&res),
                    None => Res::for_reference(&crate::schema::SCHEMAS.get(s).name).is_some_and(|(t, _)| t == res),
                }
            });
            for field in fields {
                let Some((key, _)) = table.schema.prop(&field.name) else { continue };
                let n = table
                    .iter()
                    .filter(|r| matches!(r.doc.view(table.schema).get(key), Some(Val::Obj(d)) if d.int("id") == Some(i64::from(id))))
                    .count();
                if n > 0 {
                    users.push(format!("{n} {}{} ({})", info.noun, if n == 1 { "" } else { "s" }, field.name));
                }
            }
        }
        users
    }
}
