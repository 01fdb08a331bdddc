//! The collections the mock serves, described once: schema, route, the security-role row that
//! governs them, which writes the real API allows, which field is unique, and which reference
//! fields point at which collection. The router, the store and the permission table are all
//! generated from this list.

use crate::schema::{ObjectSchema, schema};
use cw_model::Function;

/// A collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Res {
    Members,
    ApiMembers,
    SecurityRoles,
    IntegratorLogins,
    Companies,
    Agreements,
    Additions,
    Catalog,
    Tickets,
    Boards,
    /// `/service/priorities`, a System > Table Setup table (issue 16's second Customize item).
    Priorities,
    /// `/service/boards/{parentId}/statuses`, a board's statuses (Table Setup's board item).
    BoardStatuses,
}

/// The writes a collection accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writes {
    pub(crate) create: bool,
    pub(crate) replace: bool,
    pub(crate) patch: bool,
    pub(crate) delete: bool,
}

const CRUD: Writes = Writes { create: true, replace: true, patch: true, delete: true };
/// Members and API members: no DELETE in any published version (deactivate instead).
const NO_DELETE: Writes = Writes { create: true, replace: true, patch: true, delete: false };
/// Security roles: create and delete only; settings change in the UI.
const CREATE_DELETE: Writes = Writes { create: true, replace: false, patch: false, delete: true };

/// A reference field and the collection(s) its `id` points into. The target's display fields
/// (`name`, `identifier`, ...) are copied into the reference on every write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefField {
    pub(crate) field: &'static str,
    pub(crate) targets: &'static [Res],
}

/// How one collection behaves.
#[derive(Debug)]
pub(crate) struct Resource {
    pub(crate) res: Res,
    pub(crate) schema: &'static str,
    /// Lower-case noun for error messages: "member object is invalid".
    pub(crate) noun: &'static str,
    /// Capitalised noun for 404s: "Member 12 not found".
    pub(crate) title: &'static str,
    /// The collection route under `apis/3.0`, with `{parentId}` for child collections.
    pub(crate) path: &'static str,
    pub(crate) function: Function,
    pub(crate) writes: Writes,
    /// A field unique within the tenant (compared without case).
    pub(crate) unique: Option<&'static str>,
    /// Collections sharing the unique field's namespace (members and API members).
    pub(crate) unique_with: &'static [Res],
    /// Child collections: the parent and the field that holds the parent's id.
    pub(crate) parent: Option<(Res, &'static str)>,
    /// Collections whose records take ids from this one's sequence.
    pub(crate) id_space: Res,
    pub(crate) refs: &'static [RefField],
    /// Values set on create when the client leaves them out.
    pub(crate) defaults: &'static [(&'static str, DefaultValue)],
    /// A write-only field, stored hashed outside the document and never rendered.
    pub(crate) secret: Option<&'static str>,
}

/// A default field value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DefaultValue {
    Bool(bool),
    Str(&'static str),
}

impl DefaultValue {
    /// The value as JSON.
    pub(crate) fn to_json(self) -> serde_json::Value {
        match self {
            Self::Bool(b) => serde_json::Value::Bool(b),
            Self::Str(s) => serde_json::Value::from(s),
        }
    }
}

const MEMBER_TARGETS: &[Res] = &[Res::Members, Res::ApiMembers];

