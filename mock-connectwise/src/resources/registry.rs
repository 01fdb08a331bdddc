//! The collections and views the mock serves, built once from data: the named collections of
//! [`super::NAMED`], then every collection of the official 2026.4 GET file
//! (`openapi/openapi-2026.4-get.json`) and of `openapi/connectwise-extra.json`, each with the
//! methods the official 2021.1 table (`openapi/manage-paths-2021.1.json`) gives it. A
//! collection is a path whose `GET` answers an array of one schema and that has an `/{id}`
//! sibling; every other `GET` path of the file is a [`View`] of the records (`/info`
//! projections, `/usages`, `/default`, reference lists, objects and binaries).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Methods, Res, Resource, Writes, function_for};
use crate::schema::SCHEMAS;
use cw_model::Function;

/// `path → [method]` of the official 2021.1 table, extracted by `build.rs`.
static MANAGE_PATHS: &str = include_str!(concat!(env!("OUT_DIR"), "/methods.json"));
/// `[path, "array" | "one" | "binary", schema or media type]` for every `GET` path of the
/// official 2026.4 file, extracted by `build.rs`.
static GET_ANSWERS: &str = include_str!(concat!(env!("OUT_DIR"), "/get-answers.json"));

/// Collections the 2026.4 file lacks, with their schemas from `connectwise-extra.json`
/// (sub-categories: `SubCategory` of the official 2025.1 file, whose `category` clients require).
const EXTRA: &[(&str, &str)] = &[
    ("/company/configurations", "CompanyConfiguration"),
    ("/company/configurations/types", "ConfigurationType"),
    ("/company/configurations/statuses", "ConfigurationStatus"),
    ("/system/callbacks", "CallbackEntry"),
    ("/procurement/types", "ProductType"),
    ("/procurement/subcategories", "SubCategory"),
    // Hand-written schema (the 2026.4 file lacks it): definitions behind every `customFields`.
    ("/system/userDefinedFields", "UserDefinedField"),
];

/// Paths the 2025.1 file lists like collections that the mock serves with their own
/// endpoints (API reports, a role's settings).
const NOT_STORED: &[&str] = &["/system/reports", "/system/securityroles/{}/settings"];

/// Parents the official table names only through their children: the collection that holds
/// those records (A24.30). A project board is a service board with `projectFlag`; an
/// agreement type's path is `/finance/agreements/types`; "my account" is a member; a
/// project's billing rates hang on `/project/{id}`.
const PARENTS: &[(&str, &str)] = &[
    ("/project/boards", "/service/boards"),
    ("/finance/agreementtypes", "/finance/agreements/types"),
    ("/system/myaccount", "/system/members"),
    ("/project", "/project/projects"),
];

/// Collections whose records take their ids from another's sequence: a project ticket and a
/// service ticket are both tickets, numbered in one series, as on the real server, and so are
/// their notes (A24.34).
const SHARED_IDS: &[(&str, &str)] =
    &[("/project/tickets", "/service/tickets"), ("/project/tickets/{}/notes", "/service/tickets/{}/notes")];

/// Reference schemas whose name is not their collection's schema plus `Reference`.
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
    ("ProductCategoryReference", "/procurement/categories"),
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
    // A project's board is a service board flagged `projectFlag`; a business unit is a
    // department; an owner level is a location; a sales order is an order.
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
];

/// `_info` link keys that are not the last word of the schema's name.
const HREF_KEYS: &[(&str, &str)] = &[
    ("SecurityRoleReference", "securityRole_href"),
    ("IvItemReference", "catalog_href"),
    ("CatalogItemReference", "catalog_href"),
    ("ProductSubCategoryReference", "subcategory_href"),
    ("ServiceSubTypeReference", "subType_href"),
];

