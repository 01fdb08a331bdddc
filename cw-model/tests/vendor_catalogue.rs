//! The vendor catalogue (`features/profiles/*.toml`) against its evidence,
//! `shared/reference/vendor-roles.json`: every shipped profile names, through `source`, the
//! entry it transcribes and holds exactly that entry's rows, levels and Customize lists; and
//! the catalogue ships every entry that is complete by the rule below, and no other.
//!
//! **Complete** (the rule docs/profiles.md states): an entry is shipped when its
//! source gives at least [`MIN_ROWS`] rows, every row states at least one level (no row whose
//! levels the copy lost or gives only as verbs), no Customize list is named without its items,
//! and neither the entry's nor a row's notes say the copy is truncated or not recoverable.
//! The seed's page (Sophos Central, the default) is shipped although it is partial.

use std::collections::BTreeSet;

use cw_model::{Action, DEFAULT_PROFILE, Function, PermissionLevel, Profile};
use serde::Deserialize;

/// The fewest rows a shipped vendor profile has.
const MIN_ROWS: usize = 10;

const LEVELS: [Action; 4] = [Action::Add, Action::Edit, Action::Delete, Action::Inquire];

#[derive(Deserialize)]
struct Reference {
    vendors: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    vendor: String,
    product: String,
    source: String,
    notes: Option<String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    module: String,
    function: String,
    add: Option<String>,
    edit: Option<String>,
    delete: Option<String>,
    inquire: Option<String>,
    customize: Option<Vec<String>>,
    notes: Option<String>,
    #[serde(default)]
    levels_listed_column_lost: Vec<String>,
    #[serde(default)]
    verbs_required_level_unstated: Vec<String>,
}

impl Row {
    fn label(&self) -> String {
        format!("{} > {}", self.module, self.function)
    }

    /// The levels in [`LEVELS`] order; a blank cell (`null`) and `"None"` are both `None`.
    fn levels(&self) -> [PermissionLevel; 4] {
        [&self.add, &self.edit, &self.delete, &self.inquire].map(|cell| {
            cell.as_deref()
                .map_or(PermissionLevel::None, |l| l.parse().unwrap_or_else(|e| panic!("{}: level {e}", self.label())))
        })
    }

    fn states_a_level(&self) -> bool {
        [&self.add, &self.edit, &self.delete, &self.inquire].iter().any(|c| c.is_some())
            && self.levels_listed_column_lost.is_empty()
            && self.verbs_required_level_unstated.is_empty()
    }
}

fn says_partial(notes: Option<&str>) -> bool {
    notes.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.contains("truncat") || n.contains("not recoverable")
    })
}

impl Entry {
    /// Why the entry is not shipped, or `None` when it is complete.
    fn incomplete(&self) -> Option<String> {
        if self.rows.len() < MIN_ROWS {
            return Some(format!("{} rows, fewer than {MIN_ROWS}", self.rows.len()));
        }
        if let Some(r) = self.rows.iter().find(|r| !r.states_a_level()) {
            return Some(format!("{}: no level stated", r.label()));
        }
        if let Some(r) = self.rows.iter().find(|r| r.customize.as_ref().is_some_and(Vec::is_empty)) {
            return Some(format!("{}: a Customize list without its items", r.label()));
        }
        if says_partial(self.notes.as_deref()) {
            return Some("the copy is truncated".into());
        }
        if let Some(r) = self.rows.iter().find(|r| says_partial(r.notes.as_deref())) {
            return Some(format!("{}: truncated", r.label()));
        }
        None
    }
}