const RESOURCES: &[Resource] = &[
    Resource {
        res: Res::Members,
        schema: "Member",
        noun: "member",
        title: "Member",
        path: "/system/members",
        function: Function::MemberMaintenance,
        writes: NO_DELETE,
        unique: Some("identifier"),
        unique_with: &[Res::ApiMembers],
        parent: None,
        id_space: Res::Members,
        refs: &[
            RefField { field: "securityRole", targets: &[Res::SecurityRoles] },
            RefField { field: "reportsTo", targets: MEMBER_TARGETS },
            RefField { field: "timeApprover", targets: MEMBER_TARGETS },
            RefField { field: "expenseApprover", targets: MEMBER_TARGETS },
            RefField { field: "serviceDefaultBoard", targets: &[Res::Boards] },
        ],
        // The real server fills the display options on create and always returns them;
        // clients generated from the 2024 schema (pyconnectwise) require them.
        defaults: &[
            ("inactiveFlag", DefaultValue::Bool(false)),
            ("adminFlag", DefaultValue::Bool(false)),
            ("companyActivityTabFormat", DefaultValue::Str("SummaryList")),
            ("invoiceTimeTabFormat", DefaultValue::Str("SummaryList")),
            ("invoiceScreenDefaultTabFormat", DefaultValue::Str("ShowInvoicingTab")),
            ("invoicingDisplayOptions", DefaultValue::Str("RemainOnInvoicingScreen")),
            ("agreementInvoicingDisplayOptions", DefaultValue::Str("RemainOnInvoicingScreen")),
        ],
        secret: Some("password"),
    },
    Resource {
        res: Res::ApiMembers,
        schema: "ApiMember",
        noun: "apiMember",
        title: "ApiMember",
        path: "/system/apiMembers",
        function: Function::ApiMembers,
        writes: NO_DELETE,
        unique: Some("identifier"),
        unique_with: &[Res::Members],
        parent: None,
        id_space: Res::Members,
        refs: &[
            RefField { field: "securityRole", targets: &[Res::SecurityRoles] },
            RefField { field: "serviceDefaultBoard", targets: &[Res::Boards] },
        ],
        defaults: &[("inactiveFlag", DefaultValue::Bool(false))],
        secret: None,
    },
    Resource {
        res: Res::SecurityRoles,
        schema: "SecurityRole",
        noun: "securityRole",
        title: "SecurityRole",
        path: "/system/securityroles",
        function: Function::SecurityRoles,
        writes: CREATE_DELETE,
        unique: Some("name"),
        unique_with: &[],
        parent: None,
        id_space: Res::SecurityRoles,
        refs: &[],
        defaults: &[("adminFlag", DefaultValue::Bool(false)), ("inactiveFlag", DefaultValue::Bool(false))],
        secret: None,
    },
    Resource {
        res: Res::IntegratorLogins,
        schema: "IntegratorLogin",
        noun: "integratorLogin",
        title: "IntegratorLogin",
        path: "/system/integratorlogins",
        function: Function::IntegratorLogins,
        writes: CRUD,
        unique: Some("username"),
        unique_with: &[],
        parent: None,
        id_space: Res::IntegratorLogins,
        refs: &[
            RefField { field: "member", targets: MEMBER_TARGETS },
            RefField { field: "inactivatedBy", targets: MEMBER_TARGETS },
            RefField { field: "board", targets: &[Res::Boards] },
        ],
        defaults: &[("inactiveFlag", DefaultValue::Bool(false))],
        secret: Some("password"),
    },
    Resource {
        res: Res::Companies,
        schema: "Company",
        noun: "company",
        title: "Company",
        path: "/company/companies",
        function: Function::CompanyMaintenance,
        writes: CRUD,
        unique: Some("identifier"),
        unique_with: &[],
        parent: None,
        id_space: Res::Companies,
        refs: &[RefField { field: "parentCompany", targets: &[Res::Companies] }],
        defaults: &[("deletedFlag", DefaultValue::Bool(false))],
        secret: None,
    },
    Resource {
        res: Res::Agreements,
        schema: "Agreement",
        noun: "agreement",
        title: "Agreement",
        path: "/finance/agreements",
        function: Function::Agreements,
        writes: CRUD,
        unique: None,
        unique_with: &[],
        parent: None,
        id_space: Res::Agreements,
        refs: &[
            RefField { field: "company", targets: &[Res::Companies] },
            RefField { field: "parentAgreement", targets: &[Res::Agreements] },
            RefField { field: "billToCompany", targets: &[Res::Companies] },
        ],
        // The server fills the "Required On Updates" fields on create, so a record read back
        // can be PUT unchanged.
        defaults: &[
            ("agreementStatus", DefaultValue::Str("Active")),
            ("employeeCompRate", DefaultValue::Str("Actual")),
            ("invoicingCycle", DefaultValue::Str("ContractYear")),
            ("billTime", DefaultValue::Str("Billable")),
            ("billExpenses", DefaultValue::Str("Billable")),
            ("billProducts", DefaultValue::Str("Billable")),
        ],
        secret: None,
    },
    Resource {
        res: Res::Additions,
        schema: "Addition",
        noun: "addition",
        title: "Addition",
        path: "/finance/agreements/{parentId}/additions",
        function: Function::Agreements,
        writes: CRUD,
        unique: None,
        unique_with: &[],
        parent: Some((Res::Agreements, "agreementId")),
        id_space: Res::Additions,
        refs: &[RefField { field: "product", targets: &[Res::Catalog] }],
        defaults: &[("agreementStatus", DefaultValue::Str("Active"))],
        secret: None,
    },
    Resource {
        res: Res::Catalog,
        schema: "CatalogItem",
        noun: "catalogItem",
        title: "CatalogItem",
        path: "/procurement/catalog",
        function: Function::ProductCatalog,
        writes: CRUD,
        unique: Some("identifier"),
        unique_with: &[],
        parent: None,
        id_space: Res::Catalog,
        refs: &[],
        defaults: &[("inactiveFlag", DefaultValue::Bool(false)), ("productClass", DefaultValue::Str("NonInventory"))],
        secret: None,
    },
    Resource {
        res: Res::Tickets,
        schema: "Ticket",
        noun: "ticket",
        title: "Ticket",
        path: "/service/tickets",
        function: Function::ServiceTickets,
        writes: CRUD,
        unique: None,
        unique_with: &[],
        parent: None,
        id_space: Res::Tickets,
        refs: &[
            RefField { field: "company", targets: &[Res::Companies] },
            RefField { field: "board", targets: &[Res::Boards] },
            RefField { field: "agreement", targets: &[Res::Agreements] },
            RefField { field: "owner", targets: MEMBER_TARGETS },
        ],
        defaults: &[
            ("closedFlag", DefaultValue::Bool(false)),
            ("severity", DefaultValue::Str("Medium")),
            ("impact", DefaultValue::Str("Medium")),
        ],
        secret: None,
    },
    Resource {
        res: Res::Boards,
        schema: "Board",
        noun: "board",
        title: "Board",
        path: "/service/boards",
        function: Function::TableSetup,
        writes: CRUD,
        unique: Some("name"),
        unique_with: &[],
        parent: None,
        id_space: Res::Boards,
        refs: &[
            RefField { field: "dispatchMember", targets: MEMBER_TARGETS },
            RefField { field: "serviceManagerMember", targets: MEMBER_TARGETS },
            RefField { field: "dutyManagerMember", targets: MEMBER_TARGETS },
            RefField { field: "oncallMember", targets: MEMBER_TARGETS },
        ],
        defaults: &[("inactiveFlag", DefaultValue::Bool(false))],
        secret: None,
    },
    Resource {
        res: Res::Priorities,
        schema: "Priority",
        noun: "priority",
        title: "Priority",
        path: "/service/priorities",
        function: Function::TableSetup,
        writes: CRUD,
        unique: Some("name"),
        unique_with: &[],
        parent: None,
        id_space: Res::Priorities,
        refs: &[],
        defaults: &[],
        secret: None,
    },
    Resource {
        res: Res::BoardStatuses,
        schema: "BoardStatus",
        noun: "boardStatus",
        title: "BoardStatus",
        path: "/service/boards/{parentId}/statuses",
        function: Function::TableSetup,
        writes: CRUD,
        unique: None,
        unique_with: &[],
        // The parent is the `board` reference, set from the path.
        parent: Some((Res::Boards, "board")),
        id_space: Res::BoardStatuses,
        refs: &[],
        defaults: &[],
        secret: None,
    },
];

