//! The permission journal: per member, every (function, action) its calls needed, the lowest
//! level that would have allowed them, and the role that follows — the least-privilege
//! profile the integration really uses, derived from what it did rather than what a page says.
//!
//! A call needs `All` to add, or to read, change or delete anything someone else entered;
//! otherwise `My` suffices. In soft mode nothing is refused, so one run of a workload shows
//! everything it needs at once, and [`PermissionJournal::profile`] writes that role down as an
//! integration profile file, ready for `provisioner apply --profile`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use cw_model::{MemberSpec, ProfileRow};

use cw_model::{Action, Function, PermissionLevel, Profile, Requirement, RoleLevels};

/// What one member's calls needed of one (function, action).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Usage {
    /// The lowest level that would have allowed every successful call.
    pub(crate) needed: PermissionLevel,
    /// The level the member's role held at the last call.
    pub(crate) granted: PermissionLevel,
    pub(crate) calls: u64,
    /// Calls allowed only because of soft mode.
    pub(crate) would_have_been_refused: u64,
    /// Calls refused with 403.
    pub(crate) refused: u64,
}

/// The journal.
#[derive(Debug, Default)]
pub(crate) struct PermissionJournal {
    members: BTreeMap<(String, String), BTreeMap<(Function, Action), Usage>>,
    /// Customize sub-items each member's successful calls used, per row (issue 16).
    items: BTreeMap<(String, String), BTreeMap<Function, BTreeSet<String>>>,
}

