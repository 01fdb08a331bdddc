//! Which records a caller sees, and which are its own, beyond its role's levels (issue 16).
//!
//! - **Own** (what `My` allows): records the caller entered and, per collection, the ones it
//!   owns or is assigned to: a ticket's `owner`, and the member identifiers listed in its
//!   `resources` (docs/assumptions.md A10, A16.1).
//! - **The member's level**: a member or API member whose `structureLevel` is below Corporate
//!   sees only the records of its `securityLocation`: companies by `territory`, tickets by
//!   `location` (A16.2), and agreements and tickets of a company it does not see. A record
//!   with no location is seen at every level.
//! - **Excluded boards**: the member's `excludedServiceBoardIds` hide those boards and the
//!   tickets on them (A16.3).
//!
//! A record the caller does not see is left out of lists and counts and is 404 by id, as if it
//! did not exist. Callers that are no member (the console, fixture loads) see everything.
//! Each rule is a table by collection, so covering another collection is one line.

use super::table::Record;
use super::tenant::Tenant;
use crate::doc::{DocRef, Val};
use crate::resources::Res;
use crate::schema::ObjectSchema;
use crate::store::records::Access;

/// A member reference naming the record's owner.
const OWNER: &[(Res, &str)] = &[(Res::Tickets, "owner")];
/// A text field listing the member identifiers assigned to the record (comma separated).
const ASSIGNED: &[(Res, &str)] = &[(Res::Tickets, "resources")];
/// The system-location reference that places a record at a location.
const LOCATION: &[(Res, &str)] = &[(Res::Companies, "territory"), (Res::Tickets, "location")];
/// The company reference of a record: a company the caller does not see hides it too.
const COMPANY: &[(Res, &str)] = &[(Res::Agreements, "company"), (Res::Tickets, "company")];
/// The board reference of a record (a board itself is matched by its id).
const BOARD: &[(Res, &str)] = &[(Res::Tickets, "board")];

/// The part of a member's record that limits what it sees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Below Corporate: the one location whose records the member sees (`None`: no location
    /// is set, so only records without one).
    pub(crate) location: Option<Option<u32>>,
    /// `excludedServiceBoardIds`.
    pub(crate) excluded_boards: Vec<u32>,
}

fn ref_id(v: Option<Val<'_>>) -> Option<u32> {
    match v {
        Some(Val::Obj(r)) => r.int("id").and_then(|i| u32::try_from(i).ok()),
        _ => None,
    }
}