impl Res {
    /// Every collection.
    pub(crate) const ALL: [Res; 12] = [
        Res::Members,
        Res::ApiMembers,
        Res::SecurityRoles,
        Res::IntegratorLogins,
        Res::Companies,
        Res::Agreements,
        Res::Additions,
        Res::Catalog,
        Res::Tickets,
        Res::Boards,
        Res::Priorities,
        Res::BoardStatuses,
    ];

    /// How this collection behaves.
    pub(crate) fn info(self) -> &'static Resource {
        let r = &RESOURCES[self as usize];
        debug_assert_eq!(r.res, self, "RESOURCES is in enum order");
        r
    }

    /// Its schema.
    pub(crate) fn schema(self) -> &'static ObjectSchema {
        schema(self.info().schema)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The collection whose records a reference schema points at, for `_info` hrefs.
    pub(crate) fn for_reference(reference_schema: &str) -> Option<(Res, &'static str)> {
        Some(match reference_schema {
            "CompanyReference" => (Res::Companies, "company_href"),
            "MemberReference" => (Res::Members, "member_href"),
            "SecurityRoleReference" => (Res::SecurityRoles, "securityRole_href"),
            "BoardReference" => (Res::Boards, "board_href"),
            "AgreementReference" => (Res::Agreements, "agreement_href"),
            "IvItemReference" => (Res::Catalog, "catalog_href"),
            "TicketReference" => (Res::Tickets, "ticket_href"),
            _ => return None,
        })
    }
}

