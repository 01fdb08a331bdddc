//! **The permission table** — the one place that says which security-role level each API call
//! needs, and which levels the integration's role must hold (steps S9.2–S9.8 of the setup).
//!
//! It has three parts, all here or generated from here:
//! - [`Function`]: the module > function rows of a ConnectWise security role, with the names
//!   the UI shows ([`Function::info`]);
//! - the route rules ([`route_rules`]): for every route the mock serves, the function and the
//!   [`Action`] (Inquire = GET, Add = POST, Edit = PUT/PATCH, Delete = DELETE) it needs;
//! - [`INTEGRATION_STEPS`]: the levels the procedure requires, step by step.
//!
//! The mock enforces it, `/system/mySecurity` and `/system/securityRoles/{id}/settings` report
//! from it, the provisioner verifies against it, and the features and `docs/permissions.md`
//! are checked against it. Nothing else may hold a copy.
//!
//! **Level semantics.** `All` allows the action on every record. `My` allows Inquire, Edit
//! and Delete only on records the caller entered (`_info.enteredBy`), and lists show only
//! those; `My` grants nothing for Add (ConnectWise offers `My` for Add only on member-owned
//! functions such as time entries, none of which the mock serves). `None` allows nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A security-role level: `None`, `My` or `All` (the values of `SecurityRoleSetting.*Level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PermissionLevel {
    /// No access.
    #[default]
    None,
    /// Only records the caller entered.
    My,
    /// Every record.
    All,
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
}

impl fmt::Display for PermissionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a level or action name.
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

    pub(crate) fn index(self) -> usize {
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

/// What the UI shows for one security-role row, and the machine identifiers the API reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleFunction {
    /// The module, as the UI names it (`Finance`).
    pub module: &'static str,
    /// The function, as the UI names it (`Agreements`).
    pub function: &'static str,
    /// `moduleIdentifier`. **Invented**: ConnectWise's real identifiers are not published.
    pub module_identifier: &'static str,
    /// `moduleFunctionIdentifier`. **Invented**, as above.
    pub function_identifier: &'static str,
    /// `moduleFunctionDescription`.
    pub description: &'static str,
    /// Whether the function is named in public ConnectWise material (vendors' setup guides);
    /// `false` marks a row the mock had to invent, documented as an assumption.
    pub documented: bool,
}

macro_rules! functions {
    ($($variant:ident => ($module:literal, $function:literal, $mid:literal, $fid:literal, $documented:literal, $description:literal),)*) => {
        /// A row of a security role: one module > function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Function { $(#[doc = $description] $variant,)* }

        impl Function {
            /// Every row, in the order settings are listed.
            pub const ALL: &'static [Function] = &[$(Function::$variant,)*];

            /// The UI names and identifiers of this row.
            pub fn info(self) -> &'static ModuleFunction {
                match self {
                    $(Function::$variant => &ModuleFunction {
                        module: $module,
                        function: $function,
                        module_identifier: $mid,
                        function_identifier: $fid,
                        description: $description,
                        documented: $documented,
                    },)*
                }
            }
        }
    };
}

functions! {
    CompanyMaintenance => ("Companies", "Company Maintenance", "Company", "CompanyMaintenance", true, "Customers, vendors and other companies"),
    Contacts => ("Companies", "Contacts", "Company", "Contacts", true, "Contacts of companies"),
    Agreements => ("Finance", "Agreements", "Finance", "Agreements", true, "Agreements and their additions"),
    ProductCatalog => ("Procurement", "Product Catalog", "Procurement", "ProductCatalog", true, "Catalog items that can be sold"),
    Products => ("Procurement", "Products", "Procurement", "Products", true, "Products on tickets, agreements and opportunities"),
    Opportunity => ("Sales", "Opportunity", "Sales", "Opportunity", true, "Sales opportunities"),
    ServiceTickets => ("Service Desk", "Service Tickets", "ServiceDesk", "ServiceTickets", true, "Service tickets"),
    CloseServiceTickets => ("Service Desk", "Close Service Tickets", "ServiceDesk", "CloseServiceTickets", true, "Closing service tickets"),
    ApiMembers => ("System", "API Members", "System", "ApiMembers", false, "API members (System > Members > API Members)"),
    ApiReports => ("System", "API Reports", "System", "ApiReports", true, "Report data through the API"),
    IntegratorLogins => ("System", "Integrator Logins", "System", "IntegratorLogins", false, "The Integrator Login setup table"),
    MemberMaintenance => ("System", "Member Maintenance", "System", "MemberMaintenance", true, "Members"),
    MyCompany => ("System", "My Company", "System", "MyCompany", true, "The company's own setup"),
    SecurityRoles => ("System", "Security Roles", "System", "SecurityRoles", true, "Security roles and their settings"),
    TableSetup => ("System", "Table Setup", "System", "TableSetup", true, "Setup tables such as service boards"),
    TimeEntry => ("Time & Expense", "Time Entry", "TimeExpense", "TimeEntry", true, "Time entries"),
}

