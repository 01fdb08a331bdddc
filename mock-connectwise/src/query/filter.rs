//! A parsed condition bound to a schema ([`Filter`]; the binding is `filter_bind.rs`), and its
//! evaluation against records.
//!
//! Binding resolves every path to property keys once and converts literals to the field's
//! type, so a bad field or a type mismatch is a 400 before any record is read, and evaluating a
//! record is a scan of its document with no allocation.
//!
//! Semantics follow the SQL Server behind ConnectWise (recorded in docs/assumptions.md):
//! string comparison ignores case; `like` takes `%` and `_`; a null or missing value satisfies
//! only `= null`; a path through an array matches when any element does.

use std::cmp::Ordering;

use super::conditions::{Expr, Op};
use crate::datetime;
use crate::doc::{DocRef, Val};
use crate::schema::ObjectSchema;
use binding::bind;
#[cfg(test)]
use binding::like_pattern;
pub(crate) use binding::resolve;
pub(crate) use like::limited as like_limited;

#[path = "filter_bind.rs"]
mod binding;
#[path = "like.rs"]
mod like;
#[cfg(test)]
#[path = "quote_roundtrip.rs"]
mod quote_roundtrip;

/// A server-managed field that lives outside the stored document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetaField {
    DateEntered,
    LastUpdated,
    EnteredBy,
    UpdatedBy,
}

impl MetaField {
    pub(crate) const ALL: [MetaField; 4] = [Self::LastUpdated, Self::UpdatedBy, Self::DateEntered, Self::EnteredBy];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::DateEntered => "dateEntered",
            Self::LastUpdated => "lastUpdated",
            Self::EnteredBy => "enteredBy",
            Self::UpdatedBy => "updatedBy",
        }
    }
}

/// What a query can read from a record.
pub(crate) trait Row<'a> {
    fn id(&self) -> i64;
    fn doc(&self) -> DocRef<'a>;
    fn meta(&self, field: MetaField) -> Val<'a>;
}

/// Where a path leads.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Target {
    Id,
    Meta(MetaField),
    Doc(Vec<u16>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    DateTime(i64),
}

#[derive(Clone, Debug)]
pub(crate) enum Pat {
    One,
    Any,
    Ch(char),
}

#[derive(Clone, Debug)]
pub(crate) enum Test {
    Cmp(Op, Lit),
    Like(Vec<Pat>),
    In(Vec<Lit>),
    Null,
}

#[derive(Clone, Debug)]
pub(crate) enum Bound {
    And(Box<Bound>, Box<Bound>),
    Or(Box<Bound>, Box<Bound>),
    Not(Box<Bound>),
    /// `negated`: the value must exist and fail `test` (SQL's `!=`, `not like`, `not in`).
    Leaf {
        target: Target,
        test: Test,
        negated: bool,
    },
}

/// A condition bound to one schema, ready to evaluate.
#[derive(Clone, Debug)]
pub(crate) struct Filter(pub(crate) Bound);

impl Filter {
    /// Binds `expr` to `schema`; the error names the field and what is wrong with it.
    pub(crate) fn bind(schema: &'static ObjectSchema, expr: &Expr) -> Result<Self, String> {
        bind(schema, expr).map(Filter)
    }

    /// Whether the row satisfies the condition.
    pub(crate) fn matches<'a>(&self, row: &impl Row<'a>) -> bool {
        eval(&self.0, row)
    }

    /// Whether a nested document (an element of `customFields`) satisfies the condition.
    pub(crate) fn matches_doc(&self, doc: DocRef<'_>) -> bool {
        struct Nested<'a>(DocRef<'a>);
        impl<'a> Row<'a> for Nested<'a> {
            fn id(&self) -> i64 {
                self.0.int("id").unwrap_or_default()
            }
            fn doc(&self) -> DocRef<'a> {
                self.0
            }
            fn meta(&self, _: MetaField) -> Val<'a> {
                Val::Null
            }
        }
        eval(&self.0, &Nested(doc))
    }
}

/// One character as the query language compares it (case ignored).
pub(crate) fn fold(c: char) -> char {
    if c.is_ascii() { c.to_ascii_lowercase() } else { c.to_lowercase().next().unwrap_or(c) }
}

/// Case-insensitive string order (SQL Server's default collation ignores case).
pub(crate) fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.chars().map(fold).cmp(b.chars().map(fold))
}

fn like(pat: &[Pat], text: &str) -> bool {
    like::matches(pat, text)
}

