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
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

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

#[test]
fn an_indexed_lookup_examines_only_its_candidates() {
    let mut names = Names::default();
    names.intern("u0");
    let mut table = Table::new(schema("Member"), Some("identifier"));
    for i in 1..=1000u32 {
        let m = Member {
            ident: 0,
            first: Some(0),
            last: Some((i % 8) as usize),
            role: Some((i % 3) as u8 + 1),
            inactive: false,
            by: 0,
            custom: vec![],
        };
        let (doc, _) = encode(&m, 1);
        let mut obj = doc.view(schema("Member")).to_json();
        obj.insert("identifier".into(), Value::String(format!("m{i}")));
        let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
        table.insert(Record::new(i, meta, Doc::encode(schema("Member"), &obj)));
    }
    for (cond, examined) in [
        ("identifier = 'M500'", 1),
        ("securityRole/id = 2 and lastName = 'smith'", 84),
        ("lastName like 'SM%'", 375),
        ("id in (3, 4)", 2),
        ("lastName like '%h'", 1000),
    ] {
        let q = bind(cond, None, 1, 25, None);
        let mut scan = Scan::new(&table, None, &q);
        scan.run(&table, None, &q, Access::system(), &names, &Visibility::entered_only(None), None);
        assert!(scan.done);
        assert!(scan.examined <= examined, "{cond}: examined {}", scan.examined);
    }
}

#[test]
fn an_ordered_prefix_query_with_exact_terms_is_read_off_the_index_and_kept_in_step() {
    let mut names = Names::default();
    names.intern("u0");
    let mut table = Table::new(schema("Member"), Some("identifier"));
    let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
    // Enough members that the flag's postings are tested as bitsets.
    for i in 1..=6000u32 {
        let m = Member {
            ident: 0,
            first: Some((i % 6) as usize),
            last: Some((i % 8) as usize),
            role: Some((i % 3) as u8 + 1),
            inactive: i % 10 == 0,
            by: 0,
            custom: vec![((i % 3) as u8 + 1, (i % 2) as u8)],
        };
        table.insert(Record::new(i, meta, encode(&m, i as usize * 3).0));
    }
    let access = Access { caller: "u0", own_only: false, track_others: true };
    let queries = [
        ("lastName like 'S%' and inactiveFlag = false", "lastName desc, firstName", 1, 25),
        ("lastName like 'sm%' and inactiveFlag = false and securityRole/id in (1, 3)", "lastName", 3, 7),
        ("lastName like 'S%' and id in (8, 16, 24, 5000)", "lastName desc", 1, 2),
    ];
    for (cond, order, page, size) in queries {
        let q = bind(cond, Some(order), page, size, None);
        let found = by_index(&table, &q, access, &names).unwrap_or_else(|| panic!("{cond}: not read off the index"));
        assert!(found.1 > 0, "{cond}: matches something");
        assert_eq!(found, by_scan(&table, &q, access, &names), "{cond}");
    }
    // Writes move records in and out of the bitsets the first queries built.
    for i in (1..=6000u32).step_by(7) {
        let m = Member {
            ident: 1,
            first: Some(1),
            last: Some(0),
            role: Some(1),
            inactive: i % 2 == 0,
            by: 0,
            custom: vec![],
        };
        table.update(i, encode(&m, i as usize * 3 + 1).0, meta);
    }
    for i in (3..=6000u32).step_by(11) {
        table.remove(i);
    }
    for (cond, order, page, size) in queries {
        let q = bind(cond, Some(order), page, size, None);
        assert_eq!(by_index(&table, &q, access, &names), Some(by_scan(&table, &q, access, &names)), "{cond}");
    }
    for (cond, why) in [
        ("lastName like 'S%th' and inactiveFlag = false", "a prefix with more after it"),
        ("lastName like 'S%' and firstName = 'Ann'", "a text term"),
        ("lastName like 'S%' or inactiveFlag = false", "an or"),
        ("inactiveFlag = false", "no prefix"),
    ] {
        assert!(by_index(&table, &bind(cond, Some("lastName"), 1, 25, None), access, &names).is_none(), "{why}");
    }
    let by_first = bind("lastName like 'S%' and inactiveFlag = false", Some("firstName"), 1, 25, None);
    assert!(by_index(&table, &by_first, access, &names).is_none(), "ordered by another field");
}

#[test]
fn a_scan_stops_at_its_deadline_and_resumes_where_it_stopped() {
    let names = Names::default();
    let mut table = Table::new(schema("Member"), Some("identifier"));
    for i in 1..=5000u32 {
        let m = Member { ident: 0, first: None, last: Some(0), role: None, inactive: false, by: 0, custom: vec![] };
        let (doc, _) = encode(&m, i as usize);
        let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
        table.insert(Record::new(i, meta, doc));
    }
    let q = bind("lastName like '%mith%'", None, 1, 25, None);
    let mut scan = Scan::new(&table, None, &q);
    // A deadline already past: the scan stops after its first batch of 64.
    scan.run(
        &table,
        None,
        &q,
        Access::system(),
        &names,
        &Visibility::entered_only(None),
        Some(std::time::Instant::now()),
    );
    assert!(!scan.done);
    assert_eq!(scan.examined, 64);
    while !scan.done {
        scan.run(
            &table,
            None,
            &q,
            Access::system(),
            &names,
            &Visibility::entered_only(None),
            Some(std::time::Instant::now()),
        );
    }
    assert_eq!(scan.examined, 5000);
    assert_eq!(scan.records(&table, None, &q, Access::system(), &names, &Visibility::entered_only(None)).len(), 5000);
}