impl Function {
    /// `Module > Function`, as the procedure and the UI write it.
    pub fn label(self) -> String {
        let i = self.info();
        format!("{} > {}", i.module, i.function)
    }

    /// Finds a row by its label (`Finance > Agreements`), function name or function identifier.
    pub fn find(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.iter().copied().find(|f| {
            let i = f.info();
            f.label().eq_ignore_ascii_case(name)
                || i.function.eq_ignore_ascii_case(name)
                || i.function_identifier.eq_ignore_ascii_case(name)
        })
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// One step of the procedure that requires security-role levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The step ID of `shared/spec/seed-steps.md` (`S9.3`).
    pub id: &'static str,
    /// The row the step sets.
    pub function: Function,
    /// The columns the step sets to `All`, in the order the procedure names them.
    pub actions: &'static [Action],
    /// What the integration does with the permission.
    pub used_for: &'static str,
    /// The API route a behavioural probe exercises.
    pub probe: &'static str,
}

/// The levels the integration's security role must hold: steps S9.2–S9.8. Every other level of
/// that role stays `None` (least privilege).
pub const INTEGRATION_STEPS: &[Step] = &[
    Step {
        id: "S9.2",
        function: Function::CompanyMaintenance,
        actions: &[Action::Inquire],
        used_for: "read customers to map them",
        probe: "/company/companies",
    },
    Step {
        id: "S9.3",
        function: Function::Agreements,
        actions: &[Action::Add, Action::Edit, Action::Inquire],
        used_for: "create and update agreements and agreement additions",
        probe: "/finance/agreements",
    },
    Step {
        id: "S9.4",
        function: Function::ProductCatalog,
        actions: &[Action::Add, Action::Edit, Action::Inquire],
        used_for: "create and update catalog items for licensed products",
        probe: "/procurement/catalog",
    },
    Step {
        id: "S9.5",
        function: Function::TableSetup,
        actions: &[Action::Add, Action::Edit, Action::Inquire],
        used_for: "read and create setup-table entries (e.g. service boards, types)",
        probe: "/service/boards",
    },
    Step {
        id: "S9.6",
        function: Function::MemberMaintenance,
        actions: &[Action::Inquire],
        used_for: "look up members",
        probe: "/system/members",
    },
    Step {
        id: "S9.7",
        function: Function::ServiceTickets,
        actions: &[Action::Inquire, Action::Add, Action::Edit],
        used_for: "open and update tickets for alerts",
        probe: "/service/tickets",
    },
    Step {
        id: "S9.8",
        function: Function::ApiReports,
        actions: &[Action::Inquire],
        used_for: "read report data",
        probe: "/system/reports",
    },
];

/// The API flags the integration's integrator login needs besides access to all records
/// (step S0). The source page does not list them: this is the assumed content of its
/// "integrator login setup table" (README, assumptions), shared by the UI, the provisioner
/// and the features.
pub const INTEGRATOR_API_FLAGS: [&str; 6] = [
    "companyApiFlag",
    "agreementApiFlag",
    "productApiFlag",
    "serviceTicketApiFlag",
    "memberApiFlag",
    "reportingApiFlag",
];

/// One level the integration's role needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Requirement {
    /// The step that requires it.
    pub step: &'static str,
    /// The row.
    pub function: Function,
    /// The column.
    pub action: Action,
    /// The level (always `All` in the procedure).
    pub level: PermissionLevel,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} Level = {}", self.function, self.action, self.level)
    }
}

/// Every level the integration's role needs, one per (step, function, action).
pub fn integration_requirements() -> impl Iterator<Item = Requirement> {
    INTEGRATION_STEPS.iter().flat_map(|s| {
        s.actions.iter().map(move |&action| Requirement {
            step: s.id,
            function: s.function,
            action,
            level: PermissionLevel::All,
        })
    })
}

