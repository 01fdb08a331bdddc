//! Unit tests of `routes.rs`.

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
    assert_eq!(found("GET", "/system/members/jdoe"), (Endpoint::MemberByIdentifier, vec![Param::Text("jdoe".into())]));
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
