//! Service: a ticket's `recordType`, board, default status and closing from its status; a
//! board status closed by ConnectWise's `>` naming; a note's author and date.

use serde_json::{Map, Value, json};

use super::{get, has, set};
use crate::resources::Res;
use crate::store::tenant::Tenant;

/// A note's `dateCreated` and `createdBy`: when and by whom it was written, unless given
/// (a fixture's history).
pub(super) fn derive_note(obj: &mut Map<String, Value>, now: i64, by: &str) {
    if !has(obj, "dateCreated") {
        set(obj, "dateCreated", json!(crate::datetime::format(now)));
    }
    if !has(obj, "createdBy") {
        set(obj, "createdBy", json!(by));
    }
}

/// A board status named `>Closed` is a closed status unless it says otherwise: ConnectWise's
/// naming convention for closed statuses, stored as `closedStatus` so that filtering on it
/// and closing tickets agree (assumption A25.4).
pub(super) fn derive_board_status(obj: &mut Map<String, Value>) {
    if !has(obj, "closedStatus") {
        let named = get(obj, "name").and_then(Value::as_str).is_some_and(|n| n.starts_with('>'));
        set(obj, "closedStatus", Value::Bool(named));
    }
}

impl Tenant {
    pub(super) fn derive_ticket(&self, obj: &mut Map<String, Value>, now: i64, by: &str) {
        if !has(obj, "recordType") {
            set(obj, "recordType", json!("ServiceTicket"));
        }
        if !has(obj, "board") {
            // A ticket without a board goes to the first active service board (A15.3).
            if let Some(b) = self.first_board(false) {
                set(obj, "board", b);
            }
        }
        self.status_and_closing(obj, now, by);
    }

    /// A project ticket: on the first active project board unless given, with the board's
    /// default status and closing as a service ticket's.
    pub(super) fn derive_project_ticket(&self, obj: &mut Map<String, Value>, now: i64, by: &str) {
        if !has(obj, "recordType") {
            set(obj, "recordType", json!("ProjectTicket"));
        }
        if !has(obj, "board") {
            if let Some(b) = self.first_board(true) {
                set(obj, "board", b);
            }
        }
        self.status_and_closing(obj, now, by);
    }

    /// The first active board, a project board or a service board, as `{id, name}`.
    fn first_board(&self, project: bool) -> Option<Value> {
        let boards = self.table(Res::Boards);
        let b = boards.iter().find(|r| {
            let d = r.doc.view(boards.schema);
            let flag = |f: &str| d.get_named(f).is_some_and(|v| v.to_json() == json!(true));
            !flag("inactiveFlag") && flag("projectFlag") == project
        })?;
        let name = b.doc.view(boards.schema).str("name").unwrap_or("").to_owned();
        Some(json!({ "id": b.id, "name": name }))
    }

    /// The board's default status when none is given (A15.3); `closedFlag`, `closedDate`
    /// and `closedBy` from the status.
    fn status_and_closing(&self, obj: &mut Map<String, Value>, now: i64, by: &str) {
        let board = super::ref_id(obj, "board");
        if !has(obj, "status") {
            if let Some(status) = board.and_then(|b| self.default_of(Res::BoardStatuses, Some(b))) {
                set(obj, "status", status);
            }
        }
        let Some(row) = self.referenced(Res::BoardStatuses, obj.get("status")) else { return };
        // A status is closed when its board says so (`closedStatus`), or by ConnectWise's
        // `>Closed` naming when the board leaves it unset.
        let closed = row
            .get("closedStatus")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| row.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with('>')));
        set(obj, "closedFlag", Value::Bool(closed));
        if closed {
            if !has(obj, "closedDate") {
                set(obj, "closedDate", json!(crate::datetime::format(now)));
            }
            if !has(obj, "closedBy") {
                set(obj, "closedBy", json!(by));
            }
        } else {
            obj.retain(|k, _| !k.eq_ignore_ascii_case("closedDate") && !k.eq_ignore_ascii_case("closedBy"));
        }
    }
}
