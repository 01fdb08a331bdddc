//! Ticket notes the server writes and checks itself.
//!
//! - A new ticket's `initialDescription`, `initialInternalAnalysis` and `initialResolution`
//!   become its first notes (`/service/tickets/{id}/notes`), flagged
//!   `detailDescriptionFlag`, `internalAnalysisFlag` and `resolutionFlag` as ConnectWise's
//!   ticket screen shows them (assumption A15.10).
//! - A note needs `text`: the official schema marks nothing required, but ConnectWise refuses
//!   an empty note (assumption A15.11).
//!
//! Notes are listed like every child collection, oldest first by id unless `orderBy` says
//! otherwise (assumption A15.12). `dateCreated` and `createdBy` are filled by
//! [`super::derived`].
//!
//! A ticket's `allNotes` ([`Tenant::all_notes`]) are the notes of the ticket and of its child
//! tickets (`parentTicketId`), then the notes of the time entries charged to them, each with
//! its `noteType` and `ticket`, oldest first (assumption A25.11).

use serde_json::{Map, Value, json};

use super::records::WriteCtx;
use super::tenant::Tenant;
use crate::resources::Res;
use crate::validate::{FieldError, FieldErrorCode};

/// The schemas of ticket notes, whose `text` is required.
const NOTE_SCHEMAS: [&str; 2] = ["ServiceNote", "ProjectTicketNote"];

/// The ticket fields that become notes on creation, with the flag each note gets.
const INITIAL_NOTES: [(&str, &str); 3] = [
    ("initialDescription", "detailDescriptionFlag"),
    ("initialInternalAnalysis", "internalAnalysisFlag"),
    ("initialResolution", "resolutionFlag"),
];

/// The collection of a service ticket's notes.
pub(crate) fn ticket_notes() -> Option<Res> {
    Res::at_path("/service/tickets/{parentId}/notes")
}

/// The server's own rule on a note body: `text` is given and not blank. Checked on create,
/// replace and on the result of a patch.
pub(crate) fn check_note(res: Res, body: &Value) -> Option<FieldError> {
    if !NOTE_SCHEMAS.contains(&res.schema().name.as_str()) {
        return None;
    }
    let Value::Object(obj) = body else { return None };
    let text = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("text")).map(|(_, v)| v);
    let given = text.and_then(Value::as_str).is_some_and(|t| !t.trim().is_empty());
    (!given).then(|| FieldError::new(FieldErrorCode::MissingRequiredField, "text", "text is required.".into()))
}

impl Tenant {
    /// After service ticket `id` is created: its initial description (then internal analysis
    /// and resolution) are stored as its first notes, entered by the ticket's creator.
    pub(crate) fn after_ticket_created(&mut self, id: u32, w: &WriteCtx<'_>) {
        let Some(notes) = ticket_notes() else { return };
        let Some(ticket) = self.table(Res::Tickets).view(id).map(|d| d.to_json()) else { return };
        for (field, flag) in INITIAL_NOTES {
            let Some(text) = ticket.get(field).and_then(Value::as_str).filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let mut note = Map::new();
            note.insert("text".into(), Value::from(text));
            note.insert(flag.into(), Value::Bool(true));
            // A note the server writes for a valid ticket is valid; nothing to report if not.
            let _ = self.create(notes, Some(id), Value::Object(note), w);
        }
    }
}

/// How many notes an `allNotes` answer holds at most (a ticket with thousands of children
/// stays bounded).
pub(crate) const MAX_ALL_NOTES: usize = 10_000;

impl Tenant {
    /// The notes of ticket `id` of `tickets` (service or project tickets) and of its child
    /// tickets, then its time entries' notes, as `ProjectTicketNote`s.
    pub(crate) fn all_notes(&self, tickets: Res, id: u32) -> Vec<Value> {
        let notes_path = if tickets == Res::Tickets {
            "/service/tickets/{parentId}/notes"
        } else {
            "/project/tickets/{parentId}/notes"
        };
        let table = self.table(tickets);
        let summary = |t: u32| table.view(t).and_then(|d| d.str("summary").map(str::to_owned)).unwrap_or_default();
        let mut family: Vec<u32> = vec![id];
        family.extend(
            table
                .iter()
                .filter(|r| r.doc.view(table.schema).int("parentTicketId") == Some(i64::from(id)))
                .map(|r| r.id),
        );
        let mut out = Vec::new();
        if let Some(notes) = Res::at_path(notes_path) {
            let nt = self.table(notes);
            for rec in nt.iter().filter(|r| family.contains(&r.meta.parent)).take(MAX_ALL_NOTES) {
                let d = rec.doc.view(nt.schema).to_json();
                let mut note = Map::new();
                note.insert("id".into(), json!(rec.id));
                note.insert("noteType".into(), json!("TicketNote"));
                note.insert("ticket".into(), json!({ "id": rec.meta.parent, "summary": summary(rec.meta.parent) }));
                for k in [
                    "text",
                    "detailDescriptionFlag",
                    "internalAnalysisFlag",
                    "resolutionFlag",
                    "issueFlag",
                    "member",
                    "contact",
                ] {
                    if let Some(v) = d.get(k) {
                        note.insert(k.into(), v.clone());
                    }
                }
                if let Some(by) = d.get("createdBy") {
                    note.insert("originalAuthor".into(), by.clone());
                }
                out.push(Value::Object(note));
            }
        }
        if let Some(entries) = Res::at_path("/time/entries") {
            let te = self.table(entries);
            let charged = |d: &Map<String, Value>| {
                let kind = d.get("chargeToType").and_then(Value::as_str);
                let on = d.get("chargeToId").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok());
                let wanted = if tickets == Res::Tickets { "ServiceTicket" } else { "ProjectTicket" };
                on.filter(|t| kind == Some(wanted) && family.contains(t))
            };
            for rec in te.iter() {
                if out.len() >= MAX_ALL_NOTES {
                    break;
                }
                let d = rec.doc.view(te.schema).to_json();
                let (Some(ticket), Some(text)) = (charged(&d), d.get("notes").filter(|n| !n.is_null())) else {
                    continue;
                };
                let mut note = Map::new();
                note.insert("id".into(), json!(rec.id));
                note.insert("noteType".into(), json!("TimeEntryNote"));
                note.insert("ticket".into(), json!({ "id": ticket, "summary": summary(ticket) }));
                note.insert("text".into(), text.clone());
                for (k, flag) in [
                    ("detailDescriptionFlag", "addToDetailDescriptionFlag"),
                    ("internalAnalysisFlag", "addToInternalAnalysisFlag"),
                    ("resolutionFlag", "addToResolutionFlag"),
                ] {
                    note.insert(k.into(), d.get(flag).cloned().unwrap_or(Value::Bool(false)));
                }
                for k in ["timeStart", "timeEnd", "member"] {
                    if let Some(v) = d.get(k) {
                        note.insert(k.into(), v.clone());
                    }
                }
                out.push(Value::Object(note));
            }
        }
        out
    }
}
