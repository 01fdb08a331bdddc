//! The security-role rows (module > function), as ConnectWise's Security Roles screen groups
//! them: every row the 41 vendors of `shared/reference/vendor-roles.json` publish, plus the two
//! the mock had to invent (docs/assumptions.md A9). The order of [`Function::ALL`] is the screen's: modules
//! alphabetically, functions alphabetically within them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::level::UnknownName;

/// What the UI shows for one security-role row, and the machine identifiers the API reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleFunction {
    /// The module, as the UI names it (`Finance`).
    pub module: &'static str,
    /// The function, as the UI names it (`Agreements`).
    pub function: &'static str,
    /// `moduleIdentifier`. **Invented**: ConnectWise's real identifiers are not published (A9).
    pub module_identifier: &'static str,
    /// `moduleFunctionIdentifier`. **Invented**, as above; unique across rows.
    pub function_identifier: &'static str,
    /// `moduleFunctionDescription`.
    pub description: &'static str,
    /// Whether vendors' published setup guides name the row; `false` marks a row the mock
    /// had to invent, documented as an assumption.
    pub documented: bool,
    /// The collection under `apis/3.0` a behavioural probe of this row exercises, where the
    /// row governs one the mock serves.
    pub probe: Option<&'static str>,
}

macro_rules! functions {
    ($($variant:ident => ($module:literal, $mid:literal, $function:literal, $fid:literal, $documented:literal, $probe:expr, $description:literal),)*) => {
        /// A row of a security role: one module > function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Function { $(#[doc = $description] $variant,)* }

        impl Function {
            /// Every row, in the order the Security Roles screen lists them.
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
                        probe: $probe,
                    },)*
                }
            }
        }
    };
}

