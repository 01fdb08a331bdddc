//! The planner against the scan: on random members, random writes and random queries, a
//! planned query returns exactly what checking every record returns.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::doc::Doc;
use crate::query::ListQuery;
use crate::schema::schema;
use crate::store::table::Meta;

thread_local! {
    /// Records the planner read on this thread (`get_near` and the scan's steps), so a test
    /// can tell a query answered from the indexes from one that checks records.
    pub(super) static READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

const IDENTS: &[&str] = &["ab", "AB", "aB1", "ÉCOLE", "école", "zed", "İz", "iz"];
const FIRSTS: &[&str] = &["Ann", "ann", "Bob", "Élodie", "élodie", "Zoë", ""];
const LASTS: &[&str] = &["Smith", "smythe", "SMITH", "Sá", "sa", "Öz", "oz", "Brown"];

#[derive(Clone, Debug)]
struct Member {
    ident: usize,
    first: Option<usize>,
    last: Option<usize>,
    role: Option<u8>,
    inactive: bool,
    by: u32,
    /// Custom fields `(id, value)`.
    custom: Vec<(u8, u8)>,
}

/// Values of custom fields: texts differing in case, a number, a flag, a date as text, none.
const CUSTOM_VALUES: &[&str] = &["\"Gold\"", "\"gold\"", "\"Silver\"", "7", "true", "\"2024-01-05T00:00:00Z\"", "null"];

/// Captions of custom fields (by field id and value, so one field's elements differ).
const CAPTIONS: &[&str] = &["Tier", "tier", "Region"];

/// The element of custom field `id` holding value number `v`.
fn custom_field(id: u8, v: u8) -> Value {
    let value: Value = serde_json::from_str(CUSTOM_VALUES[v as usize % CUSTOM_VALUES.len()]).unwrap_or(Value::Null);
    json!({ "id": id, "caption": CAPTIONS[(id as usize + v as usize / 3) % CAPTIONS.len()], "value": value })
}

fn member() -> impl Strategy<Value = Member> {
    (
        0..IDENTS.len(),
        proptest::option::of(0..FIRSTS.len()),
        proptest::option::of(0..LASTS.len()),
        proptest::option::of(1u8..4),
        any::<bool>(),
        0u32..3,
        proptest::collection::vec((1u8..4, 0u8..7), 0..3),
    )
        .prop_map(|(ident, first, last, role, inactive, by, custom)| Member {
            ident,
            first,
            last,
            role,
            inactive,
            by,
            custom,
        })
}

fn encode(m: &Member, n: usize) -> (Doc, u32) {
    let mut obj = Map::new();
    // Identifiers repeat across records with a suffix only sometimes, so equal values (and
    // values equal but for case) meet in the unique index too.
    let ident = if n % 3 == 0 { IDENTS[m.ident].to_owned() } else { format!("{}{}", IDENTS[m.ident], n % 5) };
    obj.insert("identifier".into(), Value::String(ident));
    if let Some(f) = m.first {
        obj.insert("firstName".into(), Value::from(FIRSTS[f]));
    }
    if let Some(l) = m.last {
        obj.insert("lastName".into(), Value::from(LASTS[l]));
    }
    if let Some(r) = m.role {
        obj.insert("securityRole".into(), json!({ "id": r, "name": format!("Role {r}") }));
    }
    obj.insert("inactiveFlag".into(), Value::Bool(m.inactive));
    if !m.custom.is_empty() {
        let fields: Vec<Value> = m.custom.iter().map(|&(id, v)| custom_field(id, v)).collect();
        obj.insert("customFields".into(), Value::Array(fields));
    }
    (Doc::encode(schema("Member"), &obj), m.by)
}

/// One leaf of a condition, as text.
fn leaf() -> impl Strategy<Value = String> {
    let text = |pool: &'static [&'static str]| proptest::sample::select(pool);
    prop_oneof![
        text(IDENTS).prop_map(|v| format!("identifier = '{v}'")),
        (text(IDENTS), text(IDENTS)).prop_map(|(a, b)| format!("identifier in ('{a}', '{b}0', '{b}')")),
        text(FIRSTS).prop_map(|v| format!("firstName = '{v}'")),
        text(LASTS).prop_map(|v| format!("lastName = \"{v}\"")),
        (text(LASTS), 0usize..3)
            .prop_map(|(v, n)| format!("lastName like '{}%'", v.chars().take(n + 1).collect::<String>())),
        (text(IDENTS), 0usize..3)
            .prop_map(|(v, n)| format!("identifier like '{}%'", v.chars().take(n + 1).collect::<String>())),
        (text(FIRSTS)).prop_map(|v| format!("firstName like '{v}_%'")),
        (1u8..5).prop_map(|r| format!("securityRole/id = {r}")),
        (1u8..5, 1u8..5).prop_map(|(a, b)| format!("securityRole/id in ({a}, {b})")),
        (0u32..40).prop_map(|i| format!("id = {i}")),
        (0u32..40, 0u32..40).prop_map(|(a, b)| format!("id in ({a}, {b})")),
        any::<bool>().prop_map(|b| format!("inactiveFlag = {b}")),
        (1u8..5).prop_map(|c| format!("customFields/id = {c}")),
        text(LASTS).prop_map(|v| format!("lastName like '%{}'", v.chars().last().unwrap_or('x'))),
        text(FIRSTS).prop_map(|v| format!("firstName != '{v}'")),
        Just("lastName = null".to_owned()),
        (0u32..40).prop_map(|i| format!("id > {i}")),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A condition whose top-level `and` asks a prefix of `lastName` (which an ordered query
/// by `lastName` reads off the index), or any condition.
fn query_condition() -> impl Strategy<Value = String> {
    let prefixed = (proptest::sample::select(LASTS), 1usize..3, condition())
        .prop_map(|(v, n, c)| format!("lastName like '{}%' and ({c})", v.chars().take(n).collect::<String>()));
    let bare = proptest::sample::select(LASTS)
        .prop_map(|v| format!("lastName like '{}%'", v.chars().take(1).collect::<String>()));
    // Only terms exact indexes answer besides the prefix: what is read off the ordered index.
    let exact_leaf = prop_oneof![
        any::<bool>().prop_map(|b| format!("inactiveFlag = {b}")),
        (1u8..5).prop_map(|r| format!("securityRole/id = {r}")),
        (1u8..5, 1u8..5).prop_map(|(a, b)| format!("securityRole/id in ({a}, {b})")),
        (0u32..40, 0u32..40).prop_map(|(a, b)| format!("id in ({a}, {b})")),
    ];
    let exact = (proptest::sample::select(LASTS), 1usize..3, proptest::collection::vec(exact_leaf, 0..3)).prop_map(
        |(v, n, leaves)| {
            let prefix = format!("lastName like '{}%'", v.chars().take(n).collect::<String>());
            std::iter::once(prefix).chain(leaves).collect::<Vec<_>>().join(" and ")
        },
    );
    // Only terms the indexes answer exactly, under `and` and `or`: counted and paged in id
    // order from the indexes alone (`exact`).
    let exact_only = exact_leaf_or_prefix().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a}) or ({b})")),
        ]
    });
    // No condition: `customFieldConditions` alone, as integrations send it.
    prop_oneof![condition(), prefixed, bare, exact, exact_only, Just(String::new())]
}

