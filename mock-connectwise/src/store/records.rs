//! List, count, get, create, replace, patch and delete, the same for every collection.
//!
//! A write goes through one pipeline: defaults → the write-only secret set aside → schema
//! validation → references resolved (and their display fields filled in from the target) →
//! unique fields checked → encoded and stored. Every problem found is reported together in
//! one `InvalidObject`; nothing is stored unless all of it passes.

use serde_json::{Map, Value};

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
    let ctx = Ctx { base, names, board: None };
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
    let ctx = Ctx { base, names, board: None };
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
    /// A served setup table (`resources::LOOKUPS[index]`) as a table of its reference schema,
    /// so lists, counts, conditions and paging work as on any collection. Its rows are dated
    /// and signed like the tenant's first security role: they came with the tenant.
    pub(crate) fn lookup_table(
        &self,
        lookup: &crate::resources::Lookup,
        board: Option<u32>,
    ) -> Result<Table, StoreError> {
        if lookup.path.contains("{parentId}") {
            let board = board.unwrap_or(0);
            if self.table(Res::Boards).get(board).is_none() {
                return Err(StoreError::NotFound(format!("Board {board}")));
            }
        }
        let schema = crate::schema::schema(lookup.schema);
        let meta = self.table(Res::SecurityRoles).iter().next().map_or(
            Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 },
            |r| Meta { parent: 0, ..r.meta },
        );
        let mut table = Table::new(schema, None);
        for row in self.lookups.get(lookup.schema).into_iter().flatten() {
            let Some(id) = row.get("id").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok()) else { continue };
            table.insert(Record::new(id, meta, Doc::encode(schema, row)));
        }
        Ok(table)
    }

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
        let ctx = Ctx { base, names: &self.names, board: None };
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
        let id = self.next_id(res);
        let (now, keys, base) = (w.now, w.keys, w.base);
        // The company's main site is made with it and shares its id (assumption A13.5).
        if let (Res::Companies, Some(Value::Object(site))) = (res, obj.get_mut("site")) {
            site.entry("id").or_insert(Value::from(id));
        }
        let by = self.names.intern(w.access.caller);
        let meta =
            Meta { entered_at: now, updated_at: now, entered_by: by, updated_by: by, parent: parent.unwrap_or(0) };
        let table = self.table_mut(res);
        table.insert(Record::new(id, meta, Doc::encode(table.schema, &obj)));
        self.after_create(res, id, secret, keys);
        self.sync_api_member(res, id);
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
        self.table_mut(res).remove(id);
        self.secrets.remove(&(res, id));
        if res == Res::SecurityRoles {
            self.levels.remove(&id);
        }
        // Child records go with their parent (agreement additions).
        for child in Res::ALL.into_iter().filter(|c| c.info().parent.is_some_and(|(p, _)| p == res)) {
            let ids: Vec<u32> = self.table(child).iter().filter(|r| r.meta.parent == id).map(|r| r.id).collect();
            for cid in ids {
                self.table_mut(child).remove(cid);
            }
        }
        Ok(others)
    }

    /// Records that reference `res` `id` (a delete of it would leave them dangling).
    fn referrers(&self, res: Res, id: u32) -> Vec<String> {
        let mut users = Vec::new();
        for other in Res::ALL {
            let info = other.info();
            for rf in info.refs.iter().filter(|rf| rf.targets.contains(&res)) {
                let table = self.table(other);
                let Some((key, _)) = table.schema.prop(rf.field) else { continue };
                let n = table
                    .iter()
                    .filter(|r| matches!(r.doc.view(table.schema).get(key), Some(Val::Obj(d)) if d.int("id") == Some(i64::from(id))))
                    .count();
                if n > 0 {
                    users.push(format!("{n} {}{}", info.noun, if n == 1 { "" } else { "s" }));
                }
            }
        }
        users
    }

    /// The write pipeline up to encoding: returns the object to store and the secret to hash.
    fn prepare(
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
        let mut errors = validate(schema, &body, mode);
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
            self.derive(res, &mut obj, w.now, w.access.caller);
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
    /// and copies the target's display fields into it.
    fn resolve_refs(&self, res: Res, obj: &mut Map<String, Value>) -> Vec<FieldError> {
        let schema = res.schema();
        let mut errors = Vec::new();
        let keys: Vec<String> = obj.keys().cloned().collect();
        for key in keys {
            let Some((_, prop)) = schema.prop(&key) else { continue };
            let Type::Object(target_schema) = prop.ty else { continue };
            let ref_schema = crate::schema::SCHEMAS.get(target_schema);
            if !ref_schema.is_reference() {
                continue;
            }
            let Some(Value::Object(reference)) = obj.get_mut(&key) else { continue };
            let targets = res.info().refs.iter().find(|rf| rf.field.eq_ignore_ascii_case(&key)).map(|rf| rf.targets);
            let outcome = match targets {
                Some(targets) => self.fill_record_ref(targets, reference),
                None => self.fill_lookup_ref(&ref_schema.name, reference),
            };
            if let Err(message) = outcome {
                errors.push(FieldError::new(
                    FieldErrorCode::InvalidField,
                    format!("{}/id", prop.name),
                    format!("{}: {message}", prop.name),
                ));
            }
        }
        errors
    }

    fn fill_record_ref(&self, targets: &[Res], reference: &mut Map<String, Value>) -> Result<(), String> {
        let id = ref_id(reference);
        let found = match id {
            Some(id) => targets.iter().find_map(|&t| self.table(t).get(id).map(|r| (t, r.id))),
            None => {
                let by = ["identifier", "name"].iter().find_map(|f| ref_text(reference, f));
                let Some(value) = by else { return Err("give an id".into()) };
                targets.iter().find_map(|&t| self.table(t).find_unique(value).map(|rid| (t, rid)))
            }
        };
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
        // Fill display fields the client left out.
        let ref_fields: &[&str] = match target {
            Res::Members | Res::ApiMembers => &["identifier", "name"],
            Res::Companies => &["identifier", "name"],
            Res::Catalog => &["identifier"],
            Res::Tickets => &["summary"],
            _ => &["name"],
        };
        for f in ref_fields {
            if reference.contains_key(*f) {
                continue;
            }
            let v = match (*f, &summary, doc) {
                ("name", Some(m), _) => Some(Value::String(m.name.clone())),
                (f, _, Some(d)) => d.str(f).map(|s| Value::String(s.to_owned())),
                _ => None,
            };
            if let Some(v) = v {
                reference.insert((*f).to_owned(), v);
            }
        }
        Ok(())
    }

    fn fill_lookup_ref(&self, ref_schema: &str, reference: &mut Map<String, Value>) -> Result<(), String> {
        let Some(rows) = self.lookups.get(ref_schema) else {
            // A table the mock knows nothing of: keep what the client sent.
            return if ref_id(reference).is_some()
                || ["identifier", "name"].iter().any(|f| ref_text(reference, f).is_some())
            {
                Ok(())
            } else {
                Err("give an id".into())
            };
        };
        let row = match ref_id(reference) {
            Some(id) => rows.iter().find(|r| r.get("id").and_then(Value::as_u64) == Some(u64::from(id))),
            None => {
                let Some((f, value)) =
                    ["identifier", "name"].iter().find_map(|f| ref_text(reference, f).map(|v| (*f, v)))
                else {
                    return Err("give an id".into());
                };
                rows.iter().find(|r| r.get(f).and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(value)))
            }
        };
        let Some(row) = row else {
            return Err(format!(
                "no {} matches {}",
                ref_schema.trim_end_matches("Reference"),
                Value::Object(reference.clone())
            ));
        };
        for (k, v) in row {
            reference.insert(k.clone(), v.clone());
        }
        Ok(())
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
