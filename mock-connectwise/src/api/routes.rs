//! The route table of `apis/3.0`: every route, the endpoint that serves it and the permission
//! it needs. Paths match case-insensitively (the official spec itself mixes `securityroles` and
//! `securityRoles`); `{id}` segments match int32 values only, so `/system/members/jdoe`
//! reaches the by-identifier route and `/system/members/12` the by-id one, as on the real
//! server.

use std::collections::HashMap;
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
    /// `PUT`, `PATCH`, `DELETE` on a child collection's own path: all of a parent's children.
    ReplaceAll(Res),
    PatchAll(Res),
    DeleteAll(Res),
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
    /// A view of the official surface (an index into the registry's views): `/info`
    /// projections, `/default`, `/usages`, and paths the mock keeps nothing behind.
    View(u16),
    /// Any other operation of the official table (an index into the registry's operations):
    /// an action with its family's effect, or a schema-valid answer.
    Action(u16),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Int,
    Text,
    /// A literal with an id run into it, as two paths of the official table write them
    /// (`/finance/agreements/types{id}/copy`).
    LitInt(String),
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
    /// Whether public evidence shows the row governing this route (`resources::function_for`).
    evidence: bool,
}

/// The routes, and their indexes by the shape of a path: how many segments it has and its
/// first two (lower case, hashed), which every route has as literals. Finding a route looks
/// at the handful that share them instead of every route.
struct Table {
    routes: Vec<Route>,
    by_shape: HashMap<u64, Vec<usize>>,
}

static ROUTES: LazyLock<Table> = LazyLock::new(|| {
    let routes = build();
    let by_shape = index(&routes);
    Table { routes, by_shape }
});

fn shape_of(r: &Route) -> u64 {
    let lit = |n: usize| match r.segs.get(n) {
        Some(Seg::Lit(l)) => Some(l.as_str()),
        _ => None,
    };
    shape(r.segs.len(), lit(0).unwrap_or(""), lit(1).unwrap_or(""))
}

fn index(routes: &[Route]) -> HashMap<u64, Vec<usize>> {
    let mut by_shape: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, r) in routes.iter().enumerate() {
        by_shape.entry(shape_of(r)).or_default().push(i);
    }
    by_shape
}

/// FNV-1a over the segment count and the first two segments without regard to case.
fn shape(len: usize, first: &str, second: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(u8::try_from(len).unwrap_or(u8::MAX));
    for b in first.bytes().chain([b'/']).chain(second.bytes()) {
        eat(b.to_ascii_lowercase());
    }
    h
}

/// Placeholders that hold record ids (int32); the others (`{memberIdentifier}`,
/// `{reportName}`, `{externalId}`, ...) take any text.
fn is_id(placeholder: &str) -> bool {
    let name = placeholder.trim_start_matches('{').split('}').next().unwrap_or("");
    matches!(name.to_ascii_lowercase().as_str(), "id" | "parentid" | "grandparentid")
}

fn segs_of(path: &str) -> Vec<Seg> {
    path.trim_matches('/')
        .split('/')
        .map(|s| match s.find('{') {
            Some(0) if is_id(s) => Seg::Int,
            Some(0) => Seg::Text,
            Some(at) if is_id(&s[at..]) => Seg::LitInt(s[..at].to_ascii_lowercase()),
            _ => Seg::Lit(s.to_ascii_lowercase()),
        })
        .collect()
}

fn route(method: &'static str, path: &str, endpoint: Endpoint, needs: Option<(Function, Action)>) -> Route {
    // A route any caller may use (`/system/info`) needs no row, so no evidence for one.
    let evidence = needs.is_none() || crate::resources::function_for(path).is_none_or(|(_, evidence)| evidence);
    Route { method, path: path.to_owned(), segs: segs_of(path), endpoint, needs, evidence }
}

/// A route whose evidence is known from elsewhere (a generated collection, view or action:
/// without a published row for its path, the row is the mock's assumption).
fn route_with(
    method: &'static str,
    path: &str,
    endpoint: Endpoint,
    needs: (Function, Action),
    evidence: bool,
) -> Route {
    Route { method, path: path.to_owned(), segs: segs_of(path), endpoint, needs: Some(needs), evidence }
}

