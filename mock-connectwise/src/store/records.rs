//! List, count, get, create, replace, patch and delete, the same for every collection.
//!
//! A write goes through one pipeline: defaults → the write-only secret set aside → schema
//! validation → references resolved (and their display fields filled in from the target) →
//! unique fields checked → encoded and stored. Every problem found is reported together in
//! one `InvalidObject`; nothing is stored unless all of it passes.

use super::Listed;
use super::secrets::KeyGen;
use super::table::{Names, Record, Table};
use super::visibility::Visibility;
use crate::doc::{DocRef, Val};
use crate::query::BoundQuery;
use crate::query::filter::{MetaField, Row};
use crate::query::shape::Fields;
use crate::resources::Res;
use crate::schema::ObjectSchema;
use crate::store::render::{Ctx, RecordJson, write_list, write_one};

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
pub(super) fn list_visible(
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