functions! {
    CompanyMaintenance => ("Companies", "Company", "Company Maintenance", "CompanyMaintenance", true, Some("/company/companies"), "Customers, vendors and other companies"),
    CompanyContactGroupMaintenance => ("Companies", "Company", "Company/Contact Group Maintenance", "CompanyContactGroupMaintenance", true, None, "Company and contact groups"),
    Configurations => ("Companies", "Company", "Configurations", "Configurations", true, None, "Configurations (assets) of companies"),
    ConfigurationDisplayPasswords => ("Companies", "Company", "Configuration - Display Passwords", "ConfigurationDisplayPasswords", true, None, "Showing configuration passwords"),
    Contacts => ("Companies", "Company", "Contacts", "Contacts", true, None, "Contacts of companies"),
    CrmSalesActivities => ("Companies", "Company", "CRM/Sales Activities", "CrmSalesActivities", true, None, "Sales activities"),
    ImportContacts => ("Companies", "Company", "Import Contacts", "ImportContacts", true, None, "Importing contacts"),
    CompanyManagement => ("Companies", "Company", "Management", "CompanyManagement", true, None, "Management reports of companies"),
    ManageAttachments => ("Companies", "Company", "Manage Attachments", "ManageAttachments", true, None, "Documents attached to records"),
    CompanyNotes => ("Companies", "Company", "Notes", "CompanyNotes", true, None, "Notes of companies"),
    CompanyReports => ("Companies", "Company", "Reports", "CompanyReports", true, None, "Company reports"),
    Surveys => ("Companies", "Company", "Surveys", "Surveys", true, None, "Surveys"),
    TeamMembers => ("Companies", "Company", "Team Members", "TeamMembers", true, None, "Company teams"),
    Tracks => ("Companies", "Company", "Tracks", "Tracks", true, None, "Tracks"),
    UserScenarios => ("Companies", "Company", "User Scenarios", "UserScenarios", true, None, "User scenarios"),
    AccountingInterface => ("Finance", "Finance", "Accounting Interface", "AccountingInterface", true, None, "Accounting batches and exports"),
    AgreementInvoicing => ("Finance", "Finance", "Agreement Invoicing", "AgreementInvoicing", true, None, "Invoicing agreements"),
    AgreementSales => ("Finance", "Finance", "Agreement Sales", "AgreementSales", true, None, "Agreement sales figures"),
    Agreements => ("Finance", "Finance", "Agreements", "Agreements", true, Some("/finance/agreements"), "Agreements and their additions"),
    BillingRateMaintenance => ("Finance", "Finance", "Billing Rate Maintenance", "BillingRateMaintenance", true, None, "Billing rates"),
    BillingReconciliation => ("Finance", "Finance", "Billing Reconciliation", "BillingReconciliation", true, None, "Billing reconciliation"),
    BillingViewTime => ("Finance", "Finance", "Billing View Time", "BillingViewTime", true, None, "Viewing billable time"),
    CompanyFinance => ("Finance", "Finance", "Company Finance", "CompanyFinance", true, None, "Companies' finance settings"),
    ExpenseReimbursement => ("Finance", "Finance", "Expense Reimbursement", "ExpenseReimbursement", true, None, "Expense reimbursement"),
    FinancialDashboard => ("Finance", "Finance", "Financial Dashboard", "FinancialDashboard", true, None, "The financial dashboard"),
    InvoiceApproval => ("Finance", "Finance", "Invoice Approval", "InvoiceApproval", true, None, "Approving invoices"),
    Invoicing => ("Finance", "Finance", "Invoicing", "Invoicing", true, None, "Invoices"),
    FinanceReports => ("Finance", "Finance", "Reports", "FinanceReports", true, None, "Finance reports"),
    MarketingGroups => ("Marketing", "Marketing", "Marketing Groups", "MarketingGroups", true, None, "Marketing groups"),
    InventoryAdjustments => ("Procurement", "Procurement", "Inventory Adjustments", "InventoryAdjustments", true, None, "Inventory adjustments"),
    InventoryTransfers => ("Procurement", "Procurement", "Inventory Transfers", "InventoryTransfers", true, None, "Inventory transfers"),
    ProductBillableOption => ("Procurement", "Procurement", "Product Billable Option", "ProductBillableOption", true, None, "Products' billable option"),
    ProductCatalog => ("Procurement", "Procurement", "Product Catalog", "ProductCatalog", true, Some("/procurement/catalog"), "Catalog items that can be sold"),
    Products => ("Procurement", "Procurement", "Products", "Products", true, None, "Products on tickets, agreements and opportunities"),
    PurchaseOrders => ("Procurement", "Procurement", "Purchase Orders", "PurchaseOrders", true, None, "Purchase orders"),
    CloseProject => ("Project", "Project", "Close Project", "CloseProject", true, None, "Closing a project"),
    CloseProjectTickets => ("Project", "Project", "Close Project Tickets", "CloseProjectTickets", true, None, "Closing project tickets"),
    CloseProjects => ("Project", "Project", "Close Projects", "CloseProjects", true, None, "Closing projects"),
    ProjectContacts => ("Project", "Project", "Project Contacts", "ProjectContacts", true, None, "Contacts of projects"),
    ProjectFinance => ("Project", "Project", "Project Finance", "ProjectFinance", true, None, "Projects' finance"),
    ProjectHeaders => ("Project", "Project", "Project Headers", "ProjectHeaders", true, None, "Projects"),
    ProjectManagement => ("Project", "Project", "Project Management", "ProjectManagement", true, None, "Managing projects"),
    ProjectNotes => ("Project", "Project", "Project Notes", "ProjectNotes", true, None, "Notes of projects"),
    ProjectPhase => ("Project", "Project", "Project Phase", "ProjectPhase", true, None, "Project phases"),
    ProjectTeams => ("Project", "Project", "Project Teams", "ProjectTeams", true, None, "Project teams"),
    ProjectTicketDependencies => ("Project", "Project", "Project Ticket - Dependencies", "ProjectTicketDependencies", true, None, "Dependencies between project tickets"),
    ProjectTicketTasks => ("Project", "Project", "Project Ticket Tasks", "ProjectTicketTasks", true, None, "Tasks of project tickets"),
    ProjectTickets => ("Project", "Project", "Project Tickets", "ProjectTickets", true, None, "Project tickets"),
    Opportunity => ("Sales", "Sales", "Opportunity", "Opportunity", true, None, "Sales opportunities"),
    SalesOrders => ("Sales", "Sales", "Sales Orders", "SalesOrders", true, None, "Sales orders"),
    CloseServiceTickets => ("Service Desk", "ServiceDesk", "Close Service Tickets", "CloseServiceTickets", true, None, "Closing service tickets"),
    MergeTickets => ("Service Desk", "ServiceDesk", "Merge Tickets", "MergeTickets", true, None, "Merging tickets"),
    ResourceScheduling => ("Service Desk", "ServiceDesk", "Resource Scheduling", "ResourceScheduling", true, None, "Schedule entries"),
    SlaDashboard => ("Service Desk", "ServiceDesk", "SLA Dashboard", "SlaDashboard", true, None, "The SLA dashboard"),
    ServiceTicketDependencies => ("Service Desk", "ServiceDesk", "Service Ticket - Dependencies", "ServiceTicketDependencies", true, None, "Dependencies between service tickets"),
    ServiceTickets => ("Service Desk", "ServiceDesk", "Service Tickets", "ServiceTickets", true, Some("/service/tickets"), "Service tickets"),
    ServiceTicketsFinance => ("Service Desk", "ServiceDesk", "Service Tickets - Finance", "ServiceTicketsFinance", true, None, "Service tickets' finance tab"),
    TicketTemplates => ("Service Desk", "ServiceDesk", "Ticket Templates", "TicketTemplates", true, None, "Ticket templates"),
    ApiMembers => ("System", "System", "API Members", "ApiMembers", false, Some("/system/apiMembers"), "API members (System > Members > API Members)"),
    ApiReports => ("System", "System", "API Reports", "ApiReports", true, Some("/system/reports"), "Report data through the API"),
    IntegratorLogins => ("System", "System", "Integrator Logins", "IntegratorLogins", false, Some("/system/integratorlogins"), "The Integrator Login setup table"),
    ManageHostedApi => ("System", "System", "Manage Hosted API", "ManageHostedApi", true, None, "Hosted API (pods) setup"),
    MemberMaintenance => ("System", "System", "Member Maintenance", "MemberMaintenance", true, Some("/system/members"), "Members"),
    MyAccount => ("System", "System", "My Account", "MyAccount", true, None, "The member's own account"),
    MyCompany => ("System", "System", "My Company", "MyCompany", true, None, "The company's own setup"),
    Security => ("System", "System", "Security", "Security", true, None, "Security settings"),
    SecurityRoles => ("System", "System", "Security Roles", "SecurityRoles", true, Some("/system/securityroles"), "Security roles and their settings"),
    TableSetup => ("System", "System", "Table Setup", "TableSetup", true, Some("/service/boards"), "Setup tables such as service boards"),
    ExpenseReportEntry => ("Time & Expense", "TimeExpense", "Expense Report Entry", "ExpenseReportEntry", true, None, "Expense entries"),
    TimeEntry => ("Time & Expense", "TimeExpense", "Time Entry", "TimeEntry", true, None, "Time entries"),
    TimeEntryBillableOption => ("Time & Expense", "TimeExpense", "Time Entry Billable Option", "TimeEntryBillableOption", true, None, "Time entries' billable option"),
}