fn eval<'a>(b: &Bound, row: &impl Row<'a>) -> bool {
    match b {
        Bound::And(x, y) => eval(x, row) && eval(y, row),
        Bound::Or(x, y) => eval(x, row) || eval(y, row),
        Bound::Not(x) => !eval(x, row),
        Bound::Leaf { target, test, negated } => {
            let (mut seen, mut hit) = (false, false);
            let mut visit = |v: Val<'_>| {
                if !matches!(v, Val::Null) {
                    seen = true;
                    hit |= test_value(test, v);
                }
                hit && !negated
            };
            match target {
                Target::Id => {
                    visit(Val::Int(row.id()));
                }
                Target::Meta(m) => {
                    visit(row.meta(*m));
                }
                Target::Doc(keys) => {
                    values_at(row.doc(), keys, &mut visit);
                }
            }
            match test {
                Test::Null => !seen,
                _ if *negated => seen && !hit,
                _ => hit,
            }
        }
    }
}

/// Calls `f` on every value at `keys` (fanning out through arrays); stops when `f` says so.
pub(crate) fn values_at<'a>(doc: DocRef<'a>, keys: &[u16], f: &mut impl FnMut(Val<'a>) -> bool) -> bool {
    let Some((&k, rest)) = keys.split_first() else { return false };
    let Some(v) = doc.get(k) else { return false };
    match (v, rest.is_empty()) {
        (Val::Arr(a), true) => a.iter().any(f),
        (v, true) => f(v),
        (Val::Obj(d), false) => values_at(d, rest, f),
        (Val::Arr(a), false) => a.iter().any(|it| matches!(it, Val::Obj(d) if values_at(d, rest, f))),
        _ => false,
    }
}

fn test_value(test: &Test, v: Val<'_>) -> bool {
    match test {
        Test::Null => false,
        Test::Like(pat) => match v {
            Val::Str(s) => like(pat, s),
            Val::Any(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::String(s)) => like(pat, &s),
                Ok(other) => like(pat, &other.to_string()),
                Err(_) => false,
            },
            _ => false,
        },
        Test::In(lits) => lits.iter().any(|l| compare(v, l) == Some(Ordering::Equal)),
        Test::Cmp(op, lit) => {
            let Some(o) = compare(v, lit) else { return false };
            match op {
                Op::Eq => o == Ordering::Equal,
                Op::Lt => o == Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Gt => o == Ordering::Greater,
                Op::Ge => o != Ordering::Less,
                _ => false,
            }
        }
    }
}

