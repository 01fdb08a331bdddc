//! The state file against damage and misuse, in process: flipped bits in the database or in
//! its WAL are refused at start, never served; a second opener is refused; a write or a
//! replacement the database cannot take changes nothing, leaves no file behind and the store
//! serves on; a failure does not make later writes any heavier.

use std::path::Path;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use super::tests::{add_ticket, config, exported, scratch};
use super::{StateError, wal_path};
use crate::resources::Res;
use crate::store::records::{Access, WriteCtx};
use crate::store::{Store, StoreError};

/// Writes a database image (and WAL) into a fresh directory and opens it.
fn open_image(name: &str, db: &[u8], wal: Option<&[u8]>) -> (Result<Store, StateError>, std::path::PathBuf) {
    let dir = scratch(name);
    let path = dir.join("state.db");
    std::fs::write(&path, db).unwrap();
    if let Some(w) = wal {
        std::fs::write(wal_path(&path), w).unwrap();
    }
    (Store::open(config(), &path), dir)
}

fn try_ticket(store: &Store, summary: &str) -> Result<u32, StoreError> {
    store
        .write_tenant("cwmock", |t, keys, now| {
            let body = json!({"summary": summary, "company": {"identifier": "AcmeCorp"}});
            t.create(Res::Tickets, None, body, &WriteCtx { access: Access::system(), now, keys, base: "" })
        })
        .map(|one| one.id)
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_flipped_bit_in_a_wal_frame_with_commits_after_it_is_refused_not_cut_off() {
    let dir = scratch("walflip");
    let path = dir.join("state.db");
    let store = Store::open(config(), &path).unwrap();
    let ids: Vec<u32> = (0..20).map(|i| add_ticket(&store, &format!("acknowledged {i}"))).collect();
    let expected = exported(&store);
    // What a kill -9 now leaves: the database and a WAL of twenty commits.
    let db = std::fs::read(&path).unwrap();
    let wal = std::fs::read(wal_path(&path)).unwrap();
    drop(store);

    let (intact, d) = open_image("walflip-intact", &db, Some(&wal));
    assert_eq!(exported(&intact.unwrap()), expected, "the crash image itself loads whole");
    let _ = std::fs::remove_dir_all(d);

    let page = u32::from_be_bytes([wal[8], wal[9], wal[10], wal[11]]) as usize;
    let frames = (wal.len() - 32) / (24 + page);
    assert!(frames >= 20, "{frames} frames");
    let mut damaged = wal.clone();
    let middle = 32 + (frames / 2) * (24 + page) + 24 + page / 2;
    damaged[middle] ^= 0x10;
    let (opened, d) = open_image("walflip", &db, Some(&damaged));
    let e = opened.expect_err("a WAL damaged before later commits is refused, not cut off").to_string();
    assert!(e.contains("state.db") && e.contains("write-ahead log") && e.contains("would be lost"), "{e}");
    assert!(e.contains("Restore the file"), "the message says what to do: {e}");
    assert!(ids.len() == 20);
    let _ = std::fs::remove_dir_all(d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_flipped_bit_in_a_stored_record_is_refused_naming_the_row() {
    let dir = scratch("rowflip");
    let path = dir.join("state.db");
    let store = Store::open(config(), &path).unwrap();
    let id = add_ticket(&store, "needle-summary-to-flip");
    drop(store); // a clean close checkpoints: everything is in the database file
    let mut db = std::fs::read(&path).unwrap();
    let at = db.windows(13).position(|w| w == b"needle-summar").expect("the summary is stored as text");
    db[at + 3] ^= 0x01; // "needle" becomes "neddle": still valid JSON, still a valid page
    let (opened, d) = open_image("rowflip-image", &db, None);
    let e = opened.expect_err("a changed record is refused").to_string();
    assert!(e.contains(&format!("records row (cwmock, /service/tickets, {id}) does not match its checksum")), "{e}");
    let _ = std::fs::remove_dir_all(d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flipped_bits_anywhere_in_the_database_are_refused_or_change_nothing() {
    const TRIALS: usize = 300;
    let dir = scratch("anyflip");
    let path = dir.join("state.db");
    let store = Store::open(config(), &path).unwrap();
    for i in 0..5 {
        add_ticket(&store, &format!("flip target {i}"));
    }
    let expected = exported(&store);
    drop(store);
    let db = std::fs::read(&path).unwrap();
    let mut rng = StdRng::seed_from_u64(0x27);
    let (mut refused, mut harmless) = (0, 0);
    for trial in 0..TRIALS {
        let mut image = db.clone();
        let at = rng.random_range(0..image.len());
        image[at] ^= 1 << rng.random_range(0..8u32);
        let (opened, d) = open_image(&format!("anyflip-{trial}"), &image, None);
        match opened {
            Ok(store) => {
                let got: Value = exported(&store);
                assert!(got == expected, "a flip at byte {at} loaded a different state");
                harmless += 1;
            }
            Err(e) => {
                assert!(e.to_string().contains("state.db"), "the refusal names the file: {e}");
                refused += 1;
            }
        }
        let _ = std::fs::remove_dir_all(d);
    }
    println!("{TRIALS} single-bit flips in a {} byte database: {refused} refused, {harmless} harmless", db.len());
    assert!(refused > TRIALS / 10, "flips in used pages are refused ({refused})");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_opener_is_refused_while_the_first_holds_the_file() {
    let dir = scratch("second");
    let path = dir.join("state.db");
    let first = Store::open(config(), &path).unwrap();
    let e = Store::open(config(), &path).expect_err("a second opener is refused").to_string();
    assert!(e.contains("in use by another process") && e.contains("state.db"), "{e}");
    add_ticket(&first, "the first still writes");
    drop(first);
    assert!(Store::open(config(), &path).is_ok(), "once the first is gone the file opens");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_write_the_database_cannot_take_changes_nothing_and_the_store_serves_on() {
    let dir = scratch("full");
    let path = dir.join("state.db");
    let store = Store::open(config(), &path).unwrap();
    let persister = store.shared.persist.as_ref().unwrap();
    persister.limit_pages(0);
    let mut refused = None;
    for i in 0..500 {
        let before = exported(&store);
        match try_ticket(&store, &format!("filling {i} {}", "x".repeat(80))) {
            Ok(_) => {}
            Err(StoreError::Unsaved(e)) => {
                assert_eq!(exported(&store), before, "the refused write changed nothing in memory");
                refused = Some(e);
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let e = refused.expect("the database stopped growing");
    assert!(e.to_string().contains("full"), "{e}");
    // A whole replacement (a fixture load larger than what is there) on the full disk is
    // refused too, and changes nothing.
    let before = exported(&store);
    let larger = crate::store::FixtureSet::builtin().with_bulk_members(200, 1);
    assert!(matches!(store.load(&larger), Err(crate::store::LoadError::Unsaved(_))));
    assert_eq!(exported(&store), before);
    assert_eq!(files(&dir), ["state.db", "state.db-wal"], "no temporary file is left behind");
    // Room again: the store serves on, and what it acknowledged is what reopens.
    persister.limit_pages(1 << 20);
    let id = try_ticket(&store, "after the disk was freed").unwrap();
    let expected = exported(&store);
    drop(store);
    let reopened = Store::open(config(), &path).unwrap();
    assert_eq!(exported(&reopened), expected);
    assert!(reopened.read_tenant("cwmock", |t| Ok(t.table(Res::Tickets).get(id).is_some())).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_writers_whose_group_fails_are_all_undone_and_acknowledged_ones_all_kept() {
    let dir = scratch("group");
    let path = dir.join("state.db");
    let store = Store::open(config(), &path).unwrap();
    let count = |s: &Store| s.read_tenant("cwmock", |t| Ok(t.table(Res::Tickets).iter().count())).unwrap();
    let start = count(&store);
    store.shared.persist.as_ref().unwrap().limit_pages(3);
    let outcomes: Vec<Result<u32, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|w| {
                let store = &store;
                s.spawn(move || {
                    (0..40).map(|i| try_ticket(store, &format!("w{w}-{i} {}", "y".repeat(80)))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let acknowledged: Vec<u32> = outcomes.iter().filter_map(|o| o.as_ref().ok().copied()).collect();
    let refused = outcomes.iter().filter(|o| matches!(o, Err(StoreError::Unsaved(_)))).count();
    assert_eq!(acknowledged.len() + refused, outcomes.len());
    assert!(refused > 0 && !acknowledged.is_empty(), "{} acknowledged, {refused} refused", acknowledged.len());
    assert_eq!(count(&store), start + acknowledged.len(), "exactly the acknowledged tickets are in memory");
    let expected = exported(&store);
    drop(store);
    let reopened = Store::open(config(), &path).unwrap();
    assert_eq!(exported(&reopened), expected, "and exactly they are on disk");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn after_a_failed_write_each_write_still_writes_only_its_own_rows() {
    let dir = scratch("after");
    let path = dir.join("state.db");
    let store = Store::open(config(), &path).unwrap();
    let persister = store.shared.persist.as_ref().unwrap();
    persister.limit_pages(0);
    while try_ticket(&store, &"z".repeat(90)).is_ok() {}
    persister.limit_pages(1 << 20);
    let before = persister.rows_written();
    for i in 0..200 {
        try_ticket(&store, &format!("after {i}")).unwrap();
    }
    let rows = persister.rows_written() - before;
    // A ticket is its row and its id sequence's; the fixtures alone are hundreds of rows.
    assert!(rows <= 200 * 3, "200 writes wrote {rows} rows");
    let _ = std::fs::remove_dir_all(&dir);
}