impl Function {
    /// `Module > Function`, as the procedure and the UI write it.
    pub fn label(self) -> String {
        let i = self.info();
        format!("{} > {}", i.module, i.function)
    }

    /// Finds a row by its label (`Finance > Agreements`, `->` also accepted), its function
    /// identifier, or its function name where only one module has that name.
    pub fn find(name: &str) -> Option<Self> {
        let name = name.trim();
        let label = name.replace("->", ">");
        let by_label = |f: &Function| {
            let i = f.info();
            label.split_once('>').is_some_and(|(m, n)| {
                (m.trim().eq_ignore_ascii_case(i.module) || m.trim().eq_ignore_ascii_case(i.module_identifier))
                    && n.trim().eq_ignore_ascii_case(i.function)
            })
        };
        if let Some(f) = Self::ALL.iter().copied().find(by_label) {
            return Some(f);
        }
        if let Some(f) = Self::ALL.iter().copied().find(|f| f.info().function_identifier.eq_ignore_ascii_case(name)) {
            return Some(f);
        }
        let mut by_name = Self::ALL.iter().copied().filter(|f| f.info().function.eq_ignore_ascii_case(name));
        match (by_name.next(), by_name.next()) {
            (Some(f), None) => Some(f),
            _ => None,
        }
    }