/// A `GET` path of the official file that is not a stored collection's own route.
#[derive(Debug)]
pub(crate) struct View {
    /// As the file writes it (placeholders kept).
    pub(crate) path: String,
    pub(crate) kind: ViewKind,
    pub(crate) function: Function,
    /// The collection whose record an id of the path names (`/{id}/usages`,
    /// `/{parentId}/products`), and that id's place among the path's values: a missing
    /// record is a 404.
    pub(crate) owner: Option<(Res, usize)>,
}

/// What a view answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ViewKind {
    /// Records of a collection rendered through another schema (`/info` variants; `active`
    /// keeps only records whose `inactiveFlag` is false).
    Projection { res: Res, schema: &'static str, shape: Shape, active: bool },
    /// The server's defaults for a new record (`/company/companies/default`).
    Default(Res),
    /// A list or count with nothing behind it in the mock (usages, audit trail, ...).
    Empty { schema: &'static str, shape: Shape },
    /// One object the mock keeps nothing for (`/project/projects/{id}/projectRecap`).
    Object(&'static str),
    /// `/finance/invoices/{id}/pdf`, `/company/contacts/{id}/image`.
    Binary(&'static str),
}

/// List, count or one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    List,
    Count,
    One,
}

/// Everything served, built once.
#[derive(Debug)]
pub(crate) struct Registry {
    pub(crate) resources: Vec<Resource>,
    pub(crate) by_reference: HashMap<&'static str, (Res, &'static str)>,
    pub(crate) by_path: HashMap<String, Res>,
    pub(crate) views: Vec<View>,
    /// Every operation of the official table ([`super::operations`]).
    pub(crate) operations: Vec<super::operations::Operation>,
    /// `path (lower case, placeholders as {}) → methods` of the official 2021.1 table.
    official: HashMap<String, Vec<&'static str>>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(build);

/// The registry.
pub(crate) fn get() -> &'static Registry {
    &REGISTRY
}

/// A text kept for the life of the process (the registry is built once).
pub(super) fn leak(s: impl Into<String>) -> &'static str {
    Box::leak(s.into().into_boxed_str())
}

/// `/service/boards/{parentId}/statuses/` → `/service/boards/{}/statuses`, lower case.
pub(crate) fn path_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
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

fn official_table() -> HashMap<String, Vec<&'static str>> {
    // Borrowed from the embedded text (`build.rs` writes no escapes; the tests of methods read it).
    let table: HashMap<&'static str, Vec<&'static str>> = serde_json::from_str(MANAGE_PATHS).unwrap_or_default();
    // `/x/forecast` and `/x/forecast/` share a key: their methods add up, or one hides the other.
    let mut merged: HashMap<String, Vec<&'static str>> = HashMap::with_capacity(table.len());
    for (p, m) in table {
        merged.entry(path_key(p)).or_default().extend(m);
    }
    merged
}

