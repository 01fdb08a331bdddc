//! The route table of `apis/3.0`: every route, the endpoint that serves it and the permission
//! it needs. Paths match case-insensitively (the official spec itself mixes `securityroles` and
//! `securityRoles`); `{id}` segments match int32 values only, so `/system/members/jdoe`
//! reaches the by-identifier route and `/system/members/12` the by-id one, as on the real
//! server.

use std::sync::LazyLock;

use crate::resources::Res;
use cw_model::{Action, Function};

/// What serves a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    List(Res),
    Count(Res),
    Create(Res),
    Get(Res),
    Replace(Res),
    Patch(Res),
    Delete(Res),
    MemberByIdentifier,
    MemberDeactivate,
    MemberTokens,
    ApiMemberDefault,
    RoleInfoList,
    RoleInfoCount,
    RoleInfo,
    RoleSettings,
    RoleSettingsCount,
    RoleSetting,
    MySecurity,
    SystemInfo,
    Reports,
    ReportData,
    ReportColumns,
    ReportCount,
    /// A setup table served read-only (an index into [`crate::resources::LOOKUPS`]).
    LookupList(u8),
    LookupCount(u8),
    LookupGet(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Int,
    Text,
}

/// A value taken from the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    Int(u32),
    Text(String),
}

/// One route.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    segs: Vec<Seg>,
    pub(crate) endpoint: Endpoint,
    pub(crate) needs: Option<(Function, Action)>,
}

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(build);

fn route(method: &'static str, path: &str, endpoint: Endpoint, needs: Option<(Function, Action)>) -> Route {
    let segs = path
        .trim_matches('/')
        .split('/')
        .map(|s| match s {
            "{id}" | "{parentId}" => Seg::Int,
            s if s.starts_with('{') => Seg::Text,
            s => Seg::Lit(s.to_ascii_lowercase()),
        })
        .collect();
    Route { method, path: path.to_owned(), segs, endpoint, needs }
}

fn build() -> Vec<Route> {
    use Endpoint as E;
    let mut routes = Vec::new();
    for res in Res::ALL {
        let info = res.info();
        let f = info.function;
        let p = info.path;
        let item = format!("{p}/{{id}}");
        routes.push(route("GET", p, E::List(res), Some((f, Action::Inquire))));
        if info.writes.create {
            routes.push(route("POST", p, E::Create(res), Some((f, Action::Add))));
        }
        routes.push(route("GET", &format!("{p}/count"), E::Count(res), Some((f, Action::Inquire))));
        routes.push(route("GET", &item, E::Get(res), Some((f, Action::Inquire))));
        if info.writes.replace {
            routes.push(route("PUT", &item, E::Replace(res), Some((f, Action::Edit))));
        }
        if info.writes.patch {
            routes.push(route("PATCH", &item, E::Patch(res), Some((f, Action::Edit))));
        }
        if info.writes.delete {
            routes.push(route("DELETE", &item, E::Delete(res), Some((f, Action::Delete))));
        }
    }
    for (i, lookup) in crate::resources::LOOKUPS.iter().enumerate() {
        let i = u8::try_from(i).unwrap_or(u8::MAX);
        let needs = Some((lookup.function, Action::Inquire));
        routes.push(route("GET", lookup.path, E::LookupList(i), needs));
        routes.push(route("GET", &format!("{}/count", lookup.path), E::LookupCount(i), needs));
        routes.push(route("GET", &format!("{}/{{id}}", lookup.path), E::LookupGet(i), needs));
    }
    let members = Some((Function::MemberMaintenance, Action::Inquire));
    let roles = Some((Function::SecurityRoles, Action::Inquire));
    let reports = Some((Function::ApiReports, Action::Inquire));
    routes.extend([
        route("GET", "/system/members/{memberIdentifier}", E::MemberByIdentifier, members),
        // Deactivation replaces delete for members.
        route(
            "POST",
            "/system/members/{id}/deactivate",
            E::MemberDeactivate,
            Some((Function::MemberMaintenance, Action::Delete)),
        ),
        // Impersonation: acting as another member needs the right to edit members.
        route(
            "POST",
            "/system/members/{memberIdentifier}/tokens",
            E::MemberTokens,
            Some((Function::MemberMaintenance, Action::Edit)),
        ),
        route("GET", "/system/apiMembers/default", E::ApiMemberDefault, Some((Function::ApiMembers, Action::Inquire))),
        route("GET", "/system/securityroles/info", E::RoleInfoList, roles),
        route("GET", "/system/securityroles/info/count", E::RoleInfoCount, roles),
        route("GET", "/system/securityroles/{id}/info", E::RoleInfo, roles),
        route("GET", "/system/securityRoles/{parentId}/settings", E::RoleSettings, roles),
        route("GET", "/system/securityRoles/{parentId}/settings/count", E::RoleSettingsCount, roles),
        route("GET", "/system/securityRoles/{parentId}/settings/{id}", E::RoleSetting, roles),
        // Every authenticated caller may read its own rights and the server's version.
        route("GET", "/system/mySecurity", E::MySecurity, None),
        route("GET", "/system/info", E::SystemInfo, None),
        route("GET", "/system/reports", E::Reports, reports),
        route("GET", "/system/reports/{reportName}", E::ReportData, reports),
        route("GET", "/system/reports/{reportName}/columns", E::ReportColumns, reports),
        route("GET", "/system/reports/{reportName}/count", E::ReportCount, reports),
    ]);
    routes
}