/// The action a method takes on a record.
fn action_of(method: &str) -> Action {
    match method {
        "GET" => Action::Inquire,
        "POST" => Action::Add,
        "DELETE" => Action::Delete,
        _ => Action::Edit,
    }
}

/// Whether a route already answers `method` on the path the official table writes.
fn served(routes: &[Route], by_shape: &HashMap<u64, Vec<usize>>, method: &str, path: &str) -> bool {
    let concrete: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| match s.find('{') {
            // A text placeholder must not be taken for an id route's number.
            Some(at) if is_id(&s[at..]) => format!("{}1", &s[..at]),
            Some(at) => format!("{}x", &s[..at]),
            None => s.to_owned(),
        })
        .collect();
    let segs: Vec<&str> = concrete.iter().map(String::as_str).collect();
    let first = segs.first().copied().unwrap_or("");
    let key = shape(segs.len(), first, segs.get(1).copied().unwrap_or(""));
    let candidates = by_shape.get(&key).map_or(&[][..], Vec::as_slice);
    let second = by_shape.get(&shape(segs.len(), first, "")).map_or(&[][..], Vec::as_slice);
    // The route must write the path as the table does: a literal where it has a literal (a
    // text placeholder would also take `/system/members/withSso`).
    let wanted = segs_of(path);
    let same = |r: &Route| {
        r.segs.len() == wanted.len()
            && r.segs.iter().zip(&wanted).all(|(a, b)| match (a, b) {
                (Seg::Lit(x), Seg::Lit(y)) | (Seg::LitInt(x), Seg::LitInt(y)) => x == y,
                (Seg::Int | Seg::Text, Seg::Int) | (Seg::Text, Seg::Text) => true,
                _ => false,
            })
    };
    candidates.iter().chain(second).map(|&i| &routes[i]).any(|r| r.method == method && same(r))
}

fn build() -> Vec<Route> {
    use Endpoint as E;
    let mut routes = Vec::new();
    for res in Res::all() {
        let info = res.info();
        let (f, m, p) = (info.function, info.methods, info.path);
        let item = format!("{p}/{{id}}");
        let mut add = |on: bool, method, path: &str, endpoint, action| {
            if on {
                routes.push(route(method, path, endpoint, Some((f, action))));
            }
        };
        add(m.list, "GET", p, E::List(res), Action::Inquire);
        add(m.create, "POST", p, E::Create(res), Action::Add);
        add(m.count, "GET", &format!("{p}/count"), E::Count(res), Action::Inquire);
        add(m.get, "GET", &item, E::Get(res), Action::Inquire);
        add(m.replace, "PUT", &item, E::Replace(res), Action::Edit);
        add(m.patch, "PATCH", &item, E::Patch(res), Action::Edit);
        add(m.delete, "DELETE", &item, E::Delete(res), Action::Delete);
        add(m.whole.post_item, "POST", &item, E::Replace(res), Action::Edit);
        add(m.whole.replace, "PUT", p, E::ReplaceAll(res), Action::Edit);
        add(m.whole.patch, "PATCH", p, E::PatchAll(res), Action::Edit);
        add(m.whole.delete, "DELETE", p, E::DeleteAll(res), Action::Delete);
    }
    let registry = crate::resources::registry::get();
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
    // The views, where no endpoint of its own serves the path (a role's settings, reports).
    let mut by_shape = index(&routes);
    for (i, view) in registry.views.iter().enumerate() {
        if served(&routes, &by_shape, "GET", &view.path) {
            continue;
        }
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        let evidence = crate::resources::function_for(&view.path).is_some_and(|(_, e)| e);
        let r = route_with("GET", &view.path, E::View(i), (view.function, Action::Inquire), evidence);
        by_shape.entry(shape_of(&r)).or_default().push(routes.len());
        routes.push(r);
    }
    // Every other operation of the official table is an action.
    for (i, op) in registry.operations.iter().enumerate() {
        if served(&routes, &by_shape, op.method, op.path) {
            continue;
        }
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        // A search or a count sent as POST reads (A24.32).
        let reads = ["/search", "/count"].iter().any(|t| op.path.to_ascii_lowercase().ends_with(t));
        let needs = (op.function, if reads { Action::Inquire } else { action_of(op.method) });
        let r = route_with(op.method, op.path, E::Action(i), needs, op.evidence);
        by_shape.entry(shape_of(&r)).or_default().push(routes.len());
        routes.push(r);
    }
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
            Seg::LitInt(l) => {
                let n = seg.get(..l.len()).filter(|h| h.eq_ignore_ascii_case(l)).and_then(|_| seg.get(l.len()..))?;
                params.push(Param::Int(n.parse::<i32>().ok().and_then(|i| u32::try_from(i).ok())?));
            }
        }
    }
    Some(params)
}

