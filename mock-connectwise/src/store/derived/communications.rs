//! A contact's communication items are one set of records seen two ways: inline as the
//! contact's `communicationItems`, and as `/company/contacts/{id}/communications`, each item
//! with the id of its record. A write either way is kept in step with the other (A24.35):
//! a sync reading the child collection finds what a client put on the contact, and a
//! communication added through the collection shows on the contact.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::doc::Doc;
use crate::resources::Res;
use crate::store::table::{Meta, Record};
use crate::store::tenant::Tenant;

/// The two collections, found once: every write of every collection asks.
static COLLECTIONS: LazyLock<Option<(Res, Res)>> = LazyLock::new(|| {
    Some((Res::at_path("/company/contacts")?, Res::at_path("/company/contacts/{parentId}/communications")?))
});
const ITEMS: &str = "communicationItems";

impl Tenant {
    /// After `res` record `id` (under `parent`) was written or deleted: the other view of a
    /// contact's communications follows.
    pub(crate) fn sync_communications(&mut self, res: Res, id: u32, parent: Option<u32>) {
        let Some((contacts, comms)) = *COLLECTIONS else { return };
        if res == contacts {
            self.items_to_records(contacts, comms, id);
        } else if res == comms {
            if let Some(contact) = parent {
                self.records_to_items(contacts, comms, contact);
            }
        }
    }

    /// The contact's items become its communication records: an item naming one of its
    /// records updates it, an item without one makes a record (the item takes its id), and
    /// records no item names are removed.
    fn items_to_records(&mut self, contacts: Res, comms: Res, contact: u32) {
        let Some(rec) = self.table(contacts).get(contact) else { return };
        let written = rec.meta;
        let mut doc = rec.doc.view(contacts.schema()).to_json();
        let Some(Value::Array(items)) = doc.get(ITEMS).cloned() else {
            // A contact written without items keeps the records it has (a PATCH of its name).
            if !self.communication_ids(comms, contact).is_empty() {
                self.records_to_items(contacts, comms, contact);
            }
            return;
        };
        let existing = self.communication_ids(comms, contact);
        let mut kept = Vec::with_capacity(items.len());
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Value::Object(mut item) = item else { continue };
            let named = item.get("id").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
            let id = match named.filter(|i| existing.contains(i) && !kept.contains(i)) {
                Some(id) => id,
                None => match self.next_id(comms) {
                    Ok(id) => id,
                    Err(_) => continue,
                },
            };
            item.insert("id".into(), Value::from(id));
            let mut record = item.clone();
            record.insert("contactId".into(), Value::from(contact));
            let table = self.table_mut(comms);
            let encoded = Doc::encode(table.schema, &record);
            // A kept record keeps when and by whom it was entered; a new one is the write's.
            match table.get(id).map(|r| r.meta) {
                Some(old) => {
                    let meta = Meta { updated_at: written.updated_at, updated_by: written.updated_by, ..old };
                    table.update(id, encoded, meta);
                }
                None => {
                    let meta = Meta {
                        entered_at: written.updated_at,
                        entered_by: written.updated_by,
                        parent: contact,
                        ..written
                    };
                    table.insert(Record::new(id, meta, encoded));
                }
            }
            kept.push(id);
            out.push(Value::Object(item));
        }
        for gone in existing.into_iter().filter(|i| !kept.contains(i)) {
            self.table_mut(comms).remove(gone);
        }
        doc.insert(ITEMS.into(), Value::Array(out));
        self.store_doc(contacts, contact, &doc);
    }

    /// The contact's `communicationItems` become its communication records, in id order.
    fn records_to_items(&mut self, contacts: Res, comms: Res, contact: u32) {
        let Some(rec) = self.table(contacts).get(contact) else { return };
        let mut doc = rec.doc.view(contacts.schema()).to_json();
        let table = self.table(comms);
        let items: Vec<Value> = self
            .communication_ids(comms, contact)
            .into_iter()
            .filter_map(|id| table.get(id))
            .map(|r| {
                let mut item = r.doc.view(comms.schema()).to_json();
                item.insert("id".into(), Value::from(r.id));
                item.retain(|k, _| contacts_item_field(k));
                Value::Object(item)
            })
            .collect();
        doc.insert(ITEMS.into(), Value::Array(items));
        self.store_doc(contacts, contact, &doc);
    }

    /// The ids of the contact's communication records. A scan of the records' parent field
    /// (no document is read: a tenth of a second for 10,000 contacts' writes over 20,000
    /// communications), not the parent index, which a write would otherwise build as a side
    /// effect that a state file does not hold.
    fn communication_ids(&self, comms: Res, contact: u32) -> Vec<u32> {
        self.table(comms).iter().filter(|r| r.meta.parent == contact).map(|r| r.id).collect()
    }

    /// Rewrites a record's document, its metadata unchanged (the write that led here set it).
    fn store_doc(&mut self, res: Res, id: u32, doc: &Map<String, Value>) {
        let table = self.table_mut(res);
        let Some(meta) = table.get(id).map(|r| r.meta) else { return };
        let encoded = Doc::encode(table.schema, doc);
        table.update(id, encoded, meta);
    }
}

/// The fields a contact's inline item carries (its record adds `contactId`, `mobileGuid`).
fn contacts_item_field(k: &str) -> bool {
    matches!(k, "id" | "type" | "value" | "extension" | "defaultFlag" | "domain" | "communicationType")
}