/// A setup table the mock serves read-only from the tenant's `lookups` (fixtures): the
/// reference schema its rows have, its route, the `_info` key of references to it, and the
/// security-role row that governs reading it. References to these carry `_info` links as
/// references to records do (assumption A13.8).
#[derive(Debug)]
pub(crate) struct Lookup {
    /// The reference schema, which is also the key of the tenant's `lookups`.
    pub(crate) schema: &'static str,
    /// The collection route; `{parentId}` is a service board for statuses.
    pub(crate) path: &'static str,
    /// The key of the link in a reference's `_info`.
    pub(crate) href: &'static str,
    /// Capitalised noun for 404s.
    pub(crate) title: &'static str,
    pub(crate) function: Function,
}

/// The setup tables served read-only, at their ConnectWise routes.
pub(crate) const LOOKUPS: &[Lookup] = &[
    Lookup {
        schema: "SystemLocationReference",
        path: "/system/locations",
        href: "location_href",
        title: "Location",
        function: Function::TableSetup,
    },
    Lookup {
        schema: "SystemDepartmentReference",
        path: "/system/departments",
        href: "department_href",
        title: "Department",
        function: Function::TableSetup,
    },
    Lookup {
        schema: "CompanyStatusReference",
        path: "/company/companies/statuses",
        href: "status_href",
        title: "CompanyStatus",
        function: Function::CompanyMaintenance,
    },
    Lookup {
        schema: "CompanyTypeReference",
        path: "/company/companies/types",
        href: "type_href",
        title: "CompanyType",
        function: Function::CompanyMaintenance,
    },
    Lookup {
        schema: "ContactReference",
        path: "/company/contacts",
        href: "contact_href",
        title: "Contact",
        function: Function::Contacts,
    },
    Lookup {
        schema: "AgreementTypeReference",
        path: "/finance/agreements/types",
        href: "type_href",
        title: "AgreementType",
        function: Function::Agreements,
    },
    Lookup {
        schema: "ProductSubCategoryReference",
        path: "/procurement/subcategories",
        href: "subcategory_href",
        title: "ProductSubCategory",
        function: Function::ProductCatalog,
    },
    Lookup {
        schema: "ProductTypeReference",
        path: "/procurement/types",
        href: "type_href",
        title: "ProductType",
        function: Function::ProductCatalog,
    },
    Lookup {
        schema: "PriorityReference",
        path: "/service/priorities",
        href: "priority_href",
        title: "Priority",
        function: Function::TableSetup,
    },
    Lookup {
        schema: "ServiceStatusReference",
        path: "/service/boards/{parentId}/statuses",
        href: "status_href",
        title: "ServiceStatus",
        function: Function::TableSetup,
    },
];

/// The served setup table whose rows a reference schema points at.
pub(crate) fn lookup_for(reference_schema: &str) -> Option<&'static Lookup> {
    LOOKUPS.iter().find(|l| l.schema == reference_schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lookup_is_a_reference_schema_with_an_id() {
        for l in LOOKUPS {
            let s = schema(l.schema);
            assert!(s.is_reference() && s.prop("id").is_some() && s.info_key.is_some(), "{}", l.schema);
        }
    }

    #[test]
    fn every_field_required_on_updates_is_required_on_create_or_defaulted() {
        // Otherwise a record read back could not be PUT unchanged, as it can on the real server.
        // An API member's name is the one exception: the real server leaves it to the caller.
        for res in Res::ALL {
            let r = res.info();
            let s = res.schema();
            for (i, prop) in s.props.iter().enumerate() {
                let required = s.required.iter().any(|&q| usize::from(q) == i);
                let defaulted = r.defaults.iter().any(|(name, _)| *name == prop.name);
                let exempt = r.schema == "ApiMember" && prop.name == "name";
                assert!(
                    !prop.required_on_update || required || defaulted || exempt,
                    "{}.{} is required on updates but neither required on create nor defaulted",
                    s.name,
                    prop.name
                );
            }
        }
    }

    #[test]
    fn the_table_is_in_enum_order_and_every_name_exists_in_the_schemas() {
        for res in Res::ALL {
            let r = res.info();
            assert_eq!(r.res, res);
            let s = res.schema();
            for name in r.unique.iter().chain(r.secret.iter()).chain(r.refs.iter().map(|f| &f.field)) {
                assert!(s.prop(name).is_some(), "{}.{name}", s.name);
            }
            for (name, _) in r.defaults {
                assert!(s.prop(name).is_some(), "{}.{name}", s.name);
            }
            if let Some((_, field)) = r.parent {
                assert!(s.prop(field).is_some(), "{}.{field}", s.name);
            }
        }
    }
}