/// A `customFieldConditions`, matched per element (an id and a value on the same one): the
/// shapes integrations send, and others (negations, `or`, comparisons, a fractional id).
fn custom_condition() -> impl Strategy<Value = String> {
    let text = proptest::sample::select(&["Gold", "gold", "Silver", "GOLD", "7", "true"][..]);
    let leaf = prop_oneof![
        (1u8..5).prop_map(|c| format!("id = {c}")),
        (1u8..5, text.clone()).prop_map(|(c, v)| format!("id = {c} and value = \"{v}\"")),
        (1u8..5, text.clone()).prop_map(|(c, v)| format!("id = {c} and value != \"{v}\"")),
        (1u8..5, 1u8..5, text.clone()).prop_map(|(a, b, v)| format!("value = \"{v}\" and id in ({a}, {b})")),
        (1u8..5, 1u8..5).prop_map(|(a, b)| format!("id in ({a}, {b})")),
        text.clone().prop_map(|v| format!("value like \"{v}\"")),
        text.clone().prop_map(|v| format!("value like \"{}%\"", v.chars().next().unwrap_or('g'))),
        proptest::sample::select(CAPTIONS).prop_map(|c| format!("caption = \"{c}\"")),
        Just("caption like \"t%\"".to_owned()),
        (0u8..10).prop_map(|n| format!("value = {n}")),
        (0u8..10).prop_map(|n| format!("value > {n}")),
        any::<bool>().prop_map(|b| format!("value = {b}")),
        Just("value = null".to_owned()),
        Just("value != null".to_owned()),
        Just("value < [2024-02-01T00:00:00Z]".to_owned()),
        Just("id = 1.5".to_owned()),
        (1u8..5).prop_map(|c| format!("id != {c}")),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// One term an index answers exactly.
fn exact_leaf_or_prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<bool>().prop_map(|b| format!("inactiveFlag = {b}")),
        (1u8..5).prop_map(|r| format!("securityRole/id = {r}")),
        (1u8..5, 1u8..5).prop_map(|(a, b)| format!("securityRole/id in ({a}, {b})")),
        (0u32..40, 0u32..40).prop_map(|(a, b)| format!("id in ({a}, {b})")),
        (1u8..5).prop_map(|c| format!("customFields/id = {c}")),
        proptest::sample::select(IDENTS).prop_map(|v| format!("identifier = '{v}'")),
        (proptest::sample::select(LASTS), 1usize..3)
            .prop_map(|(v, n)| format!("lastName like '{}%'", v.chars().take(n).collect::<String>())),
    ]
}