impl Scope {
    /// A member's scope from its record (`Member` or `ApiMember`). `structureLevel` is
    /// Corporate when unset, named "Corporate ..." or of id 1 ("Corporate (Level 1)").
    pub(crate) fn of(doc: DocRef<'_>) -> Self {
        let corporate = match doc.get_named("structureLevel") {
            Some(Val::Obj(level)) => match (level.str("name"), level.int("id")) {
                (Some(name), _) if !name.trim().is_empty() => name.to_ascii_lowercase().contains("corporate"),
                (_, Some(id)) => id == 1,
                _ => true,
            },
            _ => true,
        };
        let excluded_boards = match doc.get_named("excludedServiceBoardIds") {
            Some(Val::Arr(ids)) => ids
                .iter()
                .filter_map(|v| match v {
                    Val::Int(i) => u32::try_from(i).ok(),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let location = (!corporate).then(|| ref_id(doc.get_named("securityLocation")));
        Self { location, excluded_boards }
    }
}

fn key(table: &[(Res, &str)], res: Res, schema: &ObjectSchema) -> Option<u16> {
    let (_, field) = table.iter().find(|(r, _)| *r == res)?;
    schema.prop(field).map(|(k, _)| k)
}

/// How one caller sees one collection.
#[derive(Debug)]
pub(crate) struct Visibility<'a> {
    schema: Option<&'static ObjectSchema>,
    /// The caller as `_info.enteredBy` (interned), if it ever entered anything.
    entered: Option<u32>,
    identifier: &'a str,
    member: Option<u32>,
    owner: Option<u16>,
    assigned: Option<u16>,
    /// The location field and the location seen, when the caller is below Corporate.
    location: Option<(u16, Option<u32>)>,
    /// The company field and the companies hidden (sorted), when the caller is below Corporate.
    companies: Option<(u16, Vec<u32>)>,
    /// The board field (`None`: the record is a board) and the boards hidden.
    boards: Option<(Option<u16>, Vec<u32>)>,
}

impl<'a> Visibility<'a> {
    /// Every record seen; own = entered by the caller (virtual tables, reports).
    pub(crate) fn entered_only(entered: Option<u32>) -> Self {
        Self {
            schema: None,
            entered,
            identifier: "",
            member: None,
            owner: None,
            assigned: None,
            location: None,
            companies: None,
            boards: None,
        }
    }

    /// Whether some records may be hidden (so counts cannot be answered from indexes).
    pub(crate) fn narrows(&self) -> bool {
        self.location.is_some() || self.companies.is_some() || self.boards.is_some()
    }

    /// Whether "own" reaches beyond "entered by" for this collection.
    pub(crate) fn owns_beyond_entry(&self) -> bool {
        self.owner.is_some() || self.assigned.is_some()
    }

    /// Whether the caller sees the record at all.
    pub(crate) fn sees(&self, rec: &Record) -> bool {
        let Some(schema) = self.schema else { return true };
        let doc = rec.doc.view(schema);
        if let Some((field, seen)) = self.location {
            let at = ref_id(doc.get(field));
            if at.is_some() && at != seen {
                return false;
            }
        }
        if let Some((field, hidden)) = &self.companies {
            if ref_id(doc.get(*field)).is_some_and(|c| hidden.binary_search(&c).is_ok()) {
                return false;
            }
        }
        if let Some((field, hidden)) = &self.boards {
            let board = match field {
                Some(f) => ref_id(doc.get(*f)),
                None => Some(rec.id),
            };
            if board.is_some_and(|b| hidden.contains(&b)) {
                return false;
            }
        }
        true
    }

    /// Whether the record is the caller's own: entered by it, or owned by or assigned to it.
    pub(crate) fn owns(&self, rec: &Record) -> bool {
        if self.entered.is_some() && Some(rec.meta.entered_by) == self.entered {
            return true;
        }
        let Some(schema) = self.schema else { return false };
        if self.identifier.is_empty() {
            return false;
        }
        let doc = rec.doc.view(schema);
        let owner = self.owner.and_then(|k| match doc.get(k) {
            Some(Val::Obj(r)) => Some((r.int("id"), r.str("identifier"))),
            _ => None,
        });
        let owned = owner.is_some_and(|(id, ident)| match (id, self.member) {
            (Some(id), Some(me)) => id == i64::from(me),
            _ => ident.is_some_and(|i| i.eq_ignore_ascii_case(self.identifier)),
        });
        let assigned = self.assigned.is_some_and(|k| match doc.get(k) {
            Some(Val::Str(list)) => list.split([',', ';']).any(|m| m.trim().eq_ignore_ascii_case(self.identifier)),
            _ => false,
        });
        owned || assigned
    }
}

impl Tenant {
    /// How the caller of `access` sees `res`.
    pub(crate) fn visibility<'a>(&self, res: Res, access: Access<'a>) -> Visibility<'a> {
        let schema = res.schema();
        let member = self.member_by_identifier(access.caller);
        let scope = member.and_then(|(r, id)| self.table(r).view(id)).map(Scope::of).unwrap_or_default();
        let location = scope.location.and_then(|seen| key(LOCATION, res, schema).map(|k| (k, seen)));
        let companies = scope.location.and_then(|seen| {
            let field = key(COMPANY, res, schema)?;
            let table = self.table(Res::Companies);
            let territory = table.schema.prop(LOCATION[0].1)?.0;
            let hidden: Vec<u32> = table
                .iter()
                .filter(|c| ref_id(c.doc.view(table.schema).get(territory)).is_some_and(|t| Some(t) != seen))
                .map(|c| c.id)
                .collect();
            Some((field, hidden))
        });
        let board_field = if res == Res::Boards { Some(None) } else { key(BOARD, res, schema).map(Some) };
        let boards =
            board_field.filter(|_| !scope.excluded_boards.is_empty()).map(|f| (f, scope.excluded_boards.clone()));
        Visibility {
            schema: Some(schema),
            entered: self.names.lookup(access.caller),
            identifier: access.caller,
            member: member.map(|(_, id)| id),
            owner: key(OWNER, res, schema),
            assigned: key(ASSIGNED, res, schema),
            location,
            companies,
            boards,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Doc;
    use serde_json::json;

    fn scope(member: serde_json::Value) -> Scope {
        let schema = Res::ApiMembers.schema();
        let doc = Doc::encode(schema, member.as_object().unwrap());
        Scope::of(doc.view(schema))
    }

    #[test]
    fn corporate_is_the_default_and_a_location_level_sees_its_security_location() {
        assert_eq!(scope(json!({"identifier": "a"})).location, None);
        assert_eq!(scope(json!({"structureLevel": {"id": 1, "name": "Corporate (Level 1)"}})).location, None);
        assert_eq!(scope(json!({"structureLevel": {"id": 1}})).location, None);
        let located = scope(json!({"structureLevel": {"id": 2, "name": "Location"}, "securityLocation": {"id": 7}}));
        assert_eq!(located.location, Some(Some(7)));
        assert_eq!(scope(json!({"structureLevel": {"name": "Sales (Level 3)"}})).location, Some(None));
    }

    #[test]
    fn excluded_board_ids_are_read_from_the_member() {
        assert_eq!(scope(json!({"excludedServiceBoardIds": [3, 5]})).excluded_boards, vec![3, 5]);
        assert!(scope(json!({})).excluded_boards.is_empty());
    }

    #[test]
    fn every_field_of_the_tables_exists_in_its_schema() {
        assert_eq!(LOCATION[0].0, Res::Companies, "companies' location field comes first");
        for table in [OWNER, ASSIGNED, LOCATION, COMPANY, BOARD] {
            for (res, field) in table {
                assert!(res.schema().prop(field).is_some(), "{}.{field}", res.info().schema);
            }
        }
    }
}
