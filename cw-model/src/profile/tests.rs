//! Unit tests of `profile.rs`.

use super::*;

#[test]
fn the_seed_profile_is_the_fifteen_levels_of_s9_2_to_s9_8() {
    let p = Profile::seed();
    assert_eq!(p.rows.len(), 7);
    assert_eq!(p.requirements().count(), 15);
    assert!(p.requirements().all(|r| r.level == PermissionLevel::All));
    let steps: Vec<&str> = p.rows.iter().filter_map(|r| r.step.as_deref()).collect();
    assert_eq!(steps, ["S9.2", "S9.3", "S9.4", "S9.5", "S9.6", "S9.7", "S9.8"]);
    assert_eq!(p.integrator_flags().len(), 6);
}

#[test]
fn a_role_built_from_a_profile_meets_exactly_it() {
    let p = Profile::seed();
    let role = p.levels();
    assert!(p.missing(&role).is_empty());
    assert!(p.excess(&role).is_empty());
    let mut weaker = role.clone();
    weaker.set(Function::Agreements, Action::Add, PermissionLevel::My);
    let missing = p.missing(&weaker);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].to_string(), "Finance > Agreements: Add Level = All");
    assert_eq!(missing[0].step, Some("S9.3"));
    assert_eq!(p.excess(&RoleLevels::all()).len(), Function::ALL.len() * 4 - 15);
}

#[test]
fn every_built_in_profile_parses() {
    for p in Profile::builtins() {
        let p = p.unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.rows.is_empty(), "{} has no rows", p.id);
    }
    assert!(Profile::builtin_ids().contains(&DEFAULT_PROFILE));
    assert_eq!(Profile::load("Sophos Central").map(|p| p.id).ok().as_deref(), Some(DEFAULT_PROFILE));
    let missing = Profile::load("/nonexistent/x.toml").map(|_| ());
    assert!(
        missing.as_ref().is_err_and(|e| std::error::Error::source(e).is_some()),
        "a file that cannot be read keeps its I/O error: {missing:?}"
    );
}

#[test]
fn every_profile_file_is_a_built_in_with_a_source_url() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../features/profiles");
    let files = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    // The seed's page and the nine complete vendor pages (docs/profiles.md).
    assert_eq!(files, 10);
    assert_eq!(Profile::builtin_ids().len(), files);
    for p in Profile::builtins() {
        let p = p.unwrap_or_else(|e| panic!("{e}"));
        assert!(p.source.as_deref().is_some_and(|s| s.starts_with("https://")), "{}: {:?}", p.id, p.source);
    }
}

fn error(text: &str) -> ProfileError {
    match Profile::parse("bad.toml", text) {
        Ok(p) => panic!("accepted: {p:?}"),
        Err(e) => e,
    }
}

const HEAD: &str = "name = \"X\"\n[member]\nidentifier = \"XSync\"\nname = \"X\"\n";

#[test]
fn mistakes_are_refused_naming_file_and_line() {
    let e = error(&format!("{HEAD}[[rows]]\nfunction = \"Finance > Nothing\"\ninquire = \"All\"\n"));
    assert_eq!((e.file.as_str(), e.line), ("bad.toml", Some(6)));
    assert!(e.message.contains("unknown function 'Finance > Nothing'"), "{e}");

    let e = error(&format!("{HEAD}[[rows]]\nfunction = \"Finance > Agreements\"\nadd = \"Most\"\n"));
    assert_eq!(e.line, Some(7));
    assert!(e.to_string().starts_with("bad.toml:7: Finance > Agreements: Add level 'Most'"), "{e}");

    let e = error(&format!("{HEAD}[[rows]]\nfunction = \"Finance > Agreements\"\ninqure = \"All\"\n"));
    assert_eq!(e.line, Some(7));
    assert!(e.message.contains("inqure"), "{e}");

    let twice = "[[rows]]\nfunction = \"Finance > Agreements\"\n";
    let e = error(&format!("{HEAD}{twice}{twice}"));
    assert_eq!(e.line, Some(8));
    assert!(e.message.contains("duplicate row for Finance > Agreements"), "{e}");

    let e = error("name = \"X\"\n[member]\nidentifier = \"MuchTooLongIdentifier\"\nname = \"X\"\n");
    assert_eq!(e.line, Some(3));

    let e = error("name = \"X\n");
    assert_eq!(e.line, Some(1));
    let e = error(&format!("{HEAD}[integrator_login]\nflags = [\"companyApiFlag\",\n  \"companyApiFlg\"]\n"));
    assert_eq!(e.line, Some(7), "{e}");
    assert!(e.message.contains("unknown integrator flag 'companyApiFlg'"), "{e}");

    let e = error(&format!("{HEAD}[integrator_login]\nusername = \"Sync\\nLogin\"\n"));
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.message.contains("control character"), "{e}");
}

#[test]
fn customize_lists_are_kept_and_checked_against_a_role() {
    let p = Profile::parse(
        "c.toml",
        &format!("{HEAD}[[rows]]\nfunction = \"System > Table Setup\"\ninquire = \"All\"\ncustomize = [\"Service / Service Board\"]\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let role = p.levels();
    assert!(p.missing_items(&role).is_empty());
    assert!(!role.covers_item(Function::TableSetup, "Service / Priority"));
    let mut other = role.clone();
    other.set_customize(Function::TableSetup, Some(BTreeSet::from(["Company / Company Type".to_owned()])));
    assert_eq!(p.missing_items(&other), [(Function::TableSetup, "Service / Service Board".to_owned())]);
}
