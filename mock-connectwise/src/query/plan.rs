//! What an index can answer of a bound query, independent of any table: the query's
//! `and`/`or` structure with each leaf reduced to an index [`Probe`] where one applies.
//!
//! The store's planner (`store::planner`) walks this [`Shape`] against a table's indexes to
//! find candidate records; every candidate is still checked against the whole filter, so a
//! probe only has to find a *superset* of the records its leaf matches. Keys fold case the
//! way the query language compares strings ([`fold`]), so an index never misses a record
//! the scan would match.

use std::hash::Hasher;

use super::filter::{Bound, Lit, Pat, Target, Test, fold};
use super::{BoundQuery, Filter};
use crate::doc::Val;

/// The kind of value an index holds; a probe is only looked up in an index of its kind
/// (a text field compared with a date literal, say, is left to the scan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum KeyKind {
    Text,
    Number,
    Time,
    Flag,
}

/// One value as an index keys it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key<'a> {
    /// Compared ignoring case: hashed and ordered by [`fold`]ed characters.
    Text(&'a str),
    /// Integers and decimals compare as `f64` in the query language.
    Number(f64),
    Time(i64),
    Flag(bool),
}

impl<'a> Key<'a> {
    /// The key of a stored value, if it is of an indexable kind.
    pub(crate) fn of_val(v: Val<'a>) -> Option<Self> {
        match v {
            Val::Str(s) => Some(Self::Text(s)),
            Val::Int(i) => Some(Self::Number(i as f64)),
            Val::Num(x) => Some(Self::Number(x)),
            Val::DateTime(t) => Some(Self::Time(t)),
            Val::Bool(b) => Some(Self::Flag(b)),
            _ => None,
        }
    }

    /// The key of a literal, if it is of an indexable kind.
    pub(crate) fn of_lit(l: &'a Lit) -> Option<Self> {
        match l {
            Lit::Str(s) => Some(Self::Text(s)),
            Lit::Num(n) => Some(Self::Number(*n)),
            Lit::DateTime(t) => Some(Self::Time(*t)),
            Lit::Bool(b) => Some(Self::Flag(*b)),
        }
    }

    pub(crate) fn kind(&self) -> KeyKind {
        match self {
            Self::Text(_) => KeyKind::Text,
            Self::Number(_) => KeyKind::Number,
            Self::Time(_) => KeyKind::Time,
            Self::Flag(_) => KeyKind::Flag,
        }
    }

    /// The key as 64 bits, within one index (all of one kind): the value itself for
    /// numbers, times and flags, which the query language calls equal exactly when these bits
    /// are (so an index of them is exact), a hash of the folded characters for text (so
    /// different texts may share a key, and candidates must be checked).
    pub(crate) fn bits(&self, text_hasher: &impl std::hash::BuildHasher) -> u64 {
        match *self {
            Self::Text(s) => {
                let mut h = text_hasher.build_hasher();
                for c in s.chars() {
                    h.write_u32(u32::from(fold(c)));
                }
                h.finish()
            }
            // -0.0 equals 0.0; NaN equals nothing (and never reaches an index as a literal
            // that can match).
            Self::Number(n) => (if n == 0.0 { 0.0 } else { n }).to_bits(),
            Self::Time(t) => t as u64,
            Self::Flag(b) => u64::from(b),
        }
    }
}

/// What one leaf asks of an index.
#[derive(Clone, Debug)]
pub(crate) enum Probe<'q> {
    /// Any of these values (`=` or `in (...)`).
    Keys(Vec<Key<'q>>),
    /// Text starting with these (already folded) characters (`like 'abc%'`); `exact` when
    /// nothing follows them in the pattern but `%`, so the prefix is the whole test.
    Prefix(Vec<char>, bool),
}

/// A filter's structure as the planner sees it.
#[derive(Clone, Debug)]
pub(crate) enum Shape<'q> {
    All(Vec<Shape<'q>>),
    Any(Vec<Shape<'q>>),
    /// The records with these ids (`id = 5`, `id in (1, 2)`).
    Ids(Vec<u32>),
    Probe(&'q Target, Probe<'q>),
    /// Nothing an index can answer (negations, ranges, `contains`, `null` tests...).
    Opaque,
}

/// The shape of a whole query: its filters are `and`ed. `customFieldConditions` is the
/// custom fields' index's (`store::index::custom`).
pub(crate) fn shape(q: &BoundQuery) -> Shape<'_> {
    Shape::All(q.filters.iter().map(|Filter(b)| of_bound(b)).collect())
}