/// One call, as recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Use {
    pub(crate) function: Function,
    pub(crate) action: Action,
    pub(crate) granted: PermissionLevel,
    /// `None` when the call was refused.
    pub(crate) needed: Option<PermissionLevel>,
    pub(crate) would_refuse: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NeedRow {
    function: String,
    action: Action,
    #[serde(flatten)]
    usage: Usage,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleRow {
    function: String,
    add_level: PermissionLevel,
    edit_level: PermissionLevel,
    delete_level: PermissionLevel,
    inquire_level: PermissionLevel,
    /// The Customize list the calls needed, for rows whose routes name sub-items.
    #[serde(skip_serializing_if = "Option::is_none")]
    customize: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberReport {
    company: String,
    member: String,
    needs: Vec<NeedRow>,
    /// The least role that would have allowed every successful call (rows with any level).
    minimal_role: Vec<RoleRow>,
    /// Whether that role is exactly the integration profile (S9.2–S9.8).
    matches_integration_profile: bool,
    /// Profile levels the workload never needed.
    unused_profile_levels: Vec<String>,
    /// Levels the workload needed beyond the profile.
    beyond_profile: Vec<String>,
}

impl PermissionJournal {
    pub(crate) fn record(&mut self, company: &str, member: &str, u: Use) {
        let usage = self
            .members
            .entry((company.to_ascii_lowercase(), member.to_owned()))
            .or_default()
            .entry((u.function, u.action))
            .or_default();
        usage.granted = u.granted;
        match u.needed {
            Some(level) => {
                usage.calls += 1;
                usage.needed = usage.needed.max(level);
                usage.would_have_been_refused += u64::from(u.would_refuse);
            }
            None => usage.refused += 1,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.members.clear();
        self.items.clear();
    }

    /// Records a Customize sub-item a successful call used.
    pub(crate) fn record_item(&mut self, company: &str, member: &str, function: Function, item: &str) {
        let key = (company.to_ascii_lowercase(), member.to_owned());
        self.items.entry(key).or_default().entry(function).or_default().insert(item.to_owned());
    }

    /// The least role that would have allowed `member`'s successful calls.
    pub(crate) fn minimal_role(&self, company: &str, member: &str) -> Option<RoleLevels> {
        let uses = self.members.get(&(company.to_ascii_lowercase(), member.to_owned()))?;
        let mut role = RoleLevels::none();
        for (&(f, a), u) in uses {
            if u.calls > 0 {
                role.set(f, a, u.needed);
            }
        }
        // Only the sub-items used: the least Customize list of each row that names them.
        for (&f, items) in self.items.get(&(company.to_ascii_lowercase(), member.to_owned())).into_iter().flatten() {
            role.set_customize(f, Some(items.clone()));
        }
        Some(role)
    }

    /// The least privilege `member`'s successful calls needed, as a profile: one row per
    /// function used, each at the lowest levels that allowed every call. `company` may be left
    /// out when the member is journaled in one company only. Member identifiers are compared
    /// without case.
    pub(crate) fn profile(&self, company: Option<&str>, member: &str) -> Result<DerivedProfile, Unjournaled> {
        let found: Vec<&(String, String)> = self
            .members
            .keys()
            .filter(|(c, m)| m.eq_ignore_ascii_case(member) && company.is_none_or(|w| c.eq_ignore_ascii_case(w)))
            .collect();
        let (company, identifier) = match found.as_slice() {
            [] => return Err(Unjournaled::NotFound),
            [one] => *one,
            many => return Err(Unjournaled::Ambiguous(many.iter().map(|(c, _)| c.clone()).collect())),
        };
        let uses = &self.members[&(company.clone(), identifier.clone())];
        let role = self.minimal_role(company, identifier).unwrap_or_default();
        let rows = Function::ALL
            .iter()
            .filter(|&&f| Action::ALL.iter().any(|&a| role.get(f, a) > PermissionLevel::None))
            .map(|&function| {
                let calls: Vec<String> = Action::ALL
                    .into_iter()
                    .filter_map(|a| {
                        uses.get(&(function, a)).filter(|u| u.calls > 0).map(|u| format!("{a} {}", u.calls))
                    })
                    .collect();
                ProfileRow {
                    step: None,
                    function,
                    levels: Action::ALL.map(|a| role.get(function, a)),
                    customize: role.customize(function).cloned(),
                    purpose: Some(format!("recorded calls: {}", calls.join(", "))),
                }
            })
            .collect();
        // A profile's member identifier is at most 15 letters, digits, '_', '-' or '.'.
        let mut member_id: String =
            identifier.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')).take(15).collect();
        if member_id.is_empty() {
            member_id = "Derived".into();
        }
        let profile = Profile {
            id: format!("{member_id}.toml"),
            name: format!("{member_id} (derived from a run)"),
            source: Some(format!("mock-connectwise permission journal: company {company}, member {identifier}")),
            role: format!("{member_id} (derived)"),
            member: MemberSpec { name: member_id.clone(), identifier: member_id },
            integrator_login: None,
            rows,
        };
        let refused = uses
            .iter()
            .filter(|(_, u)| u.refused > 0)
            .map(|(&(f, a), u)| format!("{f}: {a} ({} refused)", u.refused))
            .collect();
        let calls = uses.values().map(|u| u.calls).sum();
        Ok(DerivedProfile { profile, company: company.clone(), calls, refused })
    }

    /// The journal as the console shows it.
    pub(crate) fn report(&self, soft_mode: bool) -> serde_json::Value {
        let members: Vec<MemberReport> = self
            .members
            .iter()
            .map(|((company, member), uses)| {
                let role = self.minimal_role(company, member).unwrap_or_default();
                let profile = cw_model::Profile::seed().levels();
                let cmp = |a: &RoleLevels, b: &RoleLevels| {
                    Function::ALL
                        .iter()
                        .flat_map(|&f| Action::ALL.into_iter().map(move |act| (f, act)))
                        .filter(|&(f, act)| a.get(f, act) > b.get(f, act))
                        .map(|(f, act)| {
                            Requirement { step: None, function: f, action: act, level: a.get(f, act) }.to_string()
                        })
                        .collect::<Vec<_>>()
                };
                MemberReport {
                    company: company.clone(),
                    member: member.clone(),
                    needs: uses
                        .iter()
                        .map(|(&(f, a), &usage)| NeedRow { function: f.label(), action: a, usage })
                        .collect(),
                    minimal_role: Function::ALL
                        .iter()
                        .filter(|&&f| Action::ALL.iter().any(|&a| role.get(f, a) > PermissionLevel::None))
                        .map(|&f| RoleRow {
                            function: f.label(),
                            add_level: role.get(f, Action::Add),
                            edit_level: role.get(f, Action::Edit),
                            delete_level: role.get(f, Action::Delete),
                            inquire_level: role.get(f, Action::Inquire),
                            customize: role.customize(f).map(|i| i.iter().cloned().collect()),
                        })
                        .collect(),
                    // Levels decide the match; a derived Customize list only narrows the role.
                    matches_integration_profile: role.granted().eq(profile.granted()),
                    unused_profile_levels: cmp(&profile, &role),
                    beyond_profile: cmp(&role, &profile),
                }
            })
            .collect();
        serde_json::json!({ "softMode": soft_mode, "members": members })
    }
}

/// Why the journal has no profile for a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unjournaled {
    /// No call of that member is recorded (in that company).
    NotFound,
    /// The member is journaled in several companies; these.
    Ambiguous(Vec<String>),
}

/// A profile derived from the journal, with what the file's comment says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DerivedProfile {
    pub(crate) profile: Profile,
    /// The company the calls were made in (lower case, as journaled).
    pub(crate) company: String,
    /// Successful calls recorded.
    pub(crate) calls: u64,
    /// `Function: Action (n refused)` for calls refused with 403: not in the profile.
    pub(crate) refused: Vec<String>,
}

impl DerivedProfile {
    /// The profile file: a comment saying where it comes from, then [`Profile::to_toml`].
    pub(crate) fn to_toml(&self) -> String {
        let p = &self.profile;
        let mut head = format!(
            "# Derived by mock-connectwise from the permission journal of member {:?} in company\n\
             # {:?}: the least privilege its {} recorded calls needed. Apply it with\n\
             # `provisioner apply --profile FILE`.\n",
            p.member.identifier, self.company, self.calls
        );
        if !self.refused.is_empty() {
            head.push_str("# Calls refused with 403 are not in it; record the run in soft mode to include them:\n");
            for r in &self.refused {
                head.push_str(&format!("#   {r}\n"));
            }
        }
        head + &p.to_toml()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(j: &mut PermissionJournal, f: Function, a: Action, needed: PermissionLevel) {
        j.record(
            "CW",
            "Integration",
            Use { function: f, action: a, granted: PermissionLevel::None, needed: Some(needed), would_refuse: true },
        );
    }

    #[test]
    fn the_minimal_role_keeps_the_highest_level_needed() {
        let mut j = PermissionJournal::default();
        used(&mut j, Function::Agreements, Action::Edit, PermissionLevel::My);
        used(&mut j, Function::Agreements, Action::Edit, PermissionLevel::All);
        used(&mut j, Function::Agreements, Action::Edit, PermissionLevel::My);
        j.record(
            "cw",
            "Integration",
            Use {
                function: Function::TableSetup,
                action: Action::Delete,
                granted: PermissionLevel::None,
                needed: None,
                would_refuse: false,
            },
        );
        let role = j.minimal_role("cw", "Integration").unwrap();
        assert_eq!(role.get(Function::Agreements, Action::Edit), PermissionLevel::All);
        // A refused call proves nothing was needed.
        assert_eq!(role.get(Function::TableSetup, Action::Delete), PermissionLevel::None);
    }

    #[test]
    fn a_member_s_journal_exports_as_a_profile_that_parses_back_to_its_minimal_role() {
        let mut j = PermissionJournal::default();
        used(&mut j, Function::ServiceTickets, Action::Add, PermissionLevel::All);
        used(&mut j, Function::ServiceTickets, Action::Edit, PermissionLevel::My);
        used(&mut j, Function::CompanyMaintenance, Action::Inquire, PermissionLevel::All);
        let refused = Use {
            function: Function::Agreements,
            action: Action::Add,
            granted: PermissionLevel::None,
            needed: None,
            would_refuse: false,
        };
        j.record("cw", "Integration", refused);

        let derived = j.profile(None, "integration").unwrap();
        let text = derived.to_toml();
        let parsed = Profile::parse("derived.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));

        assert_eq!(parsed.levels(), j.minimal_role("cw", "Integration").unwrap());
        assert_eq!(parsed.rows.len(), 2, "{text}");
        assert_eq!(parsed.row(Function::ServiceTickets).map(|r| r.level(Action::Edit)), Some(PermissionLevel::My));
        assert!(parsed.row(Function::Agreements).is_none(), "a refused call needed nothing: {text}");
        assert!(text.contains("#   Finance > Agreements: Add (1 refused)"), "{text}");
        assert_eq!((parsed.member.identifier.as_str(), parsed.role.as_str()), ("Integration", "Integration (derived)"));
        assert_eq!((derived.company.as_str(), derived.calls), ("cw", 3));
    }

    #[test]
    fn an_unknown_or_ambiguous_member_has_no_profile() {
        let mut j = PermissionJournal::default();
        for company in ["one", "two"] {
            let u = Use {
                function: Function::TableSetup,
                action: Action::Inquire,
                granted: PermissionLevel::All,
                needed: Some(PermissionLevel::All),
                would_refuse: false,
            };
            j.record(company, "Sync", u);
        }
        assert_eq!(j.profile(None, "Nobody"), Err(Unjournaled::NotFound));
        assert_eq!(j.profile(Some("three"), "Sync"), Err(Unjournaled::NotFound));
        assert_eq!(j.profile(None, "Sync"), Err(Unjournaled::Ambiguous(vec!["one".into(), "two".into()])));
        assert_eq!(j.profile(Some("TWO"), "sync").map(|d| d.company), Ok("two".into()));
    }

    #[test]
    fn an_identifier_a_profile_cannot_hold_is_made_one_that_it_can() {
        let mut j = PermissionJournal::default();
        let name = "a b\n'\"#c]very-long-identifier";
        j.record(
            "cw",
            name,
            Use {
                function: Function::Agreements,
                action: Action::Inquire,
                granted: PermissionLevel::All,
                needed: Some(PermissionLevel::My),
                would_refuse: false,
            },
        );
        let text = j.profile(None, name).unwrap().to_toml();
        let parsed = Profile::parse("odd.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(parsed.member.identifier, "abcvery-long-id");
        assert_eq!(parsed.row(Function::Agreements).map(|r| r.level(Action::Inquire)), Some(PermissionLevel::My));
    }

    #[test]
    fn a_workload_using_exactly_the_profile_matches_it() {
        let mut j = PermissionJournal::default();
        for r in cw_model::Profile::seed().requirements() {
            used(&mut j, r.function, r.action, PermissionLevel::All);
        }
        let report = j.report(true);
        assert_eq!(report["members"][0]["matchesIntegrationProfile"], true);
        assert_eq!(report["members"][0]["minimalRole"].as_array().unwrap().len(), 7);
    }
}
