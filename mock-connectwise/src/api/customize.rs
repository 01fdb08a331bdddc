//! Customize allow-lists: which sub-item of a security-role row a route belongs to, and the
//! check that a role whose row carries a Customize list lists it.
//!
//! ConnectWise's Security Roles screen lets a row such as System > Table Setup be limited to
//! named setup tables ("Service / Service Board", "Service / Priority", ...; 16 vendors of
//! `shared/reference/vendor-roles.json` set one). [`SETUP_ITEMS`] maps the mock's collections
//! to those names; a collection's child routes (a board's statuses) belong to the same item.
//! Adding a setup table the mock serves is one line there.

use super::auth::Permit;
use super::error::ApiError;
use super::routes::Endpoint;
use crate::resources::Res;
use crate::store::Caller;
use cw_model::{Action, Function};

/// Collections that are a sub-item of their row's Customize list, as the UI names the item.
pub(crate) const SETUP_ITEMS: &[(Res, &str)] =
    &[(Res::Boards, "Service / Service Board"), (Res::Priorities, "Service / Priority")];

/// The collection an endpoint serves, if it serves one.
fn resource(endpoint: Endpoint) -> Option<Res> {
    use Endpoint as E;
    match endpoint {
        E::List(r) | E::Count(r) | E::Create(r) | E::Get(r) | E::Replace(r) | E::Patch(r) | E::Delete(r) => Some(r),
        _ => None,
    }
}

/// The Customize sub-item of a collection: its own entry, else its parent's.
pub(crate) fn item_of(res: Res) -> Option<&'static str> {
    let own = SETUP_ITEMS.iter().find(|(r, _)| *r == res).map(|(_, item)| *item);
    own.or_else(|| res.info().parent.and_then(|(parent, _)| item_of(parent)))
}

/// The Customize sub-item a route belongs to, if any.
pub(crate) fn setup_item(endpoint: Endpoint) -> Option<&'static str> {
    resource(endpoint).and_then(item_of)
}

/// Narrows a level permit by the row's Customize list: a route whose sub-item the list leaves
/// out is refused with a 403 naming the row and the item (in soft mode: allowed, and recorded
/// as would-be refused).
pub(crate) fn permit(
    caller: &Caller,
    needs: Option<(Function, Action)>,
    endpoint: Endpoint,
    permit: Permit,
    soft: bool,
) -> Result<Permit, ApiError> {
    let (Some((function, _)), Some(item)) = (needs, setup_item(endpoint)) else { return Ok(permit) };
    if caller.levels.covers_item(function, item) {
        return Ok(permit);
    }
    if soft {
        return Ok(Permit { would_refuse: true, ..permit });
    }
    Err(refusal(caller, function, item))
}

/// The 403 of a sub-item missing from a Customize list.
pub(crate) fn refusal(caller: &Caller, function: Function, item: &str) -> ApiError {
    let listed = caller.levels.customize(function).map(|items| items.iter().cloned().collect::<Vec<_>>().join(", "));
    let role = caller.role.as_ref().map_or_else(String::new, |(_, name)| format!("'{name}' "));
    ApiError::forbidden(format!(
        "{function}: {item} is not in the role's Customize list (security role {role}lists: {})",
        listed.unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setup_item_belongs_to_a_collection_governed_by_table_setup() {
        for (res, item) in SETUP_ITEMS {
            assert_eq!(res.info().function, Function::TableSetup, "{item}");
            assert!(item.contains(" / "), "{item} is not named as the UI names it");
        }
    }

    #[test]
    fn boards_and_priorities_are_separate_items_and_tickets_none() {
        assert_eq!(setup_item(Endpoint::List(Res::Boards)), Some("Service / Service Board"));
        assert_eq!(setup_item(Endpoint::Delete(Res::Priorities)), Some("Service / Priority"));
        assert_eq!(setup_item(Endpoint::Get(Res::BoardStatuses)), Some("Service / Service Board"), "a board's child");
        assert_eq!(setup_item(Endpoint::List(Res::Tickets)), None);
        assert_eq!(setup_item(Endpoint::MySecurity), None);
    }
}
