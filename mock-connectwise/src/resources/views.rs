//! The `GET` paths of the official file that are not a stored collection's own routes, each
//! classified once: an `/info` projection of a collection, its `/default`, a `/usages` list,
//! a binary, or an empty list, count or object where the mock keeps nothing behind the path.

use cw_model::Function;

use super::registry::{Answer, Registry, Shape, View, ViewKind, path_key};
use super::{Res, function_for};

/// Whether `path` is a stored collection's list, count or by-id route.
fn is_collection_route(reg: &Registry, path: &str) -> bool {
    let key = path_key(path);
    let stored = |k: &str| reg.by_path.contains_key(k);
    stored(&key)
        || key.strip_suffix("/count").is_some_and(stored)
        || key.strip_suffix("/{}").is_some_and(|k| stored(k) && !k.ends_with("/count"))
}

/// The collection whose record an id of the path names, and that id's place among the
/// path's values: the last placeholder whose prefix is a collection.
pub(crate) fn owner_of(reg: &Registry, path: &str) -> Option<(Res, usize)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let placeholders: Vec<usize> = (0..segs.len()).filter(|&i| segs[i].starts_with('{')).collect();
    // `/sales/opportunities/conversions/{id}` names an opportunity: a literal segment
    // between a collection and the id is the view's name.
    placeholders.iter().enumerate().rev().find_map(|(n, &i)| {
        let at = |end: usize| reg.by_path.get(&path_key(&format!("/{}", segs[..end].join("/")))).copied();
        at(i).or_else(|| i.checked_sub(1).filter(|&j| !segs[j].starts_with('{')).and_then(at)).map(|res| (res, n))
    })
}

/// The collection an `/info` path projects: the path without `info`, `count`, `active` and
/// ids (`/company/companies/info/types/{id}` → `/company/companies/types`).
fn projected(reg: &Registry, path: &str) -> Option<Res> {
    let kept: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !["info", "count", "active", "{id}"].iter().any(|x| s.eq_ignore_ascii_case(x)))
        .collect();
    reg.by_path.get(&path_key(&format!("/{}", kept.join("/")))).copied()
}

fn classify(reg: &Registry, path: &str, answer: &Answer) -> ViewKind {
    let lower = path.to_ascii_lowercase();
    let shape = if lower.ends_with("/count") || lower.ends_with("/count/info") {
        Shape::Count
    } else if lower.ends_with("/{id}") || lower.ends_with("/{id}/info") || matches!(answer, Answer::One(_)) {
        Shape::One
    } else {
        Shape::List
    };
    match answer {
        Answer::Binary(media) => ViewKind::Binary(media),
        _ if lower.ends_with("/usages") || lower.ends_with("/usages/list") => {
            ViewKind::Empty { schema: "Usage", shape: Shape::List }
        }
        Answer::One(s) if lower.ends_with("/default") => match reg.by_path.get(&path_key(&path[..path.len() - 8])) {
            Some(&res) => ViewKind::Default(res),
            None => ViewKind::Object(s),
        },
        _ if lower.split('/').any(|s| s == "info" || s == "active") => {
            let schema = match answer {
                Answer::Array(s) | Answer::One(s) if *s != "Count" => s,
                _ => "Count",
            };
            match projected(reg, path) {
                Some(res) => {
                    let schema = if schema == "Count" { reg.resources[res.index()].schema } else { schema };
                    ViewKind::Projection { res, schema, shape, active: lower.ends_with("/active") }
                }
                None => ViewKind::Empty { schema, shape },
            }
        }
        Answer::Array(s) => ViewKind::Empty { schema: s, shape: Shape::List },
        Answer::One(s) if *s == "Count" => ViewKind::Empty { schema: "Count", shape: Shape::Count },
        Answer::One(s) => ViewKind::Object(s),
    }
}

/// Every view of the official file.
pub(super) fn build(reg: &Registry, answers: &[(&'static str, Answer)]) -> Vec<View> {
    let mut views = Vec::new();
    for &(path, ref answer) in answers {
        // `/system/members/{memberIdentifier:regex(...)}` is the by-identifier route, served
        // by its own endpoint.
        if path.contains("{memberIdentifier") || is_collection_route(reg, path) {
            continue;
        }
        let kind = classify(reg, path, answer);
        let owner = owner_of(reg, path);
        let function = function_for(path)
            .map(|(f, _)| f)
            .or_else(|| owner.map(|(r, _)| reg.resources[r.index()].function))
            .unwrap_or(Function::TableSetup);
        views.push(View { path: path.to_owned(), kind, function, owner });
    }
    views
}
