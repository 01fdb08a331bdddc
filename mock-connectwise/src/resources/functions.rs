//! Which security-role row governs a route of the official surface: one table, read from the
//! most specific path prefix down. The module is the path's first segment; setup tables
//! (boards, statuses, types, priorities, sources, ...) are `System > Table Setup`, as the
//! ConnectWise UI files them. Rows without public evidence are marked as assumptions (README
//! A15.1) and listed so in `docs/permissions.md`.

use cw_model::Function;

/// A path prefix (lower case, `{parentId}`/`{id}` as `*`), the row that governs it, and
/// whether a vendor's published role or ConnectWise documentation shows that row for it.
struct Rule {
    prefix: &'static str,
    function: Function,
    evidence: bool,
}

const fn rule(prefix: &'static str, function: Function, evidence: bool) -> Rule {
    Rule { prefix, function, evidence }
}

use Function as F;

/// Most specific first: the first prefix that matches wins.
const RULES: &[Rule] = &[
    // Companies module.
    rule("/company/companies/statuses", F::TableSetup, false),
    rule("/company/companies/types", F::TableSetup, false),
    rule("/company/companies/info/types", F::TableSetup, false),
    rule("/company/companies/*/notes", F::CompanyNotes, true),
    rule("/company/companies/*/groups", F::CompanyContactGroupMaintenance, false),
    rule("/company/companies/*/teams", F::TeamMembers, false),
    rule("/company/companies/*/tracks", F::Tracks, false),
    rule("/company/companies", F::CompanyMaintenance, true),
    rule("/company/contacts/departments", F::TableSetup, false),
    rule("/company/contacts/types", F::TableSetup, false),
    rule("/company/contact/types", F::TableSetup, false),
    rule("/company/contacts/*/notes", F::CompanyNotes, true),
    rule("/company/contacts/*/groups", F::CompanyContactGroupMaintenance, false),
    rule("/company/contacts", F::Contacts, true),
    rule("/company/configurations/types", F::TableSetup, false),
    rule("/company/configurations/statuses", F::TableSetup, false),
    rule("/company/configurations", F::Configurations, true),
    // Finance module.
    rule("/finance/agreements/types", F::TableSetup, false),
    rule("/finance/agreements", F::Agreements, true),
    rule("/finance/agreementrecap", F::Agreements, false),
    rule("/finance/billingstatuses", F::TableSetup, false),
    rule("/finance/invoices", F::Invoicing, true),
    rule("/finance/companyfinance", F::CompanyFinance, false),
    // Procurement module.
    rule("/procurement/catalog", F::ProductCatalog, true),
    rule("/procurement/products", F::Products, true),
    rule("/procurement/types", F::TableSetup, false),
    rule("/procurement/subcategories", F::TableSetup, false),
    // Project module.
    rule("/project/projects/*/notes", F::ProjectNotes, false),
    rule("/project/projects/*/phases", F::ProjectPhase, false),
    rule("/project/projects", F::ProjectHeaders, true),
    rule("/project/tickets/*/tasks", F::ProjectTicketTasks, false),
    rule("/project/tickets", F::ProjectTickets, true),
    rule("/project/projecttypes", F::TableSetup, false),
    rule("/project/statuses", F::TableSetup, false),
    // Sales module.
    rule("/sales/activities/types", F::TableSetup, false),
    rule("/sales/activities", F::CrmSalesActivities, false),
    rule("/sales/opportunities/statuses", F::TableSetup, false),
    rule("/sales/opportunities/types", F::TableSetup, false),
    rule("/sales/opportunities", F::Opportunity, true),
    rule("/sales/orders", F::SalesOrders, false),
    rule("/sales/salesteams", F::TableSetup, false),
    // Schedule and Service Desk modules.
    rule("/schedule", F::ResourceScheduling, false),
    rule("/service/scheduling", F::ResourceScheduling, false),
    rule("/service/tickets", F::ServiceTickets, true),
    rule("/service/boards", F::TableSetup, true),
    rule("/service/info/boards", F::TableSetup, true),
    rule("/service/priorities", F::TableSetup, true),
    rule("/service/sources", F::TableSetup, false),
    rule("/service/codes", F::TableSetup, false),
    rule("/service/teams", F::TableSetup, false),
    rule("/service/locations", F::TableSetup, false),
    // System module.
    rule("/system/members", F::MemberMaintenance, true),
    rule("/system/locations", F::TableSetup, false),
    rule("/system/departments", F::TableSetup, false),
    rule("/system/callbacks", F::TableSetup, false),
    rule("/system/audittrail", F::MemberMaintenance, false),
    // Time & Expense module.
    rule("/time/chargecodes", F::TableSetup, false),
    rule("/time/workroles", F::TableSetup, false),
    rule("/time/worktypes", F::TableSetup, false),
    rule("/time", F::TimeEntry, true),
    // The rest of the official table (issue 24), without published evidence (A24.1): the
    // function the ConnectWise UI files each screen under where one fits, else the module's
    // setup tables. The named collections keep the rows they were published with.
    rule("/system/apimembers", F::ApiMembers, true),
    rule("/system/integratorlogins", F::IntegratorLogins, true),
    rule("/system/securityroles", F::SecurityRoles, true),
    rule("/system/reports", F::ApiReports, true),
    rule("/company/tracks", F::Tracks, false),
    rule("/company/companyfinance", F::CompanyFinance, false),
    rule("/company/companypickeritems", F::CompanyMaintenance, false),
    rule("/company/companytypeassociations", F::CompanyMaintenance, false),
    rule("/company/contacttypeassociations", F::Contacts, false),
    rule("/company/m365contact", F::Contacts, false),
    rule("/company/m365contactsync", F::Contacts, false),
    rule("/company/management", F::CompanyManagement, false),
    rule("/company/managementbackups", F::CompanyManagement, false),
    rule("/company/managementitsolutions", F::CompanyManagement, false),
    rule("/company/manageddevicesintegrations", F::CompanyManagement, false),
    rule("/company", F::TableSetup, false),
    rule("/configurations", F::Configurations, false),
    rule("/expense/types", F::TableSetup, false),
    rule("/expense/classifications", F::TableSetup, false),
    rule("/expense/paymenttypes", F::TableSetup, false),
    rule("/expense", F::ExpenseReportEntry, false),
    rule("/finance/accounting", F::AccountingInterface, false),
    rule("/finance/accountingpackages", F::AccountingInterface, false),
    rule("/finance/accountingpackagesetup", F::AccountingInterface, false),
    rule("/finance/batchsetups", F::AccountingInterface, false),
    rule("/finance/glaccounts", F::AccountingInterface, false),
    rule("/finance/glcaptions", F::AccountingInterface, false),
    rule("/finance/glpaths", F::AccountingInterface, false),
    rule("/finance/closedinvoices", F::Invoicing, false),
    rule("/finance", F::TableSetup, false),
    rule("/marketing", F::MarketingGroups, false),
    rule("/procurement/adjustments", F::InventoryAdjustments, false),
    rule("/procurement/purchaseorders", F::PurchaseOrders, false),
    rule("/procurement/purchasingdemands", F::PurchaseOrders, false),
    rule("/procurement", F::TableSetup, false),
    rule("/project/projecttemplates", F::ProjectHeaders, false),
    rule("/project/ticketnote", F::ProjectTickets, false),
    rule("/project/*/billingrates", F::ProjectFinance, false),
    rule("/project", F::TableSetup, false),
    rule("/sales/schedule", F::Opportunity, false),
    rule("/sales/service", F::Opportunity, false),
    rule("/sales", F::TableSetup, false),
    rule("/service/ticketlinks", F::ServiceTickets, false),
    rule("/service/ticketsyncs", F::ServiceTickets, false),
    rule("/service/servicesignoff", F::ServiceTickets, false),
    rule("/service/templates", F::TicketTemplates, false),
    rule("/service/surveys", F::Surveys, false),
    rule("/service", F::TableSetup, false),
    rule("/system/mycompany", F::MyCompany, false),
    rule("/system/myaccount", F::MyAccount, false),
    rule("/system/mymembers", F::MemberMaintenance, false),
    rule("/system/ssoconfigurations", F::Security, false),
    rule("/system/ssousers", F::Security, false),
    rule("/system/ldapconfigurations", F::Security, false),
    rule("/system/allowedorigins", F::Security, false),
    rule("/system/authanvils", F::Security, false),
    rule("/system/surveys", F::Surveys, false),
    rule("/system", F::TableSetup, false),
];