fn reference() -> Reference {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/vendor-roles.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn builtins() -> Vec<Profile> {
    Profile::builtins().into_iter().map(|p| p.unwrap_or_else(|e| panic!("{e}"))).collect()
}

#[test]
fn every_shipped_profile_holds_exactly_the_rows_of_the_entry_its_source_names() {
    let reference = reference();
    for profile in builtins() {
        let source = profile.source.as_deref().unwrap_or_else(|| panic!("{} has no source", profile.id));
        let entry = reference
            .vendors
            .iter()
            .find(|e| e.source == source)
            .unwrap_or_else(|| panic!("{}: no vendor-roles.json entry has the source {source}", profile.id));
        let context = format!("{} ({}: {})", profile.id, entry.vendor, entry.product);
        assert_eq!(profile.rows.len(), entry.rows.len(), "{context}: row count");
        for row in &entry.rows {
            let function = Function::find(&row.label()).unwrap_or_else(|| panic!("{context}: {} unknown", row.label()));
            let shipped = profile.row(function).unwrap_or_else(|| panic!("{context}: {function} is missing"));
            let levels: Vec<(Action, PermissionLevel)> = LEVELS.iter().map(|&a| (a, shipped.level(a))).collect();
            let wanted: Vec<(Action, PermissionLevel)> = LEVELS.into_iter().zip(row.levels()).collect();
            assert_eq!(levels, wanted, "{context}: {function}");
            let customize = row.customize.clone().filter(|c| !c.is_empty()).map(BTreeSet::from_iter);
            assert_eq!(shipped.customize, customize, "{context}: {function} Customize");
        }
    }
}

#[test]
fn the_catalogue_ships_every_complete_entry_and_no_partial_one() {
    let reference = reference();
    let shipped: BTreeSet<String> = builtins().into_iter().filter_map(|p| p.source).collect();
    let mut complete = BTreeSet::new();
    for entry in &reference.vendors {
        let is_shipped = shipped.contains(&entry.source);
        match entry.incomplete() {
            None => {
                assert!(is_shipped, "{}: {} is complete but not shipped", entry.vendor, entry.product);
                complete.insert(entry.source.clone());
            }
            Some(why) => {
                let default = Profile::seed().source.as_deref() == Some(entry.source.as_str());
                assert!(!is_shipped || default, "{}: {} is shipped but partial: {why}", entry.vendor, entry.product);
            }
        }
    }
    // Nine vendor pages pass the rule today (docs/profiles.md); the seed's is the tenth file.
    assert_eq!(complete.len(), 9, "{complete:#?}");
    assert_eq!(Profile::builtin_ids().len(), complete.len() + 1);
    assert!(Profile::builtin_ids().contains(&DEFAULT_PROFILE));
}

#[test]
fn every_shipped_profile_has_a_source_url_and_names_within_connectwise_limits() {
    for p in builtins() {
        let source = p.source.as_deref().unwrap_or_default();
        assert!(source.starts_with("https://"), "{}: source {source:?} is not a URL", p.id);
        assert!(p.member.identifier.chars().count() <= 15, "{}", p.id);
        assert!(p.member.name.chars().count() <= 30 && p.role.chars().count() <= 30, "{}", p.id);
        assert!(p.rows.len() >= MIN_ROWS || p.id == DEFAULT_PROFILE, "{}: {} rows", p.id, p.rows.len());
        assert!(p.requirements().count() > 0, "{}: grants nothing", p.id);
    }
}

#[test]
fn built_ins_have_distinct_ids_names_members_and_roles() {
    let all = builtins();
    for (what, values) in [
        ("name", all.iter().map(|p| p.name.to_ascii_lowercase()).collect::<Vec<_>>()),
        ("member", all.iter().map(|p| p.member.identifier.to_ascii_lowercase()).collect()),
        ("role", all.iter().map(|p| p.role.to_ascii_lowercase()).collect()),
    ] {
        let distinct: BTreeSet<&String> = values.iter().collect();
        assert_eq!(distinct.len(), values.len(), "two built-ins share a {what}: {values:?}");
    }
    for p in &all {
        assert_eq!(Profile::load(&p.id).map(|l| l.name).ok(), Some(p.name.clone()), "{} loads by id", p.id);
        assert_eq!(Profile::load(&p.name).map(|l| l.id).ok(), Some(p.id.clone()), "{} loads by name", p.id);
    }
}
