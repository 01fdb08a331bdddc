//! Writing a [`Profile`] back as the TOML file format [`Profile::parse`] reads: the mock's
//! permission journal exports the least privilege a run needed this way, and the file goes
//! straight to `provisioner apply --profile`.

use std::fmt::Write as _;

use super::Profile;

/// A TOML basic string: quoted and escaped by the `toml` crate, so any text round-trips.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn array<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| quoted(i)).collect();
    format!("[{}]", items.join(", "))
}

impl Profile {
    /// The profile as a profile file: top-level keys, `[member]`, `[integrator_login]` where
    /// there is one, then one `[[rows]]` table per row in the profile's order, each naming only
    /// the columns above `None`. [`Profile::parse`] reads it back to an equal profile (the `id`
    /// aside, which is the file's name).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(out, "name = {}", quoted(&self.name));
        if let Some(source) = &self.source {
            let _ = writeln!(out, "source = {}", quoted(source));
        }
        let _ = writeln!(out, "role = {}", quoted(&self.role));
        let _ = writeln!(out, "\n[member]");
        let _ = writeln!(out, "identifier = {}", quoted(&self.member.identifier));
        let _ = writeln!(out, "name = {}", quoted(&self.member.name));
        if let Some(login) = &self.integrator_login {
            let _ = writeln!(out, "\n[integrator_login]");
            let _ = writeln!(out, "username = {}", quoted(&login.username));
            let _ = writeln!(out, "flags = {}", array(&login.flags));
        }
        for row in &self.rows {
            let _ = writeln!(out, "\n[[rows]]");
            if let Some(step) = &row.step {
                let _ = writeln!(out, "step = {}", quoted(step));
            }
            let _ = writeln!(out, "function = {}", quoted(&row.function.label()));
            for (action, level) in row.actions() {
                let _ = writeln!(out, "{} = {}", action.as_str().to_ascii_lowercase(), quoted(level.as_str()));
            }
            if let Some(items) = &row.customize {
                let _ = writeln!(out, "customize = {}", array(items));
            }
            if let Some(purpose) = &row.purpose {
                let _ = writeln!(out, "purpose = {}", quoted(purpose));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::function::Function;
    use crate::level::PermissionLevel;
    use crate::profile::{IntegratorSpec, MemberSpec, ProfileRow};

    fn reparsed(p: &Profile) -> Profile {
        let text = p.to_toml();
        let mut back = Profile::parse(&p.id, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        back.id.clone_from(&p.id);
        back
    }

    #[test]
    fn every_built_in_profile_round_trips_through_its_toml() {
        for p in Profile::builtins() {
            let p = p.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(reparsed(&p), p, "{}", p.id);
        }
    }

    #[test]
    fn the_toml_is_the_documented_format() {
        let text = Profile::seed().to_toml();
        assert!(text.starts_with("name = \"Sophos Central\"\nsource = \"https://"), "{text}");
        assert!(text.contains("\n[member]\nidentifier = \"SophosSync\"\nname = \"Sophos Central\"\n"), "{text}");
        assert!(text.contains("\n[integrator_login]\nusername = \"IntegrationSync\"\nflags = [\"companyApiFlag\""));
        assert_eq!(text.matches("\n[[rows]]\n").count(), 7);
        assert!(
            text.contains("[[rows]]\nstep = \"S9.3\"\nfunction = \"Finance > Agreements\"\nadd = \"All\"\nedit = \"All\"\ninquire = \"All\"\n"),
            "{text}"
        );
        // Columns at None are left out, as a person writes the file.
        assert!(!text.contains("None") && !text.contains("delete ="), "{text}");
    }

    #[test]
    fn awkward_text_and_my_levels_survive_the_round_trip() {
        let p = Profile {
            id: "odd.toml".into(),
            name: "Quote \" backslash \\ newline \n tab \t é ✓".into(),
            source: None,
            role: "Role # not a comment".into(),
            member: MemberSpec { identifier: "Odd.Member-1".into(), name: "Name = [x]".into() },
            integrator_login: Some(IntegratorSpec { username: "u'ser".into(), flags: vec![] }),
            rows: vec![ProfileRow {
                step: None,
                function: Function::ServiceTickets,
                levels: [PermissionLevel::My, PermissionLevel::All, PermissionLevel::None, PermissionLevel::My],
                customize: Some(BTreeSet::from(["Service / Service Board".into(), "\"quoted\"".into()])),
                purpose: Some("line one\nline two".into()),
            }],
        };
        assert_eq!(reparsed(&p), p);
    }

    fn text() -> impl Strategy<Value = String> {
        "[ -~é✓\n\t\"\\\\]{1,30}".prop_filter("names are not blank", |s| !s.trim().is_empty())
    }

    fn level() -> impl Strategy<Value = PermissionLevel> {
        prop::sample::select(PermissionLevel::ALL.to_vec())
    }

    fn row() -> impl Strategy<Value = ProfileRow> {
        (
            prop::sample::select(Function::ALL.to_vec()),
            [level(), level(), level(), level()],
            prop::option::of(prop::collection::btree_set("[A-Za-z /-]{1,20}".prop_map(|s| s.trim().to_owned()), 0..4)),
            prop::option::of(text()),
        )
            .prop_map(|(function, levels, customize, purpose)| ProfileRow {
                step: None,
                function,
                levels,
                customize: customize.map(|c| c.into_iter().collect()),
                purpose,
            })
    }

    proptest! {
        #[test]
        fn any_profile_round_trips_through_its_toml(
            name in text(),
            role in "[A-Za-z0-9 ]{1,30}".prop_filter("not blank", |s| !s.trim().is_empty()),
            identifier in "[A-Za-z0-9_.-]{1,15}",
            rows in prop::collection::vec(row(), 0..12),
        ) {
            let mut seen = BTreeSet::new();
            let rows: Vec<ProfileRow> = rows.into_iter().filter(|r| seen.insert(r.function)).collect();
            let p = Profile {
                id: "any.toml".into(),
                name,
                source: Some("https://example.com/page?a=1&b=\"2\"".into()),
                role,
                member: MemberSpec { identifier: identifier.clone(), name: identifier },
                integrator_login: None,
                rows,
            };
            prop_assert_eq!(reparsed(&p), p);
        }
    }
}
