//! List, count, get, create, replace, patch and delete, the same for every collection.
//!
//! A write goes through one pipeline: defaults → the write-only secret set aside → schema
//! validation → references resolved (and their display fields filled in from the target) →
//! unique fields checked → encoded and stored. Every problem found is reported together in
//! one `InvalidObject`; nothing is stored unless all of it passes.

use serde_json::{Map, Value};

use super::derived::MAIN_SITE;
use super::secrets::{KeyGen, SecretHash};
use super::table::{Meta, Names, Record, Table};
use super::tenant::Tenant;
use super::visibility::Visibility;
use super::{Listed, One, StoreError};
use crate::doc::{Doc, DocRef, Val};
use crate::query::BoundQuery;
use crate::query::filter::{MetaField, Row};
use crate::query::shape::Fields;
use crate::resources::Res;
use crate::schema::{ObjectSchema, Type};
use crate::store::render::{Ctx, RecordJson, write_list, write_one};
use crate::validate::{FieldError, FieldErrorCode, Mode, validate};

/// Who is asking and how far their level reaches.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Access<'a> {
    /// The caller's member identifier (compared with `_info.enteredBy`).
    pub(crate) caller: &'a str,
    /// Level `My`: only the caller's own records (owned, assigned or entered; see
    /// [`super::visibility`]) are visible and writable.
    pub(crate) own_only: bool,
    /// Whether to report if records entered by others were involved (soft mode needs it).
    pub(crate) track_others: bool,
}

impl Access<'_> {
    /// Full access, tracking nothing (console and fixture loads).
    pub(crate) fn system() -> Access<'static> {
        Access { caller: "", own_only: false, track_others: false }
    }
}

/// The context of a write: who, when, where generated secrets come from, where links point.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteCtx<'a> {
    pub(crate) access: Access<'a>,
    pub(crate) now: i64,
    pub(crate) keys: &'a KeyGen,
    /// The API root for `_info` links in the rendered answer.
    pub(crate) base: &'a str,
}

/// A record seen through the query language.
pub(crate) struct RowView<'a> {
    pub(crate) rec: &'a Record,
    pub(crate) schema: &'static ObjectSchema,
    pub(crate) names: &'a Names,
}

impl<'a> Row<'a> for RowView<'a> {
    fn id(&self) -> i64 {
        i64::from(self.rec.id)
    }
    fn doc(&self) -> DocRef<'a> {
        self.rec.doc.view(self.schema)
    }
    fn meta(&self, field: MetaField) -> Val<'a> {
        let m = &self.rec.meta;
        match field {
            MetaField::DateEntered => Val::DateTime(m.entered_at),
            MetaField::LastUpdated => Val::DateTime(m.updated_at),
            MetaField::EnteredBy => Val::Str(self.names.name(m.entered_by)),
            MetaField::UpdatedBy => Val::Str(self.names.name(m.updated_by)),
        }
    }
}

/// Serializes a response body; our `Serialize` impls write to a `Vec` and cannot fail.
pub(crate) fn to_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a response failed");
        b"null".to_vec()
    })
}

/// The records of one page of a query, how many match in all, and whether any match was
/// entered by someone other than the caller.
pub(crate) fn select_page<'t>(
    table: &'t Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &'t Names,
) -> (Vec<&'t Record>, usize, bool) {
    select_visible(table, parent, q, access, names, &Visibility::entered_only(names.lookup(access.caller)))
}

/// [`select_page`] of the records `vis` lets the caller see, with its notion of "own".
pub(crate) fn select_visible<'t>(
    table: &'t Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &'t Names,
    vis: &Visibility<'_>,
) -> (Vec<&'t Record>, usize, bool) {
    let caller = names.lookup(access.caller);
    let after = q.paging.after_id.map_or(0, |a| u32::try_from(a.max(0)).unwrap_or(u32::MAX));
    let size = q.paging.size as usize;
    let skip = (q.paging.page as usize - 1).saturating_mul(size);
    let unfiltered = q.filters.is_empty()
        && q.custom.is_none()
        && parent.is_none()
        && !access.own_only
        && !vis.narrows()
        && !(access.track_others && vis.owns_beyond_entry());
    if unfiltered && q.order.is_by_id() && after == 0 {
        // The common case: no filter, id order. Paging is arithmetic over the sorted records,
        // and whether others' records are involved follows from per-member counts.
        let rows = table.iter_after(0);
        let total = rows.len();
        let others = access.track_others && total > table.entered_by(caller);
        return (rows.skip(skip).take(size).collect(), total, others);
    }
    // Filtered: the planner picks an index or scans (see `planner`).
    let mut scan = super::planner::Scan::new(table, parent, q);
    scan.run(table, parent, q, access, names, vis, None);
    let rows = scan.records(table, parent, q, access, names, vis);
    super::planner::order_and_page(table, rows, q, access, names, vis)
}