    /// Like [`Function::find`], with an error that says where the names are listed.
    pub fn parse(name: &str) -> Result<Self, UnknownName> {
        Self::find(name).ok_or_else(|| UnknownName(name.to_owned(), "the security-role rows (GET /__mock/permissions)"))
    }

    /// The Customize sub-item (as the UI names it) that the row's probe collection is, for rows
    /// whose sub-items a Customize list can limit: `System > Table Setup`'s probe, service
    /// boards, is `Service / Service Board`.
    pub fn probe_item(self) -> Option<&'static str> {
        match self {
            Self::TableSetup => Some("Service / Service Board"),
            _ => None,
        }
    }

    /// The row's position in [`Function::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The modules, in the order the screen shows them.
    pub fn modules() -> Vec<&'static str> {
        let mut modules: Vec<&'static str> = Self::ALL.iter().map(|f| f.info().module).collect();
        modules.dedup();
        modules
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_by_label_identifier_or_unambiguous_name() {
        assert_eq!(Function::find("finance > agreements"), Some(Function::Agreements));
        assert_eq!(Function::find("Company -> Company Maintenance"), Some(Function::CompanyMaintenance));
        assert_eq!(Function::find("Product Catalog"), Some(Function::ProductCatalog));
        assert_eq!(Function::find("TableSetup"), Some(Function::TableSetup));
        // "Reports" is a function of two modules: only the label or identifier tells which.
        assert_eq!(Function::find("Reports"), None);
        assert_eq!(Function::find("Finance > Reports"), Some(Function::FinanceReports));
        assert!(Function::parse("Finance > Nothing").is_err());
    }

    #[test]
    fn labels_and_identifiers_are_unique_and_modules_are_grouped() {
        let mut labels: Vec<String> = Function::ALL.iter().map(|f| f.label()).collect();
        let mut ids: Vec<&str> = Function::ALL.iter().map(|f| f.info().function_identifier).collect();
        labels.sort();
        labels.dedup();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(labels.len(), Function::ALL.len());
        assert_eq!(ids.len(), Function::ALL.len());
        let modules = Function::modules();
        let mut sorted = modules.clone();
        sorted.dedup();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(modules.len(), sorted.len(), "a module's rows are not together: {modules:?}");
    }

    #[test]
    fn every_published_vendor_row_is_in_the_catalogue() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/vendor-roles.json"));
        // The reference is beside the project root in every checkout CI makes.
        let text = text.expect("../shared/reference/vendor-roles.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let functions = v["functions"].as_array().expect("functions");
        assert_eq!(functions.len(), 69);
        for f in functions {
            let label = format!("{} > {}", f["module"].as_str().unwrap_or(""), f["function"].as_str().unwrap_or(""));
            let found = Function::find(&label).unwrap_or_else(|| panic!("{label} is not in the catalogue"));
            assert_eq!(found.label(), label);
            assert!(found.info().documented);
        }
        assert_eq!(Function::ALL.len(), 71, "69 published rows and 2 invented ones");
    }
}
