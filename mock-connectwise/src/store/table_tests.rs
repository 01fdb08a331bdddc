//! The table's cases: finding records by id, the unique index, entry counts, interning.

use super::*;
use crate::schema::schema;
use serde_json::json;

#[test]
fn a_record_is_64_bytes_beside_its_document() {
    // A million members: every 8 bytes here is 8 MB (docs/benchmark.md).
    assert_eq!(std::mem::size_of::<Record>(), 64);
}

fn rec(id: u32, identifier: &str) -> Record {
    let body = json!({ "identifier": identifier });
    let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
    Record::new(id, meta, Doc::encode(schema("ApiMember"), body.as_object().unwrap()))
}

#[test]
fn records_are_found_by_id_at_their_dense_place_and_after_deletions_and_gaps() {
    let mut t = Table::new(schema("ApiMember"), None);
    let ids: Vec<u32> = (5..=60).chain([70, 71, 90]).collect();
    for &i in &ids {
        t.insert(rec(i, &format!("M{i}")));
    }
    for gone in [5, 6, 30, 59] {
        t.remove(gone);
    }
    for probe in 0..=100 {
        let want = ids.contains(&probe) && ![5, 6, 30, 59].contains(&probe);
        assert_eq!(t.get(probe).map(|r| r.id), want.then_some(probe), "id {probe}");
        assert_eq!(position(&t.records, probe), t.records.binary_search_by_key(&probe, |r| r.id), "id {probe}");
    }
}

#[test]
fn the_unique_index_follows_inserts_updates_and_removals_ignoring_case() {
    let mut t = Table::new(schema("ApiMember"), Some("identifier"));
    for i in 1..=100 {
        t.insert(rec(i, &format!("Member{i}")));
    }
    assert_eq!(t.find_unique("MEMBER42"), Some(42));
    let renamed = rec(42, "Renamed");
    assert!(t.update(42, renamed.doc, renamed.meta));
    assert_eq!(t.find_unique("member42"), None);
    assert_eq!(t.find_unique("renamed"), Some(42));
    assert!(t.remove(42).is_some());
    assert_eq!(t.find_unique("renamed"), None);
    assert_eq!(t.len(), 99);
    assert_eq!(t.find_unique("member99"), Some(99));
}

#[test]
fn iter_after_starts_past_the_given_id_even_when_it_is_gone() {
    let mut t = Table::new(schema("ApiMember"), None);
    for i in [1, 2, 5, 9] {
        t.insert(rec(i, "x"));
    }
    let ids = |after| t.iter_after(after).map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(0), [1, 2, 5, 9]);
    assert_eq!(ids(2), [5, 9]);
    assert_eq!(ids(3), [5, 9]);
    assert_eq!(ids(9), Vec::<u32>::new());
}

#[test]
fn per_member_entry_counts_follow_inserts_updates_and_removals() {
    let mut t = Table::new(schema("ApiMember"), None);
    let by = |id, who| Record::new(id, Meta { entered_by: who, ..rec(id, "x").meta }, rec(id, "x").doc);
    for (id, who) in [(1, 7), (2, 7), (3, 8)] {
        t.insert(by(id, who));
    }
    assert_eq!((t.entered_by(Some(7)), t.entered_by(Some(8)), t.entered_by(None)), (2, 1, 0));
    t.remove(1);
    let moved = by(3, 7);
    t.update(3, moved.doc, moved.meta);
    assert_eq!((t.entered_by(Some(7)), t.entered_by(Some(8))), (2, 0));
}

#[test]
fn names_intern_once() {
    let mut n = Names::default();
    let a = n.intern("Admin1");
    assert_eq!(n.intern("Admin1"), a);
    assert_ne!(n.intern("admin1"), a);
    assert_eq!(n.name(a), "Admin1");
    assert_eq!(n.lookup("nobody"), None);
}
