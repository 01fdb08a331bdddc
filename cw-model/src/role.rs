//! [`RoleLevels`]: what one security role holds, a level per (row, column) and, for rows with a
//! Customize list, the sub-items the row is limited to.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::function::Function;
use crate::level::{Action, Grant, Ownership, PermissionLevel};

/// One level a profile needs, as a requirement a role meets or misses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Requirement<'p> {
    /// The step of the procedure that requires it (`S9.3`), where the profile names one.
    pub step: Option<&'p str>,
    /// The row.
    pub function: Function,
    /// The column.
    pub action: Action,
    /// The lowest level that meets it.
    pub level: PermissionLevel,
}

impl Requirement<'_> {
    /// The step ID, or the row's label where the profile names no step.
    pub fn step_or_label(&self) -> String {
        self.step.map_or_else(|| self.function.label(), str::to_owned)
    }
}

impl fmt::Display for Requirement<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} Level = {}", self.function, self.action, self.level)
    }
}

/// The rows whose "Customize" link vendors' published roles use (`vendor-roles.json`: Table
/// Setup 16 vendors, Resource Scheduling 2, Agreements 2, Configurations 1); the UI offers a
/// Customize list on these. Any row may still carry one through the levels document.
pub const CUSTOMIZABLE: &[Function] =
    &[Function::Configurations, Function::Agreements, Function::ResourceScheduling, Function::TableSetup];

/// A Customize list from text, one item per line (blank lines and surrounding spaces dropped);
/// `None` when no item is left, which lifts the limit.
pub fn customize_from_lines(text: &str) -> Option<BTreeSet<String>> {
    let items: BTreeSet<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    (!items.is_empty()).then_some(items)
}

/// The levels of one security role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleLevels {
    levels: Vec<[PermissionLevel; 4]>,
    /// Rows limited to an allow-list of sub-items (the UI's "Customize" link). A row without
    /// an entry is not customised: its level applies to every sub-item.
    customize: BTreeMap<Function, BTreeSet<String>>,
}

impl Default for RoleLevels {
    fn default() -> Self {
        Self::none()
    }
}

impl RoleLevels {
    fn filled(level: PermissionLevel) -> Self {
        Self { levels: vec![[level; 4]; Function::ALL.len()], customize: BTreeMap::new() }
    }

    /// Every level `None`.
    pub fn none() -> Self {
        Self::filled(PermissionLevel::None)
    }

    /// Every level `All` (the built-in Admin role).
    pub fn all() -> Self {
        Self::filled(PermissionLevel::All)
    }

    /// The level of one (function, action).
    pub fn get(&self, function: Function, action: Action) -> PermissionLevel {
        self.levels[function.index()][action.index()]
    }

    /// Sets the level of one (function, action).
    pub fn set(&mut self, function: Function, action: Action, level: PermissionLevel) {
        self.levels[function.index()][action.index()] = level;
    }

    /// What the role lets a caller do with `action` on `function`'s records ([`PermissionLevel::grant`]).
    pub fn grant(&self, function: Function, action: Action) -> Grant {
        self.get(function, action).grant(action)
    }

    /// Whether the role allows `action` on a record of `function` with the given ownership.
    pub fn allows(&self, function: Function, action: Action, ownership: Ownership) -> bool {
        self.grant(function, action).covers(ownership)
    }

    /// The row's Customize allow-list, if it has one.
    pub fn customize(&self, function: Function) -> Option<&BTreeSet<String>> {
        self.customize.get(&function)
    }

    /// Limits a row to `items` (`None` lifts the limit).
    pub fn set_customize(&mut self, function: Function, items: Option<BTreeSet<String>>) {
        match items {
            Some(items) => self.customize.insert(function, items),
            None => self.customize.remove(&function),
        };
    }

    /// Whether a sub-item (`Service / Service Board`) of a customised row is on its list;
    /// always true for a row without a list. Compared without case.
    pub fn covers_item(&self, function: Function, item: &str) -> bool {
        self.customize(function).is_none_or(|items| items.iter().any(|i| i.eq_ignore_ascii_case(item)))
    }

    /// Every (function, action, level) above `None`, in screen order.
    pub fn granted(&self) -> impl Iterator<Item = (Function, Action, PermissionLevel)> + '_ {
        Function::ALL.iter().flat_map(move |&f| {
            Action::ALL.into_iter().map(move |a| (f, a, self.get(f, a))).filter(|(_, _, l)| *l > PermissionLevel::None)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_role_grants_nothing_and_admin_everything() {
        assert_eq!(RoleLevels::none().granted().count(), 0);
        assert_eq!(RoleLevels::all().granted().count(), Function::ALL.len() * 4);
    }

    #[test]
    fn allows_follows_the_one_rule() {
        let mut r = RoleLevels::none();
        r.set(Function::ServiceTickets, Action::Inquire, PermissionLevel::My);
        assert!(r.allows(Function::ServiceTickets, Action::Inquire, Ownership::Own));
        assert!(!r.allows(Function::ServiceTickets, Action::Inquire, Ownership::Others));
        assert!(!r.allows(Function::ServiceTickets, Action::Edit, Ownership::Own));
    }

    #[test]
    fn a_customize_list_is_read_one_item_per_line() {
        let items = customize_from_lines("Service / Service Board\r\n\n  Service / Priority  \n").unwrap();
        assert_eq!(items, BTreeSet::from(["Service / Priority".to_owned(), "Service / Service Board".to_owned()]));
        assert_eq!(customize_from_lines(" \n\n"), None);
        assert!(CUSTOMIZABLE.contains(&Function::TableSetup));
    }

    #[test]
    fn a_customize_list_limits_the_row_to_its_items() {
        let mut r = RoleLevels::all();
        assert!(r.covers_item(Function::TableSetup, "Service / Priority"));
        r.set_customize(Function::TableSetup, Some(BTreeSet::from(["Service / Service Board".to_owned()])));
        assert!(r.covers_item(Function::TableSetup, "service / service board"));
        assert!(!r.covers_item(Function::TableSetup, "Service / Priority"));
        assert!(r.covers_item(Function::Agreements, "anything"));
    }
}