/// The shape of one filter (`customFieldConditions`, whose targets are a custom field's).
pub(crate) fn shape_of(f: &Filter) -> Shape<'_> {
    of_bound(&f.0)
}

fn of_bound(b: &Bound) -> Shape<'_> {
    match b {
        Bound::And(x, y) => Shape::All(vec![of_bound(x), of_bound(y)]),
        Bound::Or(x, y) => Shape::Any(vec![of_bound(x), of_bound(y)]),
        Bound::Not(_) | Bound::Leaf { negated: true, .. } => Shape::Opaque,
        Bound::Leaf { target, test, negated: false } => of_leaf(target, test),
    }
}

fn of_leaf<'q>(target: &'q Target, test: &'q Test) -> Shape<'q> {
    let lits: &[Lit] = match test {
        Test::Cmp(super::conditions::Op::Eq, lit) => std::slice::from_ref(lit),
        Test::In(lits) => lits,
        Test::Like(pat) => {
            let prefix: Vec<char> = pat
                .iter()
                .map_while(|p| match p {
                    Pat::Ch(c) => Some(*c),
                    _ => None,
                })
                .collect();
            let exact = pat[prefix.len()..].iter().all(|p| matches!(p, Pat::Any));
            return if prefix.is_empty() || matches!(target, Target::Id) {
                Shape::Opaque
            } else {
                Shape::Probe(target, Probe::Prefix(prefix, exact))
            };
        }
        _ => return Shape::Opaque,
    };
    match target {
        Target::Id => Shape::Ids(
            lits.iter()
                .filter_map(|l| match l {
                    // An id is a whole number; `id = 1.5` matches nothing.
                    Lit::Num(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX) => Some(*n as u32),
                    _ => None,
                })
                .collect(),
        ),
        Target::Meta(_) => Shape::Opaque,
        Target::Doc(_) => match lits.iter().map(Key::of_lit).collect::<Option<Vec<_>>>() {
            Some(keys) => Shape::Probe(target, Probe::Keys(keys)),
            None => Shape::Opaque,
        },
    }
}

/// Whether folded `text` starts with `prefix` (`Equal`), or sorts before or after every
/// text that does: monotone over texts in [`cmp_ci`](super::filter::cmp_ci) order.
pub(crate) fn cmp_prefix(text: &str, prefix: &[char]) -> std::cmp::Ordering {
    text.chars().map(fold).take(prefix.len()).cmp(prefix.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::ListQuery;
    use crate::schema::schema;

    fn shape_of(cond: &str) -> String {
        let q = ListQuery { conditions: Some(cond.into()), ..ListQuery::default() }.bind(schema("Member")).unwrap();
        format!("{:?}", shape(&q))
    }

    #[test]
    fn equality_in_and_prefix_leaves_become_probes_and_the_rest_is_opaque() {
        assert!(shape_of("identifier = 'JDoe'").contains("Keys([Text(\"JDoe\")])"));
        assert!(shape_of("lastName like 'Sm%th'").contains("Prefix(['s', 'm'], false)"));
        assert!(shape_of("lastName like 'Sm%%'").contains("Prefix(['s', 'm'], true)"));
        assert!(shape_of("id in (3, 4.5)").contains("Ids([3])"));
        for opaque in ["identifier != 'x'", "lastName like '%s'", "hourlyRate > 3", "not inactiveFlag = true"] {
            assert!(shape_of(opaque).contains("Opaque"), "{opaque}");
            assert!(!shape_of(opaque).contains("Probe"), "{opaque}");
        }
    }

    #[test]
    fn prefix_comparison_is_monotone_and_ignores_case() {
        let p: Vec<char> = "sm".chars().collect();
        assert_eq!(cmp_prefix("Smith", &p), std::cmp::Ordering::Equal);
        assert_eq!(cmp_prefix("Sa", &p), std::cmp::Ordering::Less);
        assert_eq!(cmp_prefix("S", &p), std::cmp::Ordering::Less);
        assert_eq!(cmp_prefix("Sz", &p), std::cmp::Ordering::Greater);
    }
}
