//! The planner's cases: what a query reads (only its candidates, only its page), the ordered
//! and exact answers kept in step with writes, the scan's deadline and slices, and the cache
//! a list leaves behind.

use super::*;
use crate::resources::Res;
use crate::store::StoreError;

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
