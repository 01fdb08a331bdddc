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

use serde_json::{Map, Value};

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