/// A `GET` operation's answer: an array of a schema, one schema, or something else.
pub(super) enum Answer {
    Array(&'static str),
    One(&'static str),
    Binary(&'static str),
}

/// Every `GET` answer, and the paths only the 2025.1 file gives (their collections are
/// served, but references are not checked against them: the fixtures and the clients built on
/// the 2026.4 file do not fill them).
fn answers() -> (Vec<(&'static str, Answer)>, std::collections::HashSet<String>) {
    // Borrowed from the embedded text, as the official table.
    let rows: Vec<Vec<&'static str>> = serde_json::from_str(GET_ANSWERS).unwrap_or_default();
    let newer = rows.iter().filter(|r| r.len() > 3).filter_map(|r| r.first()).map(|p| path_key(p)).collect();
    let answers = rows
        .into_iter()
        .filter_map(|r| <[&'static str; 3]>::try_from(r.get(..3)?).ok())
        .map(|[path, kind, name]| {
            let answer = match kind {
                "array" => Answer::Array(name),
                "one" => Answer::One(name),
                _ => Answer::Binary(name),
            };
            (path.trim_end_matches('/'), answer)
        })
        .collect();
    (answers, newer)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

/// The `_info` key of links to records of `reference` (`CompanyStatusReference` →
/// `status_href`: the last word of the name, as the real server writes them).
fn href_key(reference: &str) -> &'static str {
    if let Some((_, k)) = HREF_KEYS.iter().find(|(r, _)| *r == reference) {
        return k;
    }
    let base = reference.strip_suffix("Reference").unwrap_or(reference);
    let start = base.rfind(|c: char| c.is_ascii_uppercase()).unwrap_or(0);
    leak(format!("{}_href", base[start..].to_ascii_lowercase()))
}

fn build() -> Registry {
    let official = official_table();
    let (answers, newer) = answers();
    let get_paths: std::collections::HashSet<String> = answers.iter().map(|(p, _)| path_key(p)).collect();
    let mut reg = Registry {
        resources: Vec::new(),
        by_reference: HashMap::new(),
        by_path: HashMap::new(),
        views: Vec::new(),
        operations: Vec::new(),
        official,
    };
    for named in super::NAMED {
        reg.add(named.clone(), &get_paths);
    }
    // The collections the 2026.4 file lacks first: their schemas win over the 2025.1 file's.
    let mut found: Vec<(String, String)> = EXTRA.iter().map(|(p, s)| ((*p).to_owned(), (*s).to_owned())).collect();
    found.extend(answers.iter().filter_map(|(p, a)| match a {
        Answer::Array(s) if has_items(&reg.official, &get_paths, p) && !is_view_path(p, s) => {
            Some(((*p).to_owned(), (*s).to_owned()))
        }
        _ => None,
    }));
    // Parents sort before their children: a parent's path is a prefix of its children's.
    found.sort_by_key(|(p, _)| path_key(p));
    for (path, schema) in found {
        let key = path_key(&path);
        if reg.by_path.contains_key(&key) || SCHEMAS.named(&schema).is_none() || NOT_STORED.contains(&key.as_str()) {
            continue;
        }
        if let Some(resource) = reg.generated(&path, &schema) {
            reg.add(resource, &get_paths);
        }
    }
    for (from, to) in SHARED_IDS {
        if let (Some(&from), Some(&to)) = (reg.by_path.get(*from), reg.by_path.get(*to)) {
            reg.resources[from.index()].id_space = to;
        }
    }
    reg.map_references(&newer);
    reg.views = super::views::build(&reg, &answers);
    reg.operations = super::operations::build(&reg);
    reg
}

/// Whether the list at `path` has records one can name: a `GET` of `/{id}`, or (A24.31) an
/// `/{id}` the official table lets one change or delete (an agreement's work-role exclusions,
/// change orders, a company's management report setup).
fn has_items(
    official: &HashMap<String, Vec<&'static str>>,
    get_paths: &std::collections::HashSet<String>,
    path: &str,
) -> bool {
    let item = path_key(&format!("{path}/{{id}}"));
    get_paths.contains(&item)
        || official.get(&item).is_some_and(|m| m.iter().any(|x| matches!(*x, "PUT" | "PATCH" | "DELETE")))
}

/// `/info` projections and `/active` lists are views of another collection, not collections.
fn is_view_path(path: &str, schema: &str) -> bool {
    schema.ends_with("Info") || path.split('/').any(|s| s.eq_ignore_ascii_case("info"))
}

impl Registry {
    fn add(&mut self, mut r: Resource, get_paths: &std::collections::HashSet<String>) {
        let res = Res(u16::try_from(self.resources.len()).unwrap_or(u16::MAX));
        r.res = res;
        if r.id_space.index() >= self.resources.len() && r.id_space != res {
            r.id_space = res;
        }
        let key = path_key(r.path);
        let item = format!("{key}/{{}}");
        let count = format!("{key}/count");
        r.methods = match (self.official.get(&key), self.official.get(&item)) {
            (None, None) => Methods::reads_and(r.writes),
            (list, one) => {
                let has = |m: Option<&Vec<&str>>, name: &str| m.is_some_and(|v| v.contains(&name));
                Methods {
                    list: has(list, "GET") || get_paths.contains(&key),
                    count: self.official.contains_key(&count) || get_paths.contains(&count),
                    get: has(one, "GET") || get_paths.contains(&item),
                    create: has(list, "POST"),
                    replace: has(one, "PUT"),
                    patch: has(one, "PATCH"),
                    delete: has(one, "DELETE"),
                    whole: super::WholeWrites {
                        replace: has(list, "PUT"),
                        patch: has(list, "PATCH"),
                        delete: has(list, "DELETE"),
                        post_item: has(one, "POST"),
                    },
                }
            }
        };
        r.writes = Writes {
            create: r.methods.create,
            replace: r.methods.replace,
            patch: r.methods.patch,
            delete: r.methods.delete,
        };
        self.by_path.insert(key, res);
        self.resources.push(r);
    }

    /// A collection of the official file, described from its path and schema.
    fn generated(&self, path: &str, schema: &str) -> Option<Resource> {
        let title = schema.rsplit('.').next().unwrap_or(schema);
        let parent = match path.split_once("/{parentId}") {
            Some((head, _)) => {
                let key = path_key(head);
                let key = PARENTS.iter().find(|(p, _)| *p == key).map_or(key, |(_, to)| path_key(to));
                let pres = *self.by_path.get(&key)?;
                Some((pres, parent_field(schema, self.resources[pres.index()].schema, head)))
            }
            None => None,
        };
        let (function, _) = function_for(path).unwrap_or((Function::TableSetup, false));
        Some(Resource {
            res: Res(0),
            schema: leak(schema.to_owned()),
            noun: leak(lower_first(title)),
            title: leak(title.to_owned()),
            path: leak(path.to_owned()),
            function,
            writes: Writes { create: false, replace: false, patch: false, delete: false },
            methods: Methods::reads_and(Writes { create: false, replace: false, patch: false, delete: false }),
            unique: None,
            unique_with: &[],
            parent,
            id_space: Res(u16::MAX),
            refs: &[],
            defaults: &[],
            secret: None,
        })
    }

    fn map_references(&mut self, newer: &std::collections::HashSet<String>) {
        let mut map = HashMap::new();
        let named = super::NAMED.len();
        for r in self.resources.iter().filter(|r| r.res.index() < named || !newer.contains(&path_key(r.path))) {
            let reference = format!("{}Reference", r.schema);
            if let Some(s) = SCHEMAS.named(&reference) {
                map.entry(leak(s.name.clone())).or_insert((r.res, href_key(&reference)));
            }
        }
        for (reference, path) in ALIASES {
            if let (Some(&res), Some(_)) = (self.by_path.get(&path_key(path)), SCHEMAS.named(reference)) {
                map.insert(*reference, (res, href_key(reference)));
            }
        }
        // API members are pointed at with member references too; members stay the target.
        map.insert("MemberReference", (Res::Members, "member_href"));
        self.by_reference = map;
    }
}

/// The field of a child schema that holds its parent: `ticketId`, `agreementId`, or a
/// reference named after the parent (`board`, `company`); empty when there is none.
fn parent_field(schema: &str, pschema: &str, parent_path: &str) -> &'static str {
    let Some(s) = SCHEMAS.named(schema) else { return "" };
    let noun = lower_first(pschema.rsplit('.').next().unwrap_or(pschema));
    let seg = parent_path.rsplit('/').next().unwrap_or("");
    let singular = seg
        .strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .or_else(|| seg.strip_suffix('s').map(str::to_owned))
        .unwrap_or_else(|| seg.to_owned());
    let candidates = [format!("{noun}Id"), noun.clone(), format!("{singular}Id"), singular, "parentId".to_owned()];
    candidates.iter().find_map(|c| s.prop(c).map(|(_, p)| leak(p.name.clone()))).unwrap_or("")
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