/// The lock is sliced: while a long query runs (on its own thread), a writer and a reader of
/// the same and of another collection get in and finish, and the query then stops at its
/// budget. Plain threads, so only the store's locking is under test.
#[test]
fn writers_and_readers_get_the_lock_while_a_long_query_runs() {
    let fixtures = crate::store::FixtureSet::builtin().with_bulk_members(100_000, 3);
    let store = crate::store::Store::new(crate::store::StoreConfig {
        clock: std::sync::Arc::new(crate::ManualClock::at(0)),
        key_seed: Some(1),
        fixtures,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    store.set_query_budget(std::time::Duration::from_secs(8));
    let company = store.companies().into_iter().next().expect("a tenant");
    let text = (0..300).map(|n| format!("firstName like \"%{n}%\"")).collect::<Vec<_>>().join(" or ");
    let q = ListQuery::from_pairs([("conditions", text.as_str())])
        .bind(schema("Member"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let long = std::thread::spawn({
        let (store, company) = (store.clone(), company.clone());
        move || store.list(&company, Res::Members, None, &q, Access::system(), "").map(|l| l.total)
    });
    while store.long_queries() == 0 {
        assert!(!long.is_finished(), "the query ended before it ran long");
        std::thread::yield_now();
    }

    let wrote = store.write_tenant(&company, |t, _, _| Ok(t.table(Res::Members).count()));
    let read = store.read_tenant(&company, |t| Ok(t.table(Res::Companies).count()));
    let still_running = store.long_queries() == 1 && !long.is_finished();
    let answer = long.join().expect("the query's thread");

    assert!(wrote.is_ok_and(|n| n > 100_000) && read.is_ok_and(|n| n > 0));
    assert!(still_running, "the writer and the reader got the lock while the long query ran");
    assert!(matches!(answer, Err(StoreError::Query(_))), "stopped at its budget: {:?}", answer.map(|_| ()));
}

/// Fixtures are created (and their answers rendered) with no API root; a client's list must
/// still leave each record's JSON cached for the client's root, so the next read is a copy.
#[test]
fn records_from_the_fixtures_are_cached_for_the_first_client_that_lists_them() {
    let store = crate::store::Store::new(crate::store::StoreConfig {
        clock: std::sync::Arc::new(crate::ManualClock::at(0)),
        key_seed: Some(1),
        fixtures: crate::store::FixtureSet::builtin(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let company = store.companies().into_iter().next().expect("a tenant");
    let q = ListQuery::from_pairs([("pageSize", "25")]).bind(schema("Member")).unwrap_or_else(|e| panic!("{e:?}"));
    let base = "http://cw.example.test/v4_6_release/apis/3.0";
    let first = store.list(&company, Res::Members, None, &q, Access::system(), base).expect("a page");
    let cached = store
        .read_tenant(&company, |t| {
            let table = t.table(Res::Members);
            Ok(table.iter().take(25).map(|r| r.cache.get(base).is_some()).collect::<Vec<_>>())
        })
        .expect("the tenant");
    assert!(!cached.is_empty() && cached.iter().all(|&c| c), "cached for the client's root: {cached:?}");
    let again = store.list(&company, Res::Members, None, &q, Access::system(), base).expect("a page");
    assert_eq!(first.body, again.body, "the copy is what was rendered");
}

#[test]
fn counts_and_id_ordered_pages_of_exact_terms_come_from_the_indexes_alone() {
    let names = Names::default();
    let mut table = Table::new(schema("Member"), Some("identifier"));
    let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
    for i in 1..=3000u32 {
        let m = Member {
            ident: 0,
            first: Some((i % 6) as usize),
            last: Some((i % 8) as usize),
            role: Some((i % 3) as u8 + 1),
            inactive: i % 10 == 0,
            by: 0,
            custom: vec![((i % 3) as u8 + 1, (i % 2) as u8)],
        };
        table.insert(Record::new(i, meta, encode(&m, i as usize * 3).0));
    }
    let access = Access { caller: "nobody", own_only: false, track_others: true };
    let vis = Visibility::entered_only(None);
    for (cond, after) in [
        ("lastName like 'S%' and inactiveFlag = false", None),
        ("lastName like 'S%' and inactiveFlag = false", Some(1500)),
        ("(securityRole/id in (1, 3) or inactiveFlag = true) and lastName like 'b%'", None),
        ("id in (5, 7, 99999) or identifier = 'ab3'", None),
    ] {
        let q = bind(cond, None, 2, 25, after);
        let counted = exact::count(&table, None, &q, access, &names, &vis);
        let paged = exact::page(&table, None, &q, access, &names, &vis)
            .map(|(p, t, o)| (p.iter().map(|r| r.id).collect(), t, o));
        let scan = by_scan(&table, &q, access, &names);
        assert!(scan.1 > 0, "{cond}: matches something");
        assert_eq!(counted, Some((scan.1, scan.2)), "{cond}: counted from the indexes");
        assert_eq!(paged, Some(scan), "{cond}: paged from the indexes");
    }
    // The prefix's bitset, kept from the first query, follows writes.
    for i in (1..=3000u32).step_by(7) {
        let m = Member {
            ident: 1,
            first: Some(1),
            last: Some(0),
            role: Some(1),
            inactive: i % 2 == 0,
            by: 0,
            custom: vec![],
        };
        table.update(i, encode(&m, i as usize * 3 + 1).0, meta);
    }
    for i in (3..=3000u32).step_by(11) {
        table.remove(i);
    }
    let q = bind("lastName like 'S%' and inactiveFlag = false", None, 1, 25, None);
    let scan = by_scan(&table, &q, access, &names);
    assert_eq!(exact::count(&table, None, &q, access, &names, &vis), Some((scan.1, scan.2)));
    for (cond, why) in [
        ("lastName like 'S%th'", "a prefix with more after it"),
        ("firstName = 'Ann'", "a text term (a hash index)"),
        ("not inactiveFlag = false", "a negation"),
    ] {
        assert!(exact::count(&table, None, &bind(cond, None, 1, 25, None), access, &names, &vis).is_none(), "{why}");
    }
}

/// Issue 29's `customFieldConditions` form: 2,000 members tagged (field 7, "Gold" on half of
/// them, as `benches/load.rs` tags them) among 20,000; the page of 25 reads only its 25
/// records, its total comes from the index, and writes keep the index in step.
#[test]
fn a_custom_field_condition_reads_only_its_page() {
    let names = Names::default();
    let mut table = Table::new(schema("Member"), Some("identifier"));
    let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
    let tagged = |i: u32, value: &str| {
        let mut obj = Map::new();
        obj.insert("identifier".into(), Value::String(format!("m{i}")));
        if i % 10 == 0 {
            obj.insert("customFields".into(), json!([{ "id": 7, "caption": "Tier", "value": value }]));
        }
        Doc::encode(schema("Member"), &obj)
    };
    for i in 1..=20_000u32 {
        table.insert(Record::new(i, meta, tagged(i, if i % 20 == 0 { "Gold" } else { "Silver" })));
    }
    let access = Access { caller: "nobody", own_only: false, track_others: true };
    let vis = Visibility::entered_only(None);
    let ask = |table: &Table, custom: &str, page: u32, after: Option<u32>| {
        let q = bind_custom("", Some(custom), None, page, 25, after);
        READS.with(|r| r.set(0));
        let paged = exact::page(table, None, &q, access, &names, &vis)
            .map(|(p, t, o)| (p.iter().map(|r| r.id).collect(), t, o));
        let reads = READS.with(std::cell::Cell::get);
        let counted = exact::count(table, None, &q, access, &names, &vis);
        let scan = by_scan(table, &q, access, &names);
        assert_eq!(paged, Some(scan.clone()), "{custom}: paged from the index");
        assert_eq!(counted, Some((scan.1, scan.2)), "{custom}: counted from the index");
        // A forward-only page: the scan takes the exact candidates without reading them.
        let mut forward = Scan::new(table, None, &q).stopping_at(Some(26));
        READS.with(|r| r.set(0));
        forward.run(table, None, &q, access, &names, &vis, None);
        assert_eq!(READS.with(std::cell::Cell::get), 0, "{custom}: the forward-only scan reads no record");
        (reads, scan.1)
    };
    for (custom, total) in [
        ("id = 7 and value = \"Gold\"", 1000),
        ("id = 7 AND value = \"gold\"", 1000),
        ("id = 7 and value != \"Gold\"", 1000),
        ("id in (7, 8)", 2000),
        ("value like \"G%\"", 1000),
        ("caption = \"tier\" and value = 'silver'", 1000),
    ] {
        let (reads, found) = ask(&table, custom, 3, None);
        assert_eq!(found, total, "{custom}");
        assert!(reads <= 26, "{custom}: read {reads} records for a page of 25");
    }
    // Writes: Gold becomes Silver on some, records go, new ones come tagged.
    for i in (20..=20_000u32).step_by(60) {
        table.update(i, tagged(i, "Silver"), meta);
    }
    for i in (40..=20_000u32).step_by(140) {
        table.remove(i);
    }
    for i in 20_001..=20_100u32 {
        table.insert(Record::new(i, meta, tagged(i, "GOLD")));
    }
    let (reads, found) = ask(&table, "id = 7 and value = \"Gold\"", 2, Some(500));
    assert!(found > 0 && reads <= 26, "after writes: {found} found, {reads} read");
}