/// Finds the route for a method and the path segments after `apis/3.0`.
pub(crate) fn find(method: &str, segs: &[&str]) -> Matched<'static> {
    let method = if method == "HEAD" { "GET" } else { method };
    let mut allowed = Vec::new();
    let first = segs.first().copied().unwrap_or("");
    let key = shape(segs.len(), first, segs.get(1).copied().unwrap_or(""));
    // `/project/{parentId}/billingRates`: an id second, which the shape writes as empty.
    let id_second = shape(segs.len(), first, "");
    let candidates = ROUTES.by_shape.get(&key).map_or(&[][..], Vec::as_slice);
    let second = ROUTES.by_shape.get(&id_second).map_or(&[][..], Vec::as_slice);
    // A literal segment beats a text placeholder (`/system/members/withSso` is not the member
    // `withSso`); otherwise the table's order decides.
    let mut best: Option<(&'static Route, Vec<Param>, usize)> = None;
    for r in candidates.iter().chain(second).map(|&i| &ROUTES.routes[i]) {
        if let Some(params) = match_segs(r, segs) {
            if r.method == method {
                let texts = r.segs.iter().filter(|s| matches!(s, Seg::Text)).count();
                if texts == 0 {
                    return Matched::Found(r, params);
                }
                if best.as_ref().is_none_or(|(_, _, t)| texts < *t) {
                    best = Some((r, params, texts));
                }
                continue;
            }
            if !allowed.contains(&r.method) {
                allowed.push(r.method);
            }
        }
    }
    if let Some((r, params, _)) = best {
        return Matched::Found(r, params);
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
    /// Whether a vendor's published role or ConnectWise's documentation shows that row for
    /// this route; `false` marks the row as the mock's assumption (docs/assumptions.md A15.1).
    pub evidence: bool,
    /// How the mock serves it: `stored` (a collection's records), `view` (a projection,
    /// default, usage list or a list, count or object nothing is stored behind), `endpoint`
    /// (its own code: members, roles, reports, system info), `action` (a family's effect on
    /// the records) or `answered` (a schema-valid answer, nothing changed).
    pub served: &'static str,
    /// The assumption (docs/assumptions.md) behind how it is served, if any.
    pub assumption: Option<&'static str>,
}

/// Every route of the mock's `apis/3.0` with the level it needs, generated from the router's
/// own table: what is listed is what is enforced.
pub fn route_rules() -> Vec<RouteRule> {
    ROUTES
        .routes
        .iter()
        .map(|r| {
            let (served, assumption) = served_by(r.endpoint);
            RouteRule {
                method: r.method,
                path: r.path.clone(),
                needs: r.needs,
                evidence: r.evidence,
                served,
                assumption,
            }
        })
        .collect()
}

fn served_by(endpoint: Endpoint) -> (&'static str, Option<&'static str>) {
    use Endpoint as E;
    let registry = crate::resources::registry::get();
    match endpoint {
        E::List(_) | E::Count(_) | E::Create(_) | E::Get(_) | E::Replace(_) | E::Patch(_) | E::Delete(_) => {
            ("stored", None)
        }
        E::ReplaceAll(_) | E::PatchAll(_) | E::DeleteAll(_) => ("stored", Some("A15.6")),
        E::View(_) => ("view", None),
        E::Action(i) => {
            let effect = registry.operations.get(usize::from(i)).and_then(|op| op.effect);
            let assumption = Some(crate::resources::families::assumption(effect));
            (if effect.is_some() { "action" } else { "answered" }, assumption)
        }
        _ => ("endpoint", None),
    }
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