/// The levels of one security role: a level per (function, action).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleLevels(Vec<[PermissionLevel; 4]>);

impl Default for RoleLevels {
    fn default() -> Self {
        Self::none()
    }
}

impl RoleLevels {
    /// Every level `None`.
    pub fn none() -> Self {
        Self(vec![[PermissionLevel::None; 4]; Function::ALL.len()])
    }

    /// Every level `All` (the built-in Admin role).
    pub fn all() -> Self {
        Self(vec![[PermissionLevel::All; 4]; Function::ALL.len()])
    }

    /// Exactly the integration's levels (S9.2–S9.8), everything else `None`.
    pub fn integration() -> Self {
        let mut r = Self::none();
        for req in integration_requirements() {
            r.set(req.function, req.action, req.level);
        }
        r
    }

    /// The level of one (function, action).
    pub fn get(&self, function: Function, action: Action) -> PermissionLevel {
        self.0[function.index()][action.index()]
    }

    /// Sets the level of one (function, action).
    pub fn set(&mut self, function: Function, action: Action, level: PermissionLevel) {
        self.0[function.index()][action.index()] = level;
    }

    /// The requirements of the integration this role does not meet.
    pub fn missing_for_integration(&self) -> Vec<Requirement> {
        integration_requirements().filter(|r| self.get(r.function, r.action) < r.level).collect()
    }

    /// Levels above what the integration needs (for least-privilege warnings).
    pub fn excess_over_integration(&self) -> Vec<(Function, Action, PermissionLevel)> {
        let needed = Self::integration();
        Function::ALL
            .iter()
            .flat_map(|&f| Action::ALL.into_iter().map(move |a| (f, a)))
            .filter_map(|(f, a)| {
                let has = self.get(f, a);
                (has > needed.get(f, a)).then_some((f, a, has))
            })
            .collect()
    }
}

/// One route the mock serves and the level it needs, as listed by [`route_rules`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRule {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The route under `apis/3.0`, with `{placeholders}` (`/finance/agreements/{id}`).
    pub path: String,
    /// The row and column needed, or `None` for routes any authenticated caller may use
    /// (`/system/info`, `/system/mySecurity`).
    pub needs: Option<(Function, Action)>,
}

/// Every route of the mock's `apis/3.0` with the level it needs; generated from the router's
/// own table, so what is listed here is what is enforced.
pub fn route_rules() -> Vec<RouteRule> {
    crate::api::routes::rules()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integration_needs_fifteen_levels_over_seven_steps() {
        assert_eq!(INTEGRATION_STEPS.len(), 7);
        assert_eq!(integration_requirements().count(), 15);
        assert!(integration_requirements().all(|r| r.level == PermissionLevel::All));
    }

    #[test]
    fn the_integration_role_meets_exactly_its_requirements() {
        let role = RoleLevels::integration();
        assert!(role.missing_for_integration().is_empty());
        assert!(role.excess_over_integration().is_empty());
        let mut weaker = role.clone();
        weaker.set(Function::Agreements, Action::Add, PermissionLevel::My);
        let missing = weaker.missing_for_integration();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].to_string(), "Finance > Agreements: Add Level = All");
        assert_eq!(RoleLevels::all().excess_over_integration().len(), Function::ALL.len() * 4 - 15);
    }

    #[test]
    fn names_parse_from_what_people_type() {
        assert_eq!("all".parse::<PermissionLevel>(), Ok(PermissionLevel::All));
        assert!("Mine".parse::<PermissionLevel>().is_err());
        assert_eq!("Inquire Level".parse::<Action>(), Ok(Action::Inquire));
        assert_eq!(Function::find("finance > agreements"), Some(Function::Agreements));
        assert_eq!(Function::find("Product Catalog"), Some(Function::ProductCatalog));
        assert_eq!(Function::find("TableSetup"), Some(Function::TableSetup));
    }

    #[test]
    fn every_step_probe_is_a_route_governed_by_the_steps_function() {
        let rules = route_rules();
        for step in INTEGRATION_STEPS {
            for &action in step.actions {
                assert!(
                    rules.iter().any(|r| r.needs == Some((step.function, action)) && r.path.starts_with(step.probe)),
                    "{} {action}: no route under {} needs it",
                    step.id,
                    step.probe
                );
            }
        }
    }
}
