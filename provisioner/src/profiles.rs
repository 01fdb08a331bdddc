//! `provisioner profiles`: the built-in integration profiles (`features/profiles/*.toml`,
//! compiled into `cw-model`) as a table for people and JSON for machines.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use cw_model::{DEFAULT_PROFILE, Profile};
use serde::Serialize;

/// One built-in profile as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    /// The id `--profile` takes (the file stem).
    pub id: String,
    /// The vendor's name for the integration.
    pub name: String,
    /// How many security-role rows it needs.
    pub rows: usize,
    /// How many levels above `None` those rows hold.
    pub levels: usize,
    /// Where the vendor documents it.
    pub source: Option<String>,
    /// Whether it is the default.
    pub default: bool,
    /// Why it does not load, for a built-in that does not (a build that passed its tests has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every built-in profile, in id order.
pub fn list() -> Vec<ProfileSummary> {
    let ids = Profile::builtin_ids();
    let mut out: Vec<ProfileSummary> = Profile::builtins()
        .into_iter()
        .zip(ids)
        .map(|(p, id)| match p {
            Ok(p) => ProfileSummary {
                default: p.id == DEFAULT_PROFILE,
                rows: p.rows.len(),
                levels: p.requirements().count(),
                id: p.id,
                name: p.name,
                source: p.source,
                error: None,
            },
            Err(e) => ProfileSummary {
                id: id.to_owned(),
                name: String::new(),
                rows: 0,
                levels: 0,
                source: None,
                default: false,
                error: Some(e.to_string()),
            },
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The list as a table: id, name, rows, levels, source.
pub fn render(list: &[ProfileSummary]) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(160);
    table.set_header(["id", "name", "rows", "levels", "source"]);
    for p in list {
        let id = if p.default { format!("{} (default)", p.id) } else { p.id.clone() };
        let source =
            p.error.clone().map_or_else(|| p.source.clone().unwrap_or_default(), |e| format!("DOES NOT LOAD: {e}"));
        table.add_row([id, p.name.clone(), p.rows.to_string(), p.levels.to_string(), source]);
    }
    format!("{table}\n{} built-in profiles; use one with --profile ID (or --profile FILE.toml)\n", list.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_is_listed_once_with_the_default_marked() {
        let list = list();
        assert_eq!(list.len(), Profile::builtin_ids().len());
        assert_eq!(list.iter().filter(|p| p.default).count(), 1);
        let seed = list.iter().find(|p| p.default).unwrap();
        assert_eq!((seed.id.as_str(), seed.rows, seed.levels), (DEFAULT_PROFILE, 7, 15));
        let text = render(&list);
        assert!(text.contains("sophos-central (default)") && text.contains("Sophos Central"), "{text}");
    }
}