/// The outcome of matching a request path.
#[derive(Debug)]
pub(crate) enum Matched<'r> {
    Found(&'r Route, Vec<Param>),
    /// The path exists, not with this method; the methods it has.
    WrongMethod(Vec<&'static str>),
    NotFound,
}

fn match_segs(route: &Route, segs: &[&str]) -> Option<Vec<Param>> {
    if route.segs.len() != segs.len() {
        return None;
    }
    let mut params = Vec::new();
    for (pattern, seg) in route.segs.iter().zip(segs) {
        match pattern {
            Seg::Lit(l) if l.eq_ignore_ascii_case(seg) => {}
            Seg::Lit(_) => return None,
            Seg::Int => params.push(Param::Int(seg.parse::<i32>().ok().and_then(|i| u32::try_from(i).ok())?)),
            Seg::Text => params.push(Param::Text((*seg).to_owned())),
        }
    }
    Some(params)
}

/// Finds the route for a method and the path segments after `apis/3.0`.
pub(crate) fn find(method: &str, segs: &[&str]) -> Matched<'static> {
    let method = if method == "HEAD" { "GET" } else { method };
    let mut allowed = Vec::new();
    for r in ROUTES.iter() {
        if let Some(params) = match_segs(r, segs) {
            if r.method == method {
                return Matched::Found(r, params);
            }
            if !allowed.contains(&r.method) {
                allowed.push(r.method);
            }
        }
    }
    if allowed.is_empty() { Matched::NotFound } else { Matched::WrongMethod(allowed) }
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

/// Every route of the mock's `apis/3.0` with the level it needs, generated from the router's
/// own table: what is listed is what is enforced.
pub fn route_rules() -> Vec<RouteRule> {
    ROUTES.iter().map(|r| RouteRule { method: r.method, path: r.path.clone(), needs: r.needs }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(method: &str, path: &str) -> (Endpoint, Vec<Param>) {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        match find(method, &segs) {
            Matched::Found(r, p) => (r.endpoint, p),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn routes_match_without_regard_to_case() {
        assert_eq!(found("GET", "/System/SecurityRoles/3/Settings").0, Endpoint::RoleSettings);
        assert_eq!(found("GET", "/system/securityroles/3/settings").0, Endpoint::RoleSettings);
        assert_eq!(found("GET", "/system/mysecurity").0, Endpoint::MySecurity);
    }

    #[test]
    fn numeric_segments_pick_the_id_route_and_words_the_identifier_route() {
        assert_eq!(found("GET", "/system/members/12"), (Endpoint::Get(Res::Members), vec![Param::Int(12)]));
        assert_eq!(
            found("GET", "/system/members/jdoe"),
            (Endpoint::MemberByIdentifier, vec![Param::Text("jdoe".into())])
        );
        assert_eq!(found("GET", "/system/members/count").0, Endpoint::Count(Res::Members));
        assert_eq!(found("GET", "/finance/agreements/4/additions/9").1, vec![Param::Int(4), Param::Int(9)]);
    }

    #[test]
    fn a_known_path_with_another_method_is_405_with_the_allowed_methods() {
        let segs = ["system", "members", "5"];
        match find("DELETE", &segs) {
            Matched::WrongMethod(m) => assert_eq!(m, ["GET", "PUT", "PATCH"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(find("GET", &["system", "nothing"]), Matched::NotFound));
        assert!(matches!(find("PUT", &["system", "securityroles", "1"]), Matched::WrongMethod(_)));
    }

    #[test]
    fn every_route_but_info_and_my_security_needs_a_level() {
        let open: Vec<String> = route_rules().into_iter().filter(|r| r.needs.is_none()).map(|r| r.path).collect();
        assert_eq!(open, ["/system/mySecurity", "/system/info"]);
    }
}
