//! `docs/coverage.md`, the mock's coverage of the official API (as LocalStack publishes per
//! service), is generated from the route table and checked in; this test fails when it is
//! stale. Regenerate with `COVERAGE_WRITE=1 cargo test -p mock-connectwise --test coverage`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mock_connectwise::permissions::{RouteRule, route_rules};

const KINDS: [&str; 5] = ["stored", "view", "endpoint", "action", "answered"];

fn family(rule: &RouteRule) -> String {
    rule.path.trim_start_matches('/').split('/').next().unwrap_or("").to_ascii_lowercase()
}

fn render() -> String {
    let rules = route_rules();
    let mut by_family: BTreeMap<String, Vec<&RouteRule>> = BTreeMap::new();
    for r in &rules {
        by_family.entry(family(r)).or_default().push(r);
    }
    let mut md = String::new();
    md.push_str(
        "# Coverage of the official ConnectWise Manage API\n\n\
         Generated from the mock's route table (`mock_connectwise::permissions::route_rules`) by\n\
         `COVERAGE_WRITE=1 cargo test -p mock-connectwise --test coverage`; the test fails when this file\n\
         is stale. Do not edit by hand.\n\n\
         The operations are those of the official 2021.1 path table (`openapi/manage-paths-2021.1.json`),\n\
         the official 2026.4 GET file (`openapi/openapi-2026.4-get.json`) and the 2025.1 operations\n\
         converted from the Go client generated from the official 2025.1 file\n\
         (`openapi/connectwise-2025.1.json`, by `openapi/tools/go-api-to-openapi.py`). How each is served:\n\n\
         - **stored**: a collection's records (list, count, get, create, replace, patch, delete; on a\n  \
           collection's own path, the whole of a parent's children, A15.6);\n\
         - **view**: records seen another way (`/info` projections, `/default`) or a list, count or\n  \
           object nothing is stored behind (usages, audit trails; an item of such a list is 404, A24.8);\n\
         - **endpoint**: its own code (members by identifier, deactivation, tokens, role settings,\n  \
           reports, `/system/info`, `/system/mySecurity`);\n\
         - **action**: the family module's effect on the records (`resources/families/`; A24.3-A24.7, A24.20-A24.21);\n\
         - **answered**: a body valid against the official response schema, nothing changed (A24.2).\n\n\
         *needs* is the security-role row and column the mock enforces; *evidence* says whether a\n\
         vendor's published role or ConnectWise documentation shows that row (else it is the mock's\n\
         assumption, A15.1 and A24.1).\n\n## Summary by family\n\n",
    );
    let _ = writeln!(md, "| family | operations | {} | published rows |", KINDS.join(" | "));
    let _ = writeln!(md, "|---|---:|{}---:|", "---:|".repeat(KINDS.len()));
    let mut totals = [0usize; 7];
    for (fam, list) in &by_family {
        let counts: Vec<usize> = KINDS.iter().map(|k| list.iter().filter(|r| r.served == *k).count()).collect();
        let published = list.iter().filter(|r| r.evidence).count();
        totals[0] += list.len();
        for (i, c) in counts.iter().enumerate() {
            totals[i + 1] += c;
        }
        totals[6] += published;
        let cells: Vec<String> = counts.iter().map(usize::to_string).collect();
        let _ = writeln!(md, "| {fam} | {} | {} | {published} |", list.len(), cells.join(" | "));
    }
    let cells: Vec<String> = totals.iter().map(|n| format!("**{n}**")).collect();
    let _ = writeln!(md, "| **all** | {} |", cells.join(" | "));
    for (fam, list) in &by_family {
        let _ = writeln!(md, "\n## {fam}\n");
        let _ = writeln!(md, "| method | path (under `apis/3.0`) | served | needs | evidence | assumption |");
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for r in list {
            let needs = r.needs.map_or_else(|| "any authenticated caller".to_owned(), |(f, a)| format!("{f}: {a}"));
            let evidence = if r.evidence { "published" } else { "*assumption*" };
            let assumption = r.assumption.unwrap_or("");
            let _ =
                writeln!(md, "| {} | `{}` | {} | {needs} | {evidence} | {assumption} |", r.method, r.path, r.served);
        }
    }
    md
}

#[test]
fn the_checked_in_coverage_document_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/coverage.md");
    let fresh = render();
    if std::env::var_os("COVERAGE_WRITE").is_some() {
        std::fs::write(&path, &fresh).expect("docs/coverage.md is writable");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "docs/coverage.md is out of date; run `COVERAGE_WRITE=1 cargo test -p mock-connectwise --test coverage`"
    );
}

#[test]
fn every_route_is_served_one_of_the_documented_ways_and_needs_a_row() {
    for r in route_rules() {
        assert!(KINDS.contains(&r.served), "{} {}: {}", r.method, r.path, r.served);
        let open = ["/system/info", "/system/mySecurity"].contains(&r.path.as_str());
        assert!(r.needs.is_some() || open, "{} {} needs no row", r.method, r.path);
        assert!(r.served != "answered" || r.assumption == Some("A24.2"), "{} {}", r.method, r.path);
    }
}
