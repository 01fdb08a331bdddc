//! The official schema files read from disk, independently of the mock's own code: merged like
//! the mock merges them (subset, then 2026.4, then extra; the first that names a schema wins),
//! with the collection and reference tables the body generator needs and a validator for
//! records against their official schema.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// Collections the 2026.4 file lacks (as the mock's registry adds them).
const EXTRA: &[(&str, &str)] = &[
    ("/company/configurations", "CompanyConfiguration"),
    ("/company/configurations/types", "ConfigurationType"),
    ("/company/configurations/statuses", "ConfigurationStatus"),
    ("/system/callbacks", "CallbackEntry"),
    ("/procurement/types", "ProductType"),
    ("/procurement/subcategories", "SubCategory"),
    ("/system/userDefinedFields", "UserDefinedField"),
];

/// Reference schemas whose name is not their collection's schema plus `Reference` (a mirror of
/// the mock's table, which a test cannot import).
const ALIASES: &[(&str, &str)] = &[
    ("ServiceStatusReference", "/service/boards/{parentId}/statuses"),
    ("PriorityReference", "/service/priorities"),
    ("SystemLocationReference", "/system/locations"),
    ("SystemDepartmentReference", "/system/departments"),
    ("ServiceTypeReference", "/service/boards/{parentId}/types"),
    ("ServiceSubTypeReference", "/service/boards/{parentId}/subtypes"),
    ("ServiceItemReference", "/service/boards/{parentId}/items"),
    ("ServiceTeamReference", "/service/boards/{parentId}/teams"),
    ("ServiceSourceReference", "/service/sources"),
    ("SiteReference", "/company/companies/{parentId}/sites"),
    ("IvItemReference", "/procurement/catalog"),
    ("CatalogItemReference", "/procurement/catalog"),
    ("ProductSubCategoryReference", "/procurement/subcategories"),
    ("ProductTypeReference", "/procurement/types"),
    ("ConfigurationTypeReference", "/company/configurations/types"),
    ("ConfigurationStatusReference", "/company/configurations/statuses"),
    ("ConfigurationReference", "/company/configurations"),
    ("ProjectStatusReference", "/project/statuses"),
    ("ProjectTypeReference", "/project/projectTypes"),
    ("ProjectPhaseReference", "/project/projects/{parentId}/phases"),
    ("OpportunityStatusReference", "/sales/opportunities/statuses"),
    ("OpportunityTypeReference", "/sales/opportunities/types"),
    ("ActivityTypeReference", "/sales/activities/types"),
    ("ServiceCodeReference", "/service/codes"),
    ("BillingStatusReference", "/finance/billingStatuses"),
    ("ContactDepartmentReference", "/company/contacts/departments"),
    ("ContactTypeReference", "/company/contacts/types"),
    ("CompanyTypeReference", "/company/companies/types"),
    ("CompanyStatusReference", "/company/companies/statuses"),
    ("AgreementTypeReference", "/finance/agreements/types"),
    ("ChargeCodeReference", "/time/chargeCodes"),
    ("ProductReference", "/procurement/products"),
    ("SalesTeamReference", "/sales/salesTeams"),
    ("ScheduleEntryReference", "/schedule/entries"),
    ("TimeEntryReference", "/time/entries"),
    ("TimeSheetReference", "/time/sheets"),
    ("ActivityReference", "/sales/activities"),
    ("ProjectBoardReference", "/service/boards"),
    ("BillingUnitReference", "/system/departments"),
    ("OwnerLevelReference", "/system/locations"),
    ("SalesOrderReference", "/sales/orders"),
    ("OpportunityStageReference", "/sales/stages"),
    ("OpportunityProbabilityReference", "/sales/probabilities"),
    ("PhaseStatusReference", "/project/phaseStatuses"),
    ("InvoiceTemplateReference", "/finance/invoiceTemplates"),
    ("ActivityStatusReference", "/sales/activities/statuses"),
    ("NoteTypeReference", "/company/noteTypes"),
    ("ScheduleTypeReference", "/schedule/types"),
    ("ScheduleStatusReference", "/schedule/statuses"),
    ("CalendarReference", "/schedule/calendars"),
    ("MemberReference", "/system/members"),
];

