//! **The permission table** — the one place that says which security-role level each API call
//! of the mock needs. The vocabulary (levels, actions, the rows of a role, profiles) is
//! `cw-model`'s and is re-exported here; what this module adds is the mock's own half: the
//! route rules ([`route_rules`]), generated from the router's table, so what is listed is
//! what is enforced.
//!
//! The mock enforces it, `/system/mySecurity` and `/system/securityRoles/{id}/settings` report
//! from it, and `docs/permissions.md` is generated from it and the default profile.

pub use cw_model::{
    Action, Function, Grant, ModuleFunction, Ownership, PermissionLevel, Profile, Requirement, RoleLevels, UnknownName,
};

/// The default profile's requirements (S9.2–S9.8 of the seed's page).
pub fn integration_requirements() -> impl Iterator<Item = Requirement<'static>> {
    Profile::seed().requirements()
}

pub use crate::api::routes::{RouteRule, route_rules};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_of_the_catalogue_is_a_route_governed_by_its_row() {
        let rules = route_rules();
        for &f in Function::ALL {
            let Some(probe) = f.info().probe else { continue };
            assert!(
                rules.iter().any(|r| r.needs.is_some_and(|(g, _)| g == f) && r.path.eq_ignore_ascii_case(probe)),
                "{f}: no route {probe} is governed by it"
            );
        }
    }

    #[test]
    fn every_level_of_the_default_profile_governs_a_route() {
        let rules = route_rules();
        for r in integration_requirements() {
            assert!(rules.iter().any(|rule| rule.needs == Some((r.function, r.action))), "{r}: no route needs it");
        }
    }
}