fn compare(v: Val<'_>, lit: &Lit) -> Option<Ordering> {
    match (v, lit) {
        (Val::Str(s), Lit::Str(t)) => Some(cmp_ci(s, t)),
        (Val::Str(s), Lit::DateTime(u)) => datetime::parse(s).map(|t| t.cmp(u)),
        (Val::Int(i), Lit::Num(n)) => (i as f64).partial_cmp(n),
        (Val::Num(x), Lit::Num(n)) => x.partial_cmp(n),
        (Val::Bool(b), Lit::Bool(c)) => Some(b.cmp(c)),
        (Val::DateTime(t), Lit::DateTime(u)) => Some(t.cmp(u)),
        (Val::Any(text), lit) => {
            let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
            match (&parsed, lit) {
                (serde_json::Value::String(s), Lit::Str(t)) => Some(cmp_ci(s, t)),
                (serde_json::Value::String(s), Lit::DateTime(u)) => datetime::parse(s).map(|t| t.cmp(u)),
                (serde_json::Value::Number(n), Lit::Num(m)) => n.as_f64()?.partial_cmp(m),
                (serde_json::Value::Bool(b), Lit::Bool(c)) => Some(b.cmp(c)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The order of two values for `orderBy`: missing and null first, then by value.
pub(crate) fn order_values(a: Option<Val<'_>>, b: Option<Val<'_>>) -> Ordering {
    fn rank(v: &Option<Val<'_>>) -> u8 {
        match v {
            None | Some(Val::Null) => 0,
            Some(Val::Bool(_)) => 1,
            Some(Val::Int(_) | Val::Num(_)) => 2,
            Some(Val::DateTime(_)) => 3,
            Some(Val::Str(_) | Val::Any(_)) => 4,
            Some(Val::Obj(_) | Val::Arr(_)) => 5,
        }
    }
    match (a, b) {
        (Some(Val::Str(x)), Some(Val::Str(y))) => cmp_ci(x, y),
        (Some(Val::Int(x)), Some(Val::Int(y))) => x.cmp(&y),
        (Some(Val::Int(x)), Some(Val::Num(y))) => (x as f64).total_cmp(&y),
        (Some(Val::Num(x)), Some(Val::Int(y))) => x.total_cmp(&(y as f64)),
        (Some(Val::Num(x)), Some(Val::Num(y))) => x.total_cmp(&y),
        (Some(Val::DateTime(x)), Some(Val::DateTime(y))) => x.cmp(&y),
        (Some(Val::Bool(x)), Some(Val::Bool(y))) => x.cmp(&y),
        (a, b) => rank(&a).cmp(&rank(&b)),
    }
}

/// The first value at a target (for ordering).
pub(crate) fn first_value<'a>(row: &impl Row<'a>, target: &Target) -> Option<Val<'a>> {
    match target {
        Target::Id => Some(Val::Int(row.id())),
        Target::Meta(m) => Some(row.meta(*m)),
        Target::Doc(keys) => {
            let mut found = None;
            values_at(row.doc(), keys, &mut |v| {
                found = Some(v);
                true
            });
            found
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Doc;
    use crate::query::conditions::parse;
    use crate::schema::schema;
    use serde_json::json;

    struct R(i64, Doc);
    impl<'a> Row<'a> for &'a R {
        fn id(&self) -> i64 {
            self.0
        }
        fn doc(&self) -> DocRef<'a> {
            self.1.view(schema("Member"))
        }
        fn meta(&self, f: MetaField) -> Val<'a> {
            match f {
                MetaField::EnteredBy => Val::Str("Admin1"),
                _ => Val::DateTime(1_700_000_000),
            }
        }
    }

    fn member(v: serde_json::Value) -> R {
        R(7, Doc::encode(schema("Member"), v.as_object().unwrap()))
    }

    fn check(cond: &str, r: &R) -> bool {
        Filter::bind(schema("Member"), &parse(cond).unwrap()).unwrap().matches(&r)
    }

    #[test]
    fn comparisons_follow_the_field_types() {
        let m = member(json!({"identifier": "JSmith", "firstName": "John", "inactiveFlag": false,
            "hireDate": "2020-05-01T00:00:00Z", "hourlyRate": 50.5, "daysTolerance": 3,
            "securityRole": {"id": 4, "name": "Admin"}, "memberPersonas": [1, 5]}));
        for (cond, expected) in [
            ("identifier = \"jsmith\"", true),
            ("identifier != 'JSMITH'", false),
            ("identifier like 'js%'", true),
            ("identifier like 'j_mith'", true),
            ("identifier like 'j_smith'", false),
            ("identifier like '_smith'", true),
            ("firstName contains 'OH'", true),
            ("firstName not contains 'oh'", false),
            ("inactiveFlag = false", true),
            ("hireDate > [2020-01-01T00:00:00Z] and hireDate < [2021-01-01]", true),
            ("hourlyRate >= 50.5 and daysTolerance < 4", true),
            ("securityRole/id = 4 and securityRole/name = 'admin'", true),
            ("id in (1, 7)", true),
            ("id not in (1, 7)", false),
            ("memberPersonas = 5", true),
            ("memberPersonas = 6", false),
            ("title = null", true),
            ("title != null", false),
            ("title != 'x'", false),
            ("title not like 'x%'", false),
            ("_info/enteredBy = 'admin1' and lastUpdated > [2023-01-01]", true),
            ("not (identifier = 'x' or firstName = 'y')", true),
        ] {
            assert_eq!(check(cond, &m), expected, "{cond}");
        }
    }

    #[test]
    fn binding_rejects_unknown_fields_and_mismatched_types_with_the_field_named() {
        for (cond, needle) in [
            ("nope = 1", "Member has no field nope"),
            ("securityRole/nope = 1", "SecurityRoleReference has no field nope"),
            ("securityRole = 4", "securityRole is an object"),
            ("hourlyRate = 'lots'", "hourlyRate must be compared with a number"),
            ("inactiveFlag > true", "can only be compared with = or !="),
            ("hireDate = 'soon'", "a [date-time]"),
            ("hourlyRate like '5%'", "text fields only"),
            ("identifier < null", "null can only be compared"),
        ] {
            let e = Filter::bind(schema("Member"), &parse(cond).unwrap()).unwrap_err();
            assert!(e.contains(needle), "{cond}: {e}");
        }
    }

    #[test]
    fn like_handles_backtracking_and_unicode_case() {
        let p = like_pattern("%ab%ab");
        assert!(like(&p, "xxabyyAB"));
        assert!(!like(&p, "xxabyyAc"));
        assert!(like(&like_pattern("ÉCOLE%"), "école primaire"));
        assert!(like(&like_pattern("%"), ""));
        assert!(!like(&like_pattern("_"), ""));
    }
}