fn read(name: &str) -> Value {
    let path = format!("{}/openapi/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a `GET` path answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An array of this schema.
    Array(String),
    /// One object of this schema.
    One(String),
    /// Bytes of this media type.
    Binary(String),
}

/// The merged files.
pub struct Spec {
    schemas: Map<String, Value>,
    /// The 2026.4 file's `GET` paths, as written, with their answers, then the 2025.1 file's
    /// other `GET` paths.
    pub get_paths: Vec<(String, Answer)>,
    /// `key → (path as written, methods)` of the official 2021.1 table and the 2025.1 file.
    pub methods: HashMap<String, (String, Vec<String>)>,
    /// `key → schema` of every collection (a `GET` answering an array with an item sibling).
    pub collections: BTreeMap<String, String>,
    /// Reference schema → collection key.
    references: HashMap<String, String>,
}

/// The spec, read once.
pub static SPEC: LazyLock<Spec> = LazyLock::new(Spec::load);

/// `/service/boards/{parentId}/statuses/` → `/service/boards/{}/statuses`, lower case.
pub fn key(path: &str) -> String {
    let mut out = String::new();
    let mut in_brace = false;
    for c in path.trim_end_matches('/').chars() {
        match c {
            '{' => {
                in_brace = true;
                out.push('{');
            }
            '}' => {
                in_brace = false;
                out.push('}');
            }
            _ if in_brace => {}
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

fn answers(file: &Value) -> Vec<(String, Answer)> {
    let mut out = Vec::new();
    for (path, item) in file["paths"].as_object().into_iter().flatten() {
        let Some((media, body)) =
            item.pointer("/get/responses/200/content").and_then(Value::as_object).and_then(|c| c.iter().next())
        else {
            // Two `/image` paths declare no body: bytes of any type.
            if item.get("get").is_some() {
                out.push((path.trim_end_matches('/').to_owned(), Answer::Binary(String::new())));
            }
            continue;
        };
        let name = |v: &Value| v["$ref"].as_str().map(|r| r.rsplit('/').next().unwrap_or(r).to_owned());
        let answer = if !media.contains("json") {
            Answer::Binary(media.clone())
        } else if let Some(item) = name(&body["schema"]["items"]) {
            Answer::Array(item)
        } else if let Some(one) = name(&body["schema"]) {
            Answer::One(one)
        } else {
            continue;
        };
        out.push((path.trim_end_matches('/').to_owned(), answer));
    }
    out
}

impl Spec {
    fn load() -> Self {
        let files = [
            read("connectwise-subset.json"),
            read("openapi-2026.4-get.json"),
            read("connectwise-extra.json"),
            read("connectwise-2025.1.json"),
        ];
        let mut schemas = Map::new();
        for f in &files {
            for (name, s) in f["components"]["schemas"].as_object().into_iter().flatten() {
                schemas.entry(name.clone()).or_insert_with(|| s.clone());
            }
        }
        let mut get_paths = answers(&files[1]);
        // Then every `GET` of the 2025.1 file the 2026.4 file lacks.
        let official: std::collections::HashSet<String> = get_paths.iter().map(|(p, _)| key(p)).collect();
        let newer: Vec<(String, Answer)> =
            answers(&files[3]).into_iter().filter(|(p, _)| !official.contains(&key(p))).collect();
        get_paths.extend(newer.iter().cloned());
        let mut all = answers(&files[0]);
        all.extend(get_paths.iter().cloned());
        let gets: std::collections::HashSet<String> = all.iter().map(|(p, _)| key(p)).collect();
        let mut collections = BTreeMap::new();
        // A list has records one can name when `/{id}` answers a GET, or (A24.31) when the
        // official table lets one change or delete `/{id}`.
        let table = read("manage-paths-2021.1.json");
        let changeable: std::collections::HashSet<String> = [&table["paths"], &files[3]["paths"]]
            .into_iter()
            .filter_map(Value::as_object)
            .flatten()
            .filter(|(_, m)| ["PUT", "PATCH", "DELETE", "put", "patch", "delete"].iter().any(|x| m.get(*x).is_some()))
            .map(|(p, _)| key(p))
            .collect();
        let has_items = |item: &str| gets.contains(item) || changeable.contains(item);
        let found = |answers: &[(String, Answer)], collections: &mut BTreeMap<String, String>| {
            for (path, answer) in answers {
                if let Answer::Array(s) = answer {
                    let is_info = s.ends_with("Info") || path.split('/').any(|x| x.eq_ignore_ascii_case("info"));
                    if has_items(&format!("{}/{{}}", key(path))) && !is_info && schemas.contains_key(s) {
                        collections.entry(key(path)).or_insert_with(|| s.clone());
                    }
                }
            }
        };
        found(&all[..all.len() - newer.len()], &mut collections);
        for (path, schema) in EXTRA {
            collections.entry(key(path)).or_insert_with(|| (*schema).to_owned());
        }
        found(&newer, &mut collections);
        // Served by their own endpoints (API reports, a role's settings).
        collections.remove("/system/reports");
        collections.remove("/system/securityroles/{}/settings");
        // A child collection whose parent is not a collection is not stored (as the mock's
        // registry has it): parents sort first.
        let keys: Vec<String> = collections.keys().cloned().collect();
        for k in keys {
            if let Some((parent, _)) = k.split_once("/{}") {
                if !collections.contains_key(parent) && parent_alias(parent).is_none() {
                    collections.remove(&k);
                }
            }
        }
        let mut references = HashMap::new();
        for (reference, path) in ALIASES {
            references.insert((*reference).to_owned(), key(path));
        }
        // Top-level collections before nested ones: a reference names the top-level table.
        let mut by_depth: Vec<(&String, &String)> = collections.iter().collect();
        by_depth.sort_by_key(|(k, _)| (k.matches('{').count(), (*k).clone()));
        for (k, s) in by_depth {
            references.entry(format!("{s}Reference")).or_insert_with(|| k.clone());
        }
        // `/x/forecast` and `/x/forecast/` are one path: their methods add up.
        let mut methods: HashMap<String, (String, Vec<String>)> = HashMap::new();
        for (p, m) in table["paths"].as_object().into_iter().flatten() {
            let entry = methods.entry(key(p)).or_insert_with(|| (p.trim_end_matches('/').to_owned(), Vec::new()));
            entry.1.extend(m.as_object().into_iter().flat_map(|o| o.keys().cloned()));
        }
        // The 2025.1 file's operations are served too.
        for (p, m) in files[3]["paths"].as_object().into_iter().flatten() {
            let entry = methods.entry(key(p)).or_insert_with(|| (p.trim_end_matches('/').to_owned(), Vec::new()));
            for method in m.as_object().into_iter().flat_map(|o| o.keys()).map(|x| x.to_ascii_uppercase()) {
                if !entry.1.contains(&method) {
                    entry.1.push(method);
                }
            }
        }
        Self { schemas, get_paths, methods, collections, references }
    }

    /// A schema by name.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.schemas.get(name)
    }

    /// The schema of the collection at `path` (placeholders of any name).
    pub fn collection_schema(&self, path: &str) -> Option<&str> {
        self.collections.get(&key(path)).map(String::as_str)
    }

    /// The collection (as a key) that records of a `...Reference` schema point into.
    pub fn reference_collection(&self, reference: &str) -> Option<&str> {
        self.references.get(reference).map(String::as_str)
    }

    /// The media type of a path whose `GET` answers bytes, not JSON (`/finance/invoices/{id}/pdf`).
    pub fn binary(&self, path: &str) -> Option<&str> {
        let k = key(path);
        self.get_paths.iter().find_map(|(p, a)| match a {
            Answer::Binary(media) if key(p) == k => Some(media.as_str()),
            _ => None,
        })
    }

    /// The methods the official 2021.1 table gives `path`.
    pub fn official_methods(&self, path: &str) -> Option<&[String]> {
        self.methods.get(&key(path)).map(|(_, m)| m.as_slice())
    }
}

/// Parents the official table names only through their children, and the collection that
/// holds them (the registry's `PARENTS`, A24.30): `/project/boards/{id}/teams` hangs on a
/// service board.
pub fn parent_alias(parent: &str) -> Option<&'static str> {
    const PARENTS: &[(&str, &str)] = &[
        ("/project/boards", "/service/boards"),
        ("/finance/agreementtypes", "/finance/agreements/types"),
        ("/system/myaccount", "/system/members"),
        ("/project", "/project/projects"),
    ];
    PARENTS.iter().find(|(p, _)| *p == parent).map(|(_, to)| *to)
}

/// The name a `$ref` points at.
pub fn ref_name(p: &Value) -> Option<&str> {
    p["$ref"].as_str().map(|r| r.rsplit('/').next().unwrap_or(r))
}

/// `" Max length: 30;"` → 30.
pub fn max_length(p: &Value) -> Option<usize> {
    let d = p["description"].as_str()?;
    let rest = &d[d.find("Max length:")? + "Max length:".len()..];
    rest.trim_start().chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// Checks `value` against the schema `name`: JSON types per property (int32, number, boolean,
/// date-time strings, enums), nested objects recursively, arrays, and no property the schema
/// lacks (`_info` aside). Every violation is pushed to `errors` with its JSON path.
pub fn validate(name: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(schema) = SPEC.schema(name) else {
        errors.push(format!("{at}: no schema {name}"));
        return;
    };
    let Some(obj) = value.as_object() else {
        errors.push(format!("{at}: {name} is not an object: {value}"));
        return;
    };
    let props = &schema["properties"];
    for (k, v) in obj {
        match props.get(k) {
            Some(p) => validate_value(p, v, &format!("{at}.{k}"), errors),
            None if k == "_info" => {}
            None => errors.push(format!("{at}.{k}: {name} has no such property")),
        }
    }
}

fn validate_value(p: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let mut bad = |what: &str| errors.push(format!("{at}: expected {what}, got {v}"));
    if let Some(r) = ref_name(p) {
        return validate(r, v, at, errors);
    }
    if let Some(values) = p["enum"].as_array() {
        if !values.contains(v) {
            bad(&format!("one of {values:?}"));
        }
        return;
    }
    match (p["type"].as_str(), p["format"].as_str()) {
        (Some("string"), Some("date-time")) => {
            if !v.as_str().is_some_and(is_date_time) {
                bad("a date-time string");
            }
        }
        (Some("string"), _) => {
            if !v.is_string() {
                bad("a string");
            }
        }
        (Some("integer"), Some("int64")) => {
            if !v.is_i64() && !v.is_u64() {
                bad("an int64");
            }
        }
        (Some("integer"), _) => {
            let fits = v.as_i64().is_some_and(|n| i32::try_from(n).is_ok());
            if !fits {
                bad("an int32");
            }
        }
        (Some("number"), _) => {
            if !v.is_number() {
                bad("a number");
            }
        }
        (Some("boolean"), _) => {
            if !v.is_boolean() {
                bad("a boolean");
            }
        }
        (Some("array"), _) => match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate_value(&p["items"], item, &format!("{at}[{i}]"), errors);
                }
            }
            None => bad("an array"),
        },
        // A bare `object` is .NET's `object`: any JSON value (a custom field's `value` is the
        // text, number or date the field holds, as real ConnectWise answers it).
        (Some("object"), _) if p.get("properties").is_none() && p.get("additionalProperties").is_none() => {}
        (Some("object"), _) => {
            let strings = p["additionalProperties"]["type"] == "string";
            match v.as_object() {
                Some(o) if strings && !o.values().all(Value::is_string) => bad("a map of strings"),
                Some(_) => {}
                None => bad("an object"),
            }
        }
        (other, _) => errors.push(format!("{at}: unsupported schema type {other:?}")),
    }
}

/// `2024-01-01T00:00:00Z` (fractions of a second and offsets allowed).
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (s.ends_with('Z') || s[19..].contains(['+', '-']))
}
