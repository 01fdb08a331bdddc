//! The permission journal: per member, every (function, action) its calls needed, the lowest
//! level that would have allowed them, and the role that follows — the least-privilege
//! profile the integration really uses, derived from what it did rather than what a page says.
//!
//! A call needs `All` to add, or to read, change or delete anything someone else entered;
//! otherwise `My` suffices. In soft mode nothing is refused, so one run of a workload shows
//! everything it needs at once.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::permissions::{Action, Function, PermissionLevel, Requirement, RoleLevels};

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

    /// The journal as the console shows it.
    pub(crate) fn report(&self, soft_mode: bool) -> serde_json::Value {
        let members: Vec<MemberReport> = self
            .members
            .iter()
            .map(|((company, member), uses)| {
                let role = self.minimal_role(company, member).unwrap_or_default();
                let profile = crate::permissions::Profile::seed().levels();
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
    fn a_workload_using_exactly_the_profile_matches_it() {
        let mut j = PermissionJournal::default();
        for r in crate::permissions::integration_requirements() {
            used(&mut j, r.function, r.action, PermissionLevel::All);
        }
        let report = j.report(true);
        assert_eq!(report["members"][0]["matchesIntegrationProfile"], true);
        assert_eq!(report["members"][0]["minimalRole"].as_array().unwrap().len(), 7);
    }
}