#[derive(Clone, Debug)]
enum Write {
    Update(usize, Member),
    Remove(usize),
    Insert(Member),
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        (0usize..40, member()).prop_map(|(i, m)| Write::Update(i, m)),
        (0usize..40).prop_map(Write::Remove),
        member().prop_map(Write::Insert),
    ]
}

fn bind(cond: &str, order: Option<&str>, page: u32, size: u32, after: Option<u32>) -> BoundQuery {
    bind_custom(cond, None, order, page, size, after)
}

fn bind_custom(
    cond: &str,
    custom: Option<&str>,
    order: Option<&str>,
    page: u32,
    size: u32,
    after: Option<u32>,
) -> BoundQuery {
    ListQuery {
        conditions: Some(cond.to_owned()),
        custom_field_conditions: custom.map(str::to_owned),
        order_by: order.map(str::to_owned),
        page: Some(page.to_string()),
        page_size: Some(size.to_string()),
        page_id: after.map(|a| a.to_string()),
        ..ListQuery::default()
    }
    .bind(schema("Member"))
    .expect("generated conditions bind")
}

/// The page, total and "others" flag of checking every record.
fn by_scan<'t>(table: &'t Table, q: &BoundQuery, access: Access<'_>, names: &'t Names) -> (Vec<u32>, usize, bool) {
    let caller = names.lookup(access.caller);
    let after = q.paging.after_id.map_or(0, |a| a as u32);
    let rows: Vec<&'t Record> = table
        .iter()
        .filter(|r| r.id > after)
        .filter(|r| !access.own_only || Some(r.meta.entered_by) == caller)
        .filter(|r| q.matches(&RowView { rec: r, schema: table.schema, names }))
        .collect();
    // Ordered and paged independently of the planner's code: a plain sort.
    let mut rows = rows;
    let view = |rec: &'t Record| RowView { rec, schema: table.schema, names };
    rows.sort_by(|a, b| q.order.compare(&view(a), &view(b)));
    let others = access.track_others && rows.iter().any(|r| Some(r.meta.entered_by) != caller);
    let (size, page) = (q.paging.size as usize, q.paging.page as usize);
    let ids = rows.iter().skip((page - 1) * size).take(size).map(|r| r.id).collect();
    (ids, rows.len(), others)
}

fn by_plan(table: &Table, q: &BoundQuery, access: Access<'_>, names: &Names) -> (Vec<u32>, usize, bool) {
    let (page, total, others) = super::super::records::select_page(table, None, q, access, names);
    (page.iter().map(|r| r.id).collect(), total, others)
}

/// The page read off the ordered index, when the query is of that form.
fn by_index(table: &Table, q: &BoundQuery, access: Access<'_>, names: &Names) -> Option<(Vec<u32>, usize, bool)> {
    let vis = Visibility::entered_only(names.lookup(access.caller));
    let (page, total, others) = ordered::page(table, None, q, access, names, &vis)?;
    Some((page.iter().map(|r| r.id).collect(), total, others))
}

/// The count, and the page in id order, from the indexes alone, when they answer the query.
fn by_exact(table: &Table, q: &BoundQuery, access: Access<'_>, names: &Names) -> Option<(Vec<u32>, usize, bool)> {
    let vis = Visibility::entered_only(names.lookup(access.caller));
    let counted = exact::count(table, None, q, access, names, &vis);
    let paged = exact::page(table, None, q, access, names, &vis);
    match paged {
        Some((page, total, others)) => {
            assert_eq!(counted, Some((total, others)), "the count agrees with the page's total");
            Some((page.iter().map(|r| r.id).collect(), total, others))
        }
        // Ordered by other than id: the count alone, checked against the scan's.
        None => counted.map(|(total, others)| (by_scan(table, q, access, names).0, total, others)),
    }
}

