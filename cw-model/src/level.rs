//! Levels and actions: the cells of a security-role row, and the one rule for what a level
//! lets a caller do ([`PermissionLevel::grant`]).
//!
//! **Level semantics.** `All` allows the action on every record. `My` allows the action only on
//! the caller's own records, and lists show only those: records the caller owns, is assigned to
//! or entered, decided per resource by the server (docs/assumptions.md A10). `My` allows Add, and the record
//! added is the caller's own (four vendors ship Service Tickets with Add = My, A10). `None`
//! allows nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A security-role level: `None`, `My` or `All` (the values of `SecurityRoleSetting.*Level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PermissionLevel {
    /// No access.
    #[default]
    None,
    /// Only the caller's own records.
    My,
    /// Every record.
    All,
}

/// Whether a record is the caller's own, as the server decides it for one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ownership {
    /// The caller's own record.
    Own,
    /// Someone else's record, or several records of which some are not the caller's.
    Others,
}

/// What a level lets a caller do with one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grant {
    /// The action on every record.
    Every,
    /// The action on the caller's own records only.
    OwnOnly,
    /// Nothing.
    Nothing,
}

impl Grant {
    /// Whether this grant covers a record of the given ownership.
    pub fn covers(self, ownership: Ownership) -> bool {
        match self {
            Self::Every => true,
            Self::OwnOnly => ownership == Ownership::Own,
            Self::Nothing => false,
        }
    }
}

impl PermissionLevel {
    /// Every level, lowest first.
    pub const ALL: [PermissionLevel; 3] = [Self::None, Self::My, Self::All];

    /// The wire and UI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::My => "My",
            Self::All => "All",
        }
    }

    /// **The rule**: what this level lets a caller do with `action`. Every crate asks this
    /// function; none decides it again.
    pub fn grant(self, action: Action) -> Grant {
        match (self, action) {
            (Self::All, _) => Grant::Every,
            // Add at `My` creates a record entered by, and so owned by, the caller (A10).
            (Self::My, _) => Grant::OwnOnly,
            (Self::None, _) => Grant::Nothing,
        }
    }

    /// Whether this level allows `action` on a record of the given ownership.
    pub fn allows(self, action: Action, ownership: Ownership) -> bool {
        self.grant(action).covers(ownership)
    }

    /// The lowest level that allows `action` on a record of the given ownership.
    pub fn needed(action: Action, ownership: Ownership) -> PermissionLevel {
        Self::ALL.into_iter().find(|l| l.allows(action, ownership)).unwrap_or(Self::All)
    }
}

impl fmt::Display for PermissionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a level, action or function name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not one of {1}")]
pub struct UnknownName(pub String, pub &'static str);

impl FromStr for PermissionLevel {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName(s.to_owned(), "None, My, All"))
    }
}

/// A level column of a security-role row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Create records (POST).
    Add,
    /// Change records (PUT, PATCH).
    Edit,
    /// Delete records (DELETE).
    Delete,
    /// Read records (GET).
    Inquire,
}

impl Action {
    /// The four columns, in the order the UI shows them.
    pub const ALL: [Action; 4] = [Self::Add, Self::Edit, Self::Delete, Self::Inquire];

    /// `Add`, `Edit`, `Delete` or `Inquire`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "Add",
            Self::Edit => "Edit",
            Self::Delete => "Delete",
            Self::Inquire => "Inquire",
        }
    }

    /// The property of `SecurityRoleSetting` holding this column (`addLevel`, ...).
    pub fn setting_field(self) -> &'static str {
        match self {
            Self::Add => "addLevel",
            Self::Edit => "editLevel",
            Self::Delete => "deleteLevel",
            Self::Inquire => "inquireLevel",
        }
    }

    /// The action an HTTP method needs.
    pub fn for_method(method: &str) -> Option<Self> {
        match method.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Some(Self::Inquire),
            "POST" => Some(Self::Add),
            "PUT" | "PATCH" => Some(Self::Edit),
            "DELETE" => Some(Self::Delete),
            _ => None,
        }
    }

    /// The column's position in [`Action::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_suffix(" Level").or_else(|| s.strip_suffix("Level")).unwrap_or(s);
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownName(s.to_owned(), "Add, Edit, Delete, Inquire"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_from_what_people_type() {
        assert_eq!("all".parse::<PermissionLevel>(), Ok(PermissionLevel::All));
        assert!("Mine".parse::<PermissionLevel>().is_err());
        assert_eq!("Inquire Level".parse::<Action>(), Ok(Action::Inquire));
        assert_eq!("editLevel".parse::<Action>(), Ok(Action::Edit));
    }

    #[test]
    fn all_allows_everything_and_my_only_own_records_including_the_one_it_adds() {
        use Ownership::{Others, Own};
        for a in Action::ALL {
            assert!(PermissionLevel::All.allows(a, Others));
            assert!(!PermissionLevel::None.allows(a, Own));
        }
        assert!(PermissionLevel::My.allows(Action::Edit, Own));
        assert!(!PermissionLevel::My.allows(Action::Edit, Others));
        assert!(PermissionLevel::My.allows(Action::Add, Own));
        assert!(!PermissionLevel::My.allows(Action::Add, Others));
    }

    #[test]
    fn the_level_needed_is_the_lowest_that_allows() {
        assert_eq!(PermissionLevel::needed(Action::Inquire, Ownership::Own), PermissionLevel::My);
        assert_eq!(PermissionLevel::needed(Action::Inquire, Ownership::Others), PermissionLevel::All);
        assert_eq!(PermissionLevel::needed(Action::Add, Ownership::Own), PermissionLevel::My);
    }
}