/// Lists a table: filter, order, page, render.
pub(crate) fn list_table(
    table: &Table,
    res: Option<Res>,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &Names,
    base: &str,
) -> Listed {
    list_visible(table, res, parent, q, access, names, base, &Visibility::entered_only(names.lookup(access.caller)))
}

/// [`list_table`] of the records `vis` lets the caller see.
#[allow(clippy::too_many_arguments)] // list_table's arguments and the visibility
fn list_visible(
    table: &Table,
    res: Option<Res>,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &Names,
    base: &str,
    vis: &Visibility<'_>,
) -> Listed {
    let (page, total, others) = select_visible(table, parent, q, access, names, vis);
    render_page(table, res, page, total, others, q, names, base)
}

/// Renders one page of a list.
#[allow(clippy::too_many_arguments)] // the parts of one answer, each needed
pub(crate) fn render_page(
    table: &Table,
    res: Option<Res>,
    page: Vec<&Record>,
    total: usize,
    others: bool,
    q: &BoundQuery,
    names: &Names,
    base: &str,
) -> Listed {
    let ctx = Ctx { base, names, board: None, company: None };
    let last_id = page.last().map(|r| r.id);
    let items: Vec<RecordJson<'_>> = page
        .into_iter()
        .map(|record| RecordJson { ctx, doc: record.doc.view(table.schema), record, res, fields: q.fields.as_ref() })
        .collect();
    Listed { body: write_list(&items), total, last_id, others }
}

/// One row of a (virtual) table, rendered.
pub(crate) fn get_row(table: &Table, id: u32, fields: Option<&Fields>, names: &Names, base: &str) -> Option<Vec<u8>> {
    let record = table.get(id)?;
    let ctx = Ctx { base, names, board: None, company: None };
    Some(write_one(&RecordJson { ctx, doc: record.doc.view(table.schema), record, res: None, fields }))
}

/// Counts the records of a table matching a query.
pub(crate) fn count_table(
    table: &Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &Names,
) -> (usize, bool) {
    count_visible(table, parent, q, access, names, &Visibility::entered_only(names.lookup(access.caller)))
}

