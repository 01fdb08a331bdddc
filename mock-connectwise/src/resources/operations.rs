//! Every operation of the official API (the 2021.1 table, the 2026.4 GET file and the 2025.1
//! file, merged by `build.rs` into `operations.json`): its path, method, what it answers and
//! the schema of its body. The router serves each one: a stored collection's route, a
//! [`super::registry::View`], or, for everything else, an [`Operation`] answered by the
//! family module that gives it an effect ([`super::families`]) or by a schema-valid answer
//! of its official response schema.

use std::borrow::Cow;

use cw_model::Function;
use serde::Deserialize;

use super::families::{self, Effect};
use super::registry::{Registry, leak};
use super::{Res, function_for, views::owner_of};
use crate::schema::SCHEMAS;

/// `[path, METHOD, answer kind, answer schema or media, body schema]` of every operation.
static OPERATIONS: &str = include_str!(concat!(env!("OUT_DIR"), "/operations.json"));

/// What an operation answers, from its official response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answers {
    /// A JSON array of this schema.
    Array(&'static str),
    /// One object of this schema.
    One(&'static str),
    /// Bytes of this media type.
    Binary(&'static str),
    /// A free JSON value (`object` or `[string]` in the file).
    Json,
    /// `204 No Content`.
    Nothing,
}

/// One operation of the official table.
#[derive(Debug)]
pub(crate) struct Operation {
    /// As the file writes it.
    pub(crate) path: &'static str,
    pub(crate) method: &'static str,
    pub(crate) answers: Answers,
    /// The schema of the request body, where the file names one.
    pub(crate) body: Option<&'static str>,
    /// The row that governs it and whether public evidence shows that row.
    pub(crate) function: Function,
    pub(crate) evidence: bool,
    /// The collection whose record a placeholder of the path names, and its place.
    pub(crate) owner: Option<(Res, usize)>,
    /// What the family module makes it do beyond answering.
    pub(crate) effect: Option<Effect>,
}

/// The schema's own name (kept by [`SCHEMAS`] for the life of the process): nothing copied.
fn schema_name(name: &str) -> Option<&'static str> {
    SCHEMAS.named(name).map(|s| s.name.as_str())
}

/// A text of the embedded table: borrowed as it is, copied only when JSON escapes it.
fn kept(s: Cow<'static, str>) -> &'static str {
    match s {
        Cow::Borrowed(s) => s,
        Cow::Owned(s) => leak(s),
    }
}

/// One row of `operations.json`, borrowing the embedded text.
#[derive(Deserialize)]
struct Row(
    #[serde(borrow)] Cow<'static, str>,
    &'static str,
    &'static str,
    #[serde(borrow)] Cow<'static, str>,
    &'static str,
);

/// Every operation, classified against the registry's collections.
pub(super) fn build(reg: &Registry) -> Vec<Operation> {
    let rows: Vec<Row> = serde_json::from_str(OPERATIONS).unwrap_or_default();
    rows.into_iter()
        .map(|Row(path, method, kind, name, body)| {
            let answers = match (kind, schema_name(&name)) {
                ("array", Some(s)) => Answers::Array(s),
                ("one", Some(s)) => Answers::One(s),
                ("binary", _) => Answers::Binary(kept(name)),
                ("none", _) => Answers::Nothing,
                _ => Answers::Json,
            };
            let path = kept(path);
            let owner = owner_of(reg, path);
            let (function, evidence) = function_for(path)
                .or_else(|| owner.map(|(r, _)| (reg.resources[r.index()].function, false)))
                .unwrap_or((Function::TableSetup, false));
            let effect = families::effect(reg, method, path);
            Operation { path, method, answers, body: schema_name(body), function, evidence, owner, effect }
        })
        .collect()
}
