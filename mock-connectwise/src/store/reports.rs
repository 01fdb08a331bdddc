//! API reports (`/system/reports`): named tables of rows, each with its own column
//! definitions. Every report gets a schema built from its columns, so `conditions`, `orderBy`
//! and paging work on report data exactly as on records.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::table::{Meta, Record, Table};
use crate::doc::Doc;
use crate::schema::{ObjectSchema, Type, schema};

/// A column definition (`ReportColumnDefinition`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ColumnDef {
    #[serde(rename = "type")]
    pub(crate) ty: String,
    #[serde(default)]
    pub(crate) is_nullable: bool,
    #[serde(default)]
    pub(crate) identity_column: bool,
}

/// A report as fixtures give it: named columns and positional rows.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportFixture {
    pub(crate) name: String,
    pub(crate) columns: Vec<NamedColumn>,
    #[serde(default)]
    pub(crate) rows: Vec<Vec<Value>>,
}

/// One column of a report fixture.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
pub(crate) struct NamedColumn {
    pub(crate) name: String,
    #[serde(flatten)]
    pub(crate) def: ColumnDef,
}

/// One report's data.
#[derive(Debug)]
pub(crate) struct ReportData {
    pub(crate) columns: Vec<NamedColumn>,
    pub(crate) rows: Table,
}

/// A tenant's reports: the `Report` list and each report's data, by the list record's id.
#[derive(Debug)]
pub(crate) struct Reports {
    pub(crate) list: Table,
    pub(crate) data: HashMap<u32, ReportData>,
}

impl Default for Reports {
    fn default() -> Self {
        Self { list: Table::new(schema("Report"), Some("name")), data: HashMap::new() }
    }
}

/// Schemas of report columns, made once per distinct column list and kept for the life of the
/// process (reports are few and fixed, so this is bounded by the fixtures ever loaded).
static REPORT_SCHEMAS: LazyLock<Mutex<HashMap<Vec<NamedColumn>, &'static ObjectSchema>>> =
    LazyLock::new(Default::default);

fn column_type(ty: &str) -> Type {
    match ty.to_ascii_lowercase().as_str() {
        "int" | "int16" | "int32" | "int64" | "integer" | "smallint" | "bigint" => Type::Int,
        "decimal" | "double" | "float" | "money" | "number" | "single" => Type::Num,
        "datetime" | "date" | "datetimeoffset" => Type::DateTime,
        "bool" | "boolean" | "bit" => Type::Bool,
        _ => Type::Str,
    }
}

fn report_schema(name: &str, columns: &[NamedColumn]) -> &'static ObjectSchema {
    let mut cache = REPORT_SCHEMAS.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(columns.to_vec()).or_insert_with(|| {
        let props = columns.iter().map(|c| (c.name.clone(), column_type(&c.def.ty))).collect();
        Box::leak(Box::new(ObjectSchema::synthetic(&format!("Report {name}"), props)))
    })
}

impl Reports {
    /// Adds a report; rows must have one value per column.
    pub(crate) fn add(&mut self, fixture: &ReportFixture, meta: Meta) -> Result<(), String> {
        let id = u32::try_from(self.data.len() + 1).unwrap_or(u32::MAX);
        if self.list.find_unique(&fixture.name).is_some() {
            return Err(format!("report {} is defined twice", fixture.name));
        }
        let s = report_schema(&fixture.name, &fixture.columns);
        let mut rows = Table::new(s, None);
        for (i, row) in fixture.rows.iter().enumerate() {
            if row.len() != fixture.columns.len() {
                return Err(format!(
                    "report {} row {} has {} values for {} columns",
                    fixture.name,
                    i + 1,
                    row.len(),
                    fixture.columns.len()
                ));
            }
            let errors = crate::validate::validate(
                s,
                &Value::Object(Self::row_object(&fixture.columns, row)),
                crate::validate::Mode::Create,
            );
            if let Some(e) = errors.first() {
                return Err(format!("report {} row {}: {}", fixture.name, i + 1, e.message));
            }
            let obj = Self::row_object(&fixture.columns, row);
            rows.insert(Record::new(u32::try_from(i + 1).unwrap_or(u32::MAX), meta, Doc::encode(s, &obj)));
        }
        let name = Map::from_iter([("name".to_owned(), Value::String(fixture.name.clone()))]);
        self.list.insert(Record::new(id, meta, Doc::encode(self.list.schema, &name)));
        self.data.insert(id, ReportData { columns: fixture.columns.clone(), rows });
        Ok(())
    }

    fn row_object(columns: &[NamedColumn], row: &[Value]) -> Map<String, Value> {
        columns.iter().zip(row).map(|(c, v)| (c.name.clone(), v.clone())).collect()
    }

    /// A report's data by name (ignoring case).
    pub(crate) fn get(&self, name: &str) -> Option<&ReportData> {
        // A number names the report of that id, the id a client takes from the list (A24.45).
        let id = self.list.find_unique(name).or_else(|| name.parse().ok().filter(|id| self.data.contains_key(id)))?;
        self.data.get(&id)
    }
}
