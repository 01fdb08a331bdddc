//! What each family of the API does beyond the generic layer: the actions (`…/copy`,
//! `…/attachChildren`, `…/merge`, `…/approve`, `…/defaults`, …) whose name, parameters and
//! schema make their effect on the stored records clear. One small module per family, as
//! LocalStack keeps one provider per service over its generated API layer; each module maps
//! the operations of its family to an [`Effect`], the api layer (`api::actions`) carries the
//! effect out on the store. An operation no module claims answers a schema-valid body of
//! its official response (docs/assumptions.md A24.2).

mod company;
mod configurations;
mod expense;
mod finance;
mod marketing;
mod procurement;
mod project;
mod sales;
mod schedule;
mod service;
mod system;
mod time;

use super::Res;
use super::registry::{Registry, path_key};

/// What an action does to the stored records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A new record of the collection, made from the record the path (or the body's `id`)
    /// names, the body's `name` over it; answered as the collection answers a record.
    Copy(Res),
    /// Sets `field` of the record the path names to `value` (a status transition).
    SetStatus { res: Res, field: &'static str, value: &'static str },
    /// Each record whose id the body's `list` holds gets the named record's id in `field`
    /// (a ticket's `attachChildren`: the children's `parentTicketId`).
    Attach { res: Res, list: &'static str, field: &'static str },
    /// Each record whose id the body's `list` holds takes the body's `status` (a closed one
    /// closes it) and points at the named record through `mergedParentTicket` (a ticket's
    /// `merge`).
    Merge { res: Res, list: &'static str },
    /// The collection's values for a new record with the body over them, nothing stored
    /// (`POST /time/entries/defaults`).
    Defaults(Res),
    /// The named record is merged into the one the body's `into` names: every top-level
    /// record whose `company` is the named one points at the other instead, and the named one
    /// takes `deletedFlag` (a company's `merge`, `CompanyMerge { toCompanyId }`).
    MergeInto { res: Res, into: &'static str },
    /// A new record of `to` made from the named record of `from` (its company, contact and
    /// name, the body's fields over them), which takes a won status where one is stored; the
    /// new record is answered (an opportunity's `convertTo…`).
    Convert { from: Res, to: Res, name: &'static str },
    /// The collection listed as its `GET` lists it, with the body's `FilterValues`
    /// (`conditions`, `orderBy`, `childConditions`, `customFieldConditions`) over the URL's
    /// (`POST /service/tickets/search`).
    Search(Res),
    /// Many records of the collection created, replaced or deleted in one call, each on its
    /// own, answered as `BulkResult` (`…/bulk`).
    Bulk(Res),
    /// `{ "success": true }`: a check or a request the mock has nothing behind
    /// (`…/testConnection`, `…/validatePortalCredentials`).
    Succeed,
}

/// The collection stored at `path` (any placeholder names, any case).
pub(crate) fn at(reg: &Registry, path: &str) -> Option<Res> {
    reg.by_path.get(&path_key(path)).copied()
}

/// `path` without its placeholders' names, lower case: `/service/tickets/{}/merge`.
pub(super) fn shape(path: &str) -> String {
    path_key(path)
}

/// The effect the family module of `path` gives `method` on it.
pub(super) fn effect(reg: &Registry, method: &str, path: &str) -> Option<Effect> {
    let key = shape(path);
    let family = key.trim_start_matches('/').split('/').next().unwrap_or("");
    let found = match family {
        "company" if key.starts_with("/company/configurations") => configurations::effect(reg, method, &key),
        "company" => company::effect(reg, method, &key),
        "finance" => finance::effect(reg, method, &key),
        "procurement" => procurement::effect(reg, method, &key),
        "project" => project::effect(reg, method, &key),
        "sales" => sales::effect(reg, method, &key),
        "schedule" => schedule::effect(reg, method, &key),
        "service" => service::effect(reg, method, &key),
        "system" => system::effect(reg, method, &key),
        "time" => time::effect(reg, method, &key),
        "expense" => expense::effect(reg, method, &key),
        "marketing" => marketing::effect(reg, method, &key),
        _ => None,
    };
    found.or_else(|| generic(reg, method, &key))
}

/// Actions every family shares by name: `POST {collection}/{id}/copy` copies a record of
/// that collection; `POST {collection}/search` lists it; `{collection}/bulk` writes many of
/// its records; a `…/testConnection`, `…/testLink` or `…/validate…` is a check.
fn generic(reg: &Registry, method: &str, key: &str) -> Option<Effect> {
    let (head, last) = key.rsplit_once('/')?;
    if last == "bulk" && matches!(method, "POST" | "PUT" | "DELETE") {
        return at(reg, head).map(Effect::Bulk);
    }
    if method != "POST" {
        return None;
    }
    if last == "search" {
        return at(reg, head).map(Effect::Search);
    }
    if last == "copy" {
        let collection = head.strip_suffix("/{}").unwrap_or(head);
        return at(reg, collection).map(Effect::Copy);
    }
    let check = last.starts_with("test") || last.starts_with("validate");
    check.then_some(Effect::Succeed)
}

/// Every effect's assumption row (docs/assumptions.md), for the coverage document.
pub(crate) fn assumption(effect: Option<Effect>) -> &'static str {
    match effect {
        Some(Effect::Copy(_)) => "A24.3",
        Some(Effect::SetStatus { .. }) => "A24.4",
        Some(Effect::Attach { .. } | Effect::Merge { .. }) => "A24.5",
        Some(Effect::Defaults(_)) => "A24.6",
        Some(Effect::Succeed) => "A24.7",
        Some(Effect::MergeInto { .. }) => "A24.20",
        Some(Effect::Convert { .. }) => "A24.21",
        Some(Effect::Search(_)) => "A24.32",
        Some(Effect::Bulk(_)) => "A24.33",
        None => "A24.2",
    }
}
