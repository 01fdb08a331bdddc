//! Unit tests of `registry.rs`.

use super::*;

fn at(path: &str) -> Res {
    *get().by_path.get(&path_key(path)).unwrap_or_else(|| panic!("no collection {path}"))
}

#[test]
fn the_collections_integrations_call_first_are_stored_with_their_parents() {
    for path in [
        "/service/priorities",
        "/service/boards/{parentId}/statuses",
        "/company/contacts",
        "/service/tickets/{parentId}/notes",
        "/company/configurations",
        "/company/companies/types",
        "/company/companies/statuses",
        "/procurement/products",
        "/service/boards/{parentId}/types",
        "/service/boards/{parentId}/subtypes",
        "/service/boards/{parentId}/items",
        "/company/companies/{parentId}/sites",
        "/system/locations",
        "/system/departments",
        "/system/callbacks",
        "/finance/agreements/types",
    ] {
        let r = &get().resources[at(path).index()];
        assert!(r.methods.list && r.methods.get && r.methods.create, "{path}: {:?}", r.methods);
        match path.split_once("/{parentId}") {
            Some((parent, _)) => assert_eq!(r.parent.map(|(p, _)| p), Some(at(parent)), "{path}"),
            None => assert!(r.parent.is_none(), "{path}"),
        }
    }
    assert_eq!(at("/service/tickets/{parentId}/notes").index(), at("/Service/Tickets/{x}/Notes/").index());
}

#[test]
fn parents_are_found_by_id_field_or_reference_and_methods_follow_the_official_table() {
    let r = |p: &str| &get().resources[at(p).index()];
    assert_eq!(r("/service/tickets/{parentId}/notes").parent.map(|(_, f)| f), Some("ticketId"));
    assert_eq!(r("/company/companies/{parentId}/sites").parent.map(|(_, f)| f), Some("company"));
    assert_eq!(r("/service/boards/{parentId}/types").parent.map(|(_, f)| f), Some("board"));
    // Time sheets and service teams are read-only in the official table.
    assert!(!r("/time/sheets").methods.create && !r("/service/teams").methods.delete);
    // The table writes `/procurement/subcategories/` with a trailing slash.
    assert!(r("/procurement/subcategories").methods.list && r("/procurement/subcategories").methods.create);
    let generated = get().resources.len() - super::super::NAMED.len();
    assert!(generated >= 55, "only {generated} generated collections");
}

#[test]
fn references_point_at_their_collections_with_the_real_link_keys() {
    let to = |r: &str| get().by_reference.get(r).copied().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(to("ServiceStatusReference"), (Res::BoardStatuses, "status_href"));
    assert_eq!(to("CompanyStatusReference"), (at("/company/companies/statuses"), "status_href"));
    assert_eq!(to("ContactReference"), (at("/company/contacts"), "contact_href"));
    assert_eq!(to("MemberReference"), (Res::Members, "member_href"));
    assert_eq!(to("SecurityRoleReference"), (Res::SecurityRoles, "securityRole_href"));
    assert_eq!(to("IvItemReference"), (Res::Catalog, "catalog_href"));
    assert_eq!(to("SiteReference"), (at("/company/companies/{parentId}/sites"), "site_href"));
}

#[test]
fn every_view_has_a_row_and_those_naming_a_record_know_its_collection() {
    let views = &get().views;
    assert!(views.len() > 100, "{} views", views.len());
    let find = |p: &str| views.iter().find(|v| v.path == p).unwrap_or_else(|| panic!("no view {p}"));
    assert_eq!(find("/company/companies/{id}/usages").owner, Some((Res::Companies, 0)));
    assert_eq!(find("/service/tickets/{parentId}/products").owner, Some((Res::Tickets, 0)));
    assert_eq!(find("/sales/opportunities/conversions/{id}").owner, Some((at("/sales/opportunities"), 0)));
    assert!(matches!(find("/service/info/boards/active").kind, ViewKind::Projection { active: true, .. }));
    assert!(matches!(find("/company/companies/default").kind, ViewKind::Default(Res::Companies)));
}