/// [`count_table`] of the records `vis` lets the caller see.
pub(crate) fn count_visible(
    table: &Table,
    parent: Option<u32>,
    q: &BoundQuery,
    access: Access<'_>,
    names: &Names,
    vis: &Visibility<'_>,
) -> (usize, bool) {
    let caller = names.lookup(access.caller);
    if q.filters.is_empty() && q.custom.is_none() && parent.is_none() && !vis.narrows() && !vis.owns_beyond_entry() {
        // Unfiltered: the per-member counts answer without a scan.
        let mine = table.entered_by(caller);
        let total = table.iter_after(0).len();
        return if access.own_only { (mine, false) } else { (total, access.track_others && total > mine) };
    }
    let mut scan = super::planner::Scan::new(table, parent, q);
    scan.run(table, parent, q, access, names, vis, None);
    let rows = scan.records(table, parent, q, access, names, vis);
    let others = access.track_others && rows.iter().any(|r| !vis.owns(r));
    (rows.len(), others)
}

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
            Some(super::derived::Link::New(id)) => id,
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

    /// The write pipeline up to encoding: returns the object to store and the secret to hash.
    pub(super) fn prepare(
        &self,
        res: Res,
        parent: Option<u32>,
        body: Value,
        mode: Mode,
        id: Option<u32>,
        w: &WriteCtx<'_>,
    ) -> Result<(Map<String, Value>, Option<String>), StoreError> {
        let info = res.info();
        let schema = res.schema();
        let invalid = |errors| StoreError::Invalid { noun: info.noun, errors };
        let mut body = body;
        crate::validate::coerce(schema, &mut body);
        let mut errors = validate(schema, &body, mode);
        errors.extend(super::notes::check_note(res, &body));
        let Value::Object(mut obj) = body else { return Err(invalid(errors)) };
        for (name, default) in info.defaults {
            if !obj.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                obj.insert((*name).to_owned(), default.to_json());
            }
        }
        if let (Some((_, field)), Some(p)) = (info.parent, parent) {
            obj.retain(|k, _| !k.eq_ignore_ascii_case(field));
            // An id field (`agreementId`) or a reference (a board status's `board`).
            let is_ref = schema.prop(field).is_some_and(|(_, prop)| matches!(prop.ty, Type::Object(_)));
            let value = if is_ref { serde_json::json!({ "id": p }) } else { Value::from(p) };
            obj.insert(field.to_owned(), value);
        }
        let secret = match info.secret {
            Some(name) => {
                let key = obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
                key.and_then(|k| obj.remove(&k)).and_then(|v| v.as_str().map(str::to_owned)).filter(|s| !s.is_empty())
            }
            None => None,
        };
        // A new login needs a password; an update without one keeps the stored hash.
        if res == Res::IntegratorLogins && mode == Mode::Create && id.is_none() && secret.is_none() {
            errors.push(FieldError::new(
                FieldErrorCode::MissingRequiredField,
                "password",
                "password is required.".into(),
            ));
        }
        if errors.is_empty() {
            errors.extend(self.resolve_refs(res, &mut obj));
            errors.extend(self.check_unique(res, &obj, id));
            errors.extend(self.check_callback_entry(res, &mut obj, id, w));
            let derived = self.derive(res, &mut obj, w.now, w.access.caller);
            errors.extend(derived);
        }
        if errors.is_empty() { Ok((obj, secret)) } else { Err(invalid(errors)) }
    }

    fn check_unique(&self, res: Res, obj: &Map<String, Value>, id: Option<u32>) -> Option<FieldError> {
        let info = res.info();
        let field = info.unique?;
        let value = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(field)).and_then(|(_, v)| v.as_str())?;
        let taken = std::iter::once(res)
            .chain(info.unique_with.iter().copied())
            // Members and API members share one id sequence: the same id is the same person
            // (an API member and its `/system/members` twin).
            .any(|r| self.table(r).find_unique(value).is_some_and(|other| Some(other) != id));
        taken.then(|| {
            FieldError::new(FieldErrorCode::ObjectExists, field, format!("The {field} '{value}' is already in use."))
        })
    }

    /// Points every reference at an existing record (by `id`, or by its identifier or name)
    /// and copies the target's display fields into it. A reference to a child collection's
    /// record (a ticket's `status`) is looked up among the children of the parent the object
    /// also references (the ticket's `board`): a status of another board is refused.
    fn resolve_refs(&self, res: Res, obj: &mut Map<String, Value>) -> Vec<FieldError> {
        let schema = res.schema();
        let mut errors = Vec::new();
        let keys: Vec<String> = obj.keys().cloned().collect();
        // Parents first, so a scoped reference sees its parent resolved.
        let mut scoped = Vec::new();
        for pass in 0..2 {
            let keys = if pass == 0 { keys.clone() } else { std::mem::take(&mut scoped) };
            for key in keys {
                let Some((_, prop)) = schema.prop(&key) else { continue };
                let Type::Object(target_schema) = prop.ty else { continue };
                let ref_schema = crate::schema::SCHEMAS.get(target_schema);
                if !ref_schema.is_reference() {
                    continue;
                }
                let explicit =
                    res.info().refs.iter().find(|rf| rf.field.eq_ignore_ascii_case(&key)).map(|rf| rf.targets);
                let target = Res::for_reference(&ref_schema.name).map(|(t, _)| t);
                let scope = match (explicit, target.and_then(|t| t.info().parent)) {
                    (None, Some((parent, _))) => Some(self.scope_of(obj, parent)),
                    _ => None,
                };
                if pass == 0 && scope.is_some() {
                    scoped.push(key);
                    continue;
                }
                let Some(Value::Object(reference)) = obj.get_mut(&key) else { continue };
                let outcome = match (explicit, target) {
                    // A reference the collection fills itself (a new company's `site`).
                    (Some([]), _) => keep_unknown_ref(reference),
                    (Some(targets), _) => self.fill_record_ref(targets, reference, None, ref_schema),
                    (None, Some(t)) => self.fill_record_ref(&[t], reference, scope.flatten(), ref_schema),
                    (None, None) => keep_unknown_ref(reference),
                };
                if let Err(message) = outcome {
                    errors.push(FieldError::new(
                        FieldErrorCode::InvalidField,
                        format!("{}/id", prop.name),
                        format!("{}: {message}", prop.name),
                    ));
                }
            }
        }
        errors
    }

    /// The id of the `parent` record `obj` references (a ticket's `board`), if any.
    fn scope_of(&self, obj: &Map<String, Value>, parent: Res) -> Option<u32> {
        let name = parent.schema().name.as_str();
        let (_, v) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        let id = ref_id(v.as_object()?)?;
        self.table(parent).get(id).map(|_| id)
    }

    /// Resolves a reference into `targets`; `scope` keeps only children of that parent.
    fn fill_record_ref(
        &self,
        targets: &[Res],
        reference: &mut Map<String, Value>,
        scope: Option<u32>,
        ref_schema: &crate::schema::ObjectSchema,
    ) -> Result<(), String> {
        let id = ref_id(reference);
        let in_scope = |r: &super::table::Record| scope.is_none_or(|p| r.meta.parent == p);
        let found = match id {
            Some(id) => targets.iter().find_map(|&t| self.table(t).get(id).filter(|r| in_scope(r)).map(|r| (t, r.id))),
            None => {
                let by = ["identifier", "name"].iter().find_map(|f| ref_text(reference, f).map(|v| (*f, v)));
                let Some((field, value)) = by else { return Err("give an id".into()) };
                targets.iter().find_map(|&t| {
                    let table = self.table(t);
                    let unique = table.find_unique(value).filter(|&rid| table.get(rid).is_some_and(in_scope));
                    let scanned = || {
                        table.iter().find(|r| {
                            in_scope(r)
                                && named(r.doc.view(table.schema), field).is_some_and(|s| s.eq_ignore_ascii_case(value))
                        })
                    };
                    unique.or_else(|| scanned().map(|r| r.id)).map(|rid| (t, rid))
                })
            }
        };
        if found.is_none() {
            if let (Some(p), Some(t)) = (scope, targets.first()) {
                let shown = id.map_or_else(
                    || ["identifier", "name"].iter().find_map(|f| ref_text(reference, f)).unwrap_or("").to_owned(),
                    |i| i.to_string(),
                );
                let parent = t.info().parent.map_or("parent", |(pr, _)| pr.info().title);
                return Err(format!("{} {shown} does not belong to {parent} {p}", t.info().title));
            }
        }
        let Some((target, rid)) = found else {
            let shown = id.map_or_else(
                || ["identifier", "name"].iter().find_map(|f| ref_text(reference, f)).unwrap_or("").to_owned(),
                |i| i.to_string(),
            );
            return Err(format!("{} {shown} does not exist", targets.first().map_or("record", |t| t.info().title)));
        };
        reference.insert("id".into(), Value::from(rid));
        let doc = self.table(target).view(rid);
        let summary = matches!(target, Res::Members | Res::ApiMembers).then(|| self.member_summary(rid)).flatten();
        for (k, v) in reference.iter_mut() {
            let copied = match (k.as_str(), &summary, doc) {
                ("id" | "_info", _, _) => continue,
                ("name", Some(m), _) => Some(Value::String(m.name.clone())),
                (field, _, Some(d)) => match d.get_named(field) {
                    Some(val @ (Val::Str(_) | Val::Int(_) | Val::Num(_) | Val::Bool(_))) => Some(val.to_json()),
                    _ => None,
                },
                _ => None,
            };
            if let Some(c) = copied {
                *v = c;
            }
        }
        // Fill the display fields of the reference schema the client left out, from the
        // target: same-named fields, `sort` from `sortOrder`, a contact's name from its parts.
        let names: Vec<&str> = ref_schema
            .props
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !matches!(*n, "id" | "_info"))
            .filter(|n| !reference.keys().any(|k| k.eq_ignore_ascii_case(n)))
            .collect();
        for f in names {
            let v = match (f, &summary, doc) {
                ("name", Some(m), _) => Some(Value::String(m.name.clone())),
                (_, _, None) => None,
                ("sort", _, Some(d)) => d.get_named("sortOrder").map(|v| v.to_json()),
                ("name", _, Some(d)) if d.str("name").is_none() => {
                    let full =
                        [d.str("firstName"), d.str("lastName")].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    (!full.is_empty()).then_some(Value::String(full))
                }
                (f, _, Some(d)) => match d.get_named(f) {
                    Some(val @ (Val::Str(_) | Val::Int(_) | Val::Num(_) | Val::Bool(_))) => Some(val.to_json()),
                    _ => None,
                },
            };
            if let Some(v) = v {
                reference.insert(f.to_owned(), v);
            }
        }
        Ok(())
    }
}

/// A record's `field`; a `name` is a record's `description` when it has no name (contact
/// types, opportunity types).
fn named<'d>(doc: DocRef<'d>, field: &str) -> Option<&'d str> {
    doc.str(field).or_else(|| if field == "name" { doc.str("description") } else { None })
}

/// A reference to a table the mock knows nothing of: kept as the client sent it.
fn keep_unknown_ref(reference: &Map<String, Value>) -> Result<(), String> {
    if ref_id(reference).is_some() || ["identifier", "name"].iter().any(|f| ref_text(reference, f).is_some()) {
        Ok(())
    } else {
        Err("give an id".into())
    }
}

fn ref_id(reference: &Map<String, Value>) -> Option<u32> {
    reference
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("id"))
        .and_then(|(_, v)| v.as_u64())
        .and_then(|i| u32::try_from(i).ok())
}

fn ref_text<'a>(reference: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    reference
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(field))
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
}