/// Checks every path that answers `q` against the scan.
fn agree(table: &Table, q: &BoundQuery, access: Access<'_>, names: &Names, c: &str) -> Result<(), TestCaseError> {
    let scan = by_scan(table, q, access, names);
    prop_assert_eq!(by_plan(table, q, access, names), scan.clone(), "{}", c);
    if let Some(found) = by_index(table, q, access, names) {
        prop_assert_eq!(found, scan.clone(), "{} (off the index)", c);
    }
    if let Some(found) = by_exact(table, q, access, names) {
        prop_assert_eq!(found, scan.clone(), "{} (from the indexes alone)", c);
    }
    if let Some((page, more)) = by_forward(table, q, access, names) {
        let size = q.paging.size as usize;
        let first: Vec<u32> = scan_after_cursor(table, q, access, names).into_iter().take(size).collect();
        prop_assert_eq!(page, first, "{} (forward-only)", c);
        prop_assert_eq!(more, scan_after_cursor(table, q, access, names).len() > size, "{} (forward-only: more?)", c);
    }
    Ok(())
}

/// Every match after the cursor, in id order (what forward-only pages walk).
fn scan_after_cursor(table: &Table, q: &BoundQuery, access: Access<'_>, names: &Names) -> Vec<u32> {
    let caller = names.lookup(access.caller);
    let after = q.paging.after_id.map_or(0, |a| a as u32);
    table
        .iter()
        .filter(|r| r.id > after && (!access.own_only || Some(r.meta.entered_by) == caller))
        .filter(|r| q.matches(&RowView { rec: r, schema: table.schema, names }))
        .map(|r| r.id)
        .collect()
}

/// A forward-only page (id order, page 1) as the scan stopping one match past the page
/// reads it: the page, and whether another follows. `None` for other orders.
fn by_forward(table: &Table, q: &BoundQuery, access: Access<'_>, names: &Names) -> Option<(Vec<u32>, bool)> {
    if !q.order.is_by_id() {
        return None;
    }
    let size = q.paging.size as usize;
    let vis = Visibility::entered_only(names.lookup(access.caller));
    let mut scan = Scan::new(table, None, q).stopping_at(Some(size + 1));
    scan.run(table, None, q, access, names, &vis, None);
    let rows = scan.records(table, None, q, access, names, &vis);
    assert!(scan.done, "no deadline: the scan finishes");
    let more = scan.cut || rows.len() > size;
    Some((rows.iter().take(size).map(|r| r.id).collect(), more))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn a_planned_query_returns_what_the_scan_returns(
        members in proptest::collection::vec(member(), 0..40),
        writes in proptest::collection::vec(write(), 0..12),
        conds in proptest::collection::vec(query_condition(), 1..4),
        custom in proptest::option::of(custom_condition()),
        order in proptest::option::of(proptest::sample::select(&["lastName desc, firstName", "lastName", "identifier", "firstName desc", "lastName desc"][..])),
        page in 1u32..3,
        size in 1u32..6,
        after in proptest::option::of(0u32..20),
        own_only in any::<bool>(),
    ) {
        let mut names = Names::default();
        for u in ["u0", "u1", "u2"] {
            names.intern(u);
        }
        let mut table = Table::new(schema("Member"), Some("identifier"));
        let meta = |by: u32| Meta { entered_at: 0, updated_at: 0, entered_by: by, updated_by: by, parent: 0 };
        let mut next = 0u32;
        for (n, m) in members.iter().enumerate() {
            next += 1;
            let (doc, by) = encode(m, n);
            table.insert(Record::new(next, meta(by), doc));
        }
        let access = Access { caller: "u1", own_only, track_others: true };
        // Query once so every index the conditions touch is built, then write, so the
        // writes must keep the built indexes in step.
        let qs: Vec<BoundQuery> =
            conds.iter().map(|c| bind_custom(c, custom.as_deref(), order, page, size, after)).collect();
        for (q, c) in qs.iter().zip(&conds) {
            agree(&table, q, access, &names, c)?;
        }
        for (n, w) in writes.iter().enumerate() {
            match w {
                Write::Update(i, m) => {
                    let (doc, by) = encode(m, n + 100);
                    table.update(*i as u32, doc, meta(by));
                }
                Write::Remove(i) => {
                    table.remove(*i as u32);
                }
                Write::Insert(m) => {
                    next += 1;
                    let (doc, by) = encode(m, n + 200);
                    table.insert(Record::new(next, meta(by), doc));
                }
            }
        }
        for (q, c) in qs.iter().zip(&conds) {
            agree(&table, q, access, &names, c)?;
        }
    }
}

#[path = "planner_tests_cases.rs"]
mod cases;