fn matches(prefix: &str, path: &str) -> bool {
    let mut p = prefix.split('/');
    let mut q = path.split('/');
    loop {
        match (p.next(), q.next()) {
            (None, _) => return true,
            (Some(_), None) => return false,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
    }
}

/// The row governing a route under `apis/3.0`, and whether public evidence shows it; `None`
/// for paths outside the table (the named collections carry their own row).
pub(crate) fn function_for(path: &str) -> Option<(Function, bool)> {
    RULES.iter().find(|r| matches(r.prefix, path)).map(|r| (r.function, r.evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_prefix_wins_and_segments_match_whole() {
        assert_eq!(function_for("/company/companies/{parentId}/notes"), Some((F::CompanyNotes, true)));
        assert_eq!(function_for("/company/companies/{parentId}/sites"), Some((F::CompanyMaintenance, true)));
        assert_eq!(function_for("/company/companies/statuses/{id}"), Some((F::TableSetup, false)));
        assert_eq!(function_for("/service/boards/{parentId}/statuses"), Some((F::TableSetup, true)));
        // `ticketsx` is not `tickets`: the module's setup tables, as an assumption (A24.1).
        assert_eq!(function_for("/service/ticketsx"), Some((F::TableSetup, false)));
        assert_eq!(function_for("/company/companies/{parentId}/teams"), Some((F::TeamMembers, false)));
        assert_eq!(function_for("/nothing/at/all"), None);
        assert_eq!(function_for("/Time/Entries"), Some((F::TimeEntry, true)));
    }
}
