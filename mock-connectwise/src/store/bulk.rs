//! Generated companies and tickets in bulk, for the benchmark's million-ticket lookups.
//!
//! Like generated members (`fixtures`), they are valid by construction and go straight into
//! the tables, skipping the per-record write pipeline; indexes are built when first queried.

use serde_json::{Map, Value, json};

use super::table::{Meta, Record};
use super::{Store, StoreError};
use crate::doc::Doc;
use crate::resources::Res;

impl Store {
    /// Adds `companies` companies and `tickets` tickets spread over them (round robin) to
    /// `company`'s tenant; returns the ids of the new companies.
    pub fn generate_tickets(&self, company: &str, companies: usize, tickets: usize) -> Result<Vec<u32>, String> {
        let now = self.now();
        self.write_tenant(company, |t, _, _| {
            let by = t.names.intern("BulkLoader");
            let meta = Meta { entered_at: now, updated_at: now, entered_by: by, updated_by: by, parent: 0 };
            let mut made = Vec::with_capacity(companies);
            let schema = Res::Companies.schema();
            for n in 0..companies {
                let id = t.next_id(Res::Companies);
                let mut obj = Map::new();
                obj.insert("identifier".into(), Value::String(format!("Bulk{n}")));
                obj.insert("name".into(), Value::String(format!("Bulk Company {n}")));
                t.table_mut(Res::Companies).insert(Record::new(id, meta, Doc::encode(schema, &obj)));
                made.push((id, format!("Bulk{n}"), format!("Bulk Company {n}")));
            }
            if made.is_empty() {
                return Ok(Vec::new());
            }
            let boards: Vec<(u32, String)> = t
                .table(Res::Boards)
                .iter()
                .map(|r| (r.id, r.doc.view(Res::Boards.schema()).str("name").unwrap_or("").to_owned()))
                .collect();
            let schema = Res::Tickets.schema();
            t.table_mut(Res::Tickets).reserve(tickets);
            for n in 0..tickets {
                let (cid, ident, name) = &made[n % made.len()];
                let mut obj = Map::new();
                obj.insert("summary".into(), Value::String(format!("Generated ticket {n}")));
                obj.insert("company".into(), json!({ "id": cid, "identifier": ident, "name": name }));
                if let Some((bid, bname)) = boards.get(n % boards.len().max(1)) {
                    obj.insert("board".into(), json!({ "id": bid, "name": bname }));
                }
                for (field, default) in Res::Tickets.info().defaults {
                    obj.insert((*field).to_owned(), default.to_json());
                }
                let id = t.next_id(Res::Tickets);
                t.table_mut(Res::Tickets).insert(Record::new(id, meta, Doc::encode(schema, &obj)));
            }
            Ok::<_, StoreError>(made.into_iter().map(|(id, _, _)| id).collect())
        })
        .map_err(|e| e.to_string())
    }
}
