//! The state file's generations, in process: what a compaction interrupted between its
//! two renames leaves behind must load as the snapshot alone.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::log_path;
use crate::clock::ManualClock;
use crate::resources::Res;
use crate::store::records::{Access, WriteCtx};
use crate::store::{FixtureSet, Store, StoreConfig};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cw-persist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config() -> StoreConfig {
    StoreConfig { clock: Arc::new(ManualClock::at(1_736_942_400)), key_seed: Some(5), fixtures: FixtureSet::builtin() }
}

fn add_ticket(store: &Store, summary: &str) -> u32 {
    store
        .write_tenant("cwmock", |t, keys, now| {
            let body = json!({"summary": summary, "company": {"identifier": "AcmeCorp"}});
            t.create(Res::Tickets, None, body, &WriteCtx { access: Access::system(), now, keys, base: "" })
        })
        .unwrap()
        .id
}

fn exported(store: &Store) -> Value {
    let mut v: Value = serde_json::from_slice(&store.export_state()).unwrap();
    v.as_object_mut().unwrap().remove("generation");
    v
}

#[test]
fn a_log_left_by_a_compaction_interrupted_after_its_snapshot_is_set_aside() {
    let dir = scratch("stale");
    let path = dir.join("state.json");
    let store = Store::open(config(), &path).unwrap();
    add_ticket(&store, "before the reset");
    let old_log = std::fs::read(log_path(&path)).unwrap();
    store.reset().unwrap();
    let after_reset = exported(&store);
    drop(store);
    // As if the process died between renaming the new snapshot and replacing the log.
    std::fs::write(log_path(&path), old_log).unwrap();

    let reopened = Store::open(config(), &path).unwrap();
    assert_eq!(exported(&reopened), after_reset, "the old log's ticket is not replayed over the reset");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_compacted_state_reopens_equal_and_keeps_logging_after_the_snapshot() {
    let dir = scratch("compact");
    let path = dir.join("state.json");
    let store = Store::open(config(), &path).unwrap();
    let first = add_ticket(&store, "in the snapshot");
    {
        let persist = store.shared.persist.as_ref().unwrap();
        persist.compact(&store.read()).unwrap();
        assert_eq!(persist.generation(), 2);
        assert_eq!(std::fs::metadata(log_path(&path)).unwrap().len(), super::wal::HEADER);
    }
    let second = add_ticket(&store, "in the log");
    let before = exported(&store);
    drop(store);

    let reopened = Store::open(config(), &path).unwrap();
    assert_eq!(exported(&reopened), before);
    let third = add_ticket(&reopened, "after the restart");
    assert!(first < second && second < third, "ids keep growing across restarts: {first} {second} {third}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_log_without_its_snapshot_is_refused_rather_than_guessed_at() {
    let dir = scratch("orphan");
    let path = dir.join("state.json");
    drop(Store::open(config(), &path).unwrap());
    std::fs::remove_file(&path).unwrap();
    let e = Store::open(config(), &path).unwrap_err().to_string();
    assert!(e.contains("exists without its snapshot"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_seeded_store_restored_from_its_file_does_not_repeat_the_keys_it_made_before() {
    let dir = scratch("seed");
    let path = dir.join("state.json");
    // The first start builds the fixtures; the next two both start the seeded generator
    // from a restored state, where without mixing they would draw the same keys.
    drop(Store::open(config(), &path).unwrap());
    let store = Store::open(config(), &path).unwrap();
    let make = |s: &Store| {
        s.write_tenant("cwmock", |t, keys, now| {
            t.create_key("jdoe", "k", crate::store::access::SaveAction::Save, None, now, keys)
        })
    };
    let before = make(&store).unwrap().key.public_key;
    drop(store);
    let reopened = Store::open(config(), &path).unwrap();
    let after = make(&reopened).expect("a fresh key, not a clash with the one made before the restart");
    assert_ne!(after.key.public_key, before);
    let _ = std::fs::remove_dir_all(&dir);
}
