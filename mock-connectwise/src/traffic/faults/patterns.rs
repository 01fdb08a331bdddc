//! Path patterns of fault rules (`/system/members/*/tokens`, `/finance/**`) and the rule
//! set's index by first segment, which keeps matching a call cheap however many rules exist.

use std::collections::HashMap;

use super::Rule;

/// The most segments of a path pattern.
pub(super) const MAX_FAULT_SEGMENTS: usize = 32;

/// One segment of a compiled path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    Lit(String),
    One,
    Rest,
}

/// The rules, oldest first, indexed by their pattern's first literal segment so that a call
/// only looks at the rules that could match it (those for its first segment, and those
/// starting with `*` or `**`).
#[derive(Debug, Default)]
pub(super) struct RuleSet {
    pub(super) list: Vec<Rule>,
    /// First literal segment (lower case) to positions in `list`, ascending.
    by_first: HashMap<String, Vec<usize>>,
    /// Positions of rules whose pattern starts with a wildcard or is empty, ascending.
    wild: Vec<usize>,
}

impl RuleSet {
    pub(super) fn push(&mut self, rule: Rule) {
        let at = self.list.len();
        match rule.pattern.first() {
            Some(Seg::Lit(first)) => self.by_first.entry(first.clone()).or_default().push(at),
            _ => self.wild.push(at),
        }
        self.list.push(rule);
    }

    pub(super) fn retain(&mut self, keep: impl FnMut(&Rule) -> bool) {
        let mut list = std::mem::take(&mut self.list);
        list.retain(keep);
        *self = Self::default();
        list.into_iter().for_each(|r| self.push(r));
    }

    /// Positions of the rules that may match a call whose first segment is `first`, ascending.
    pub(super) fn candidates(&self, first: Option<&str>) -> impl Iterator<Item = usize> + use<'_> {
        let bucket = first.and_then(|f| self.by_first.get(&f.to_ascii_lowercase())).map_or(&[][..], Vec::as_slice);
        let (mut a, mut b) = (bucket.iter().peekable(), self.wild.iter().peekable());
        std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next().copied(),
            (_, Some(_)) => b.next().copied(),
            (Some(_), None) => a.next().copied(),
            (None, None) => None,
        })
    }
}

pub(super) fn compile(path: &str) -> Result<Vec<Seg>, String> {
    if !path.starts_with('/') {
        return Err(format!("path '{path}' must start with '/' (the part after apis/3.0)"));
    }
    let segs: Vec<Seg> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "*" => Seg::One,
            "**" => Seg::Rest,
            lit => Seg::Lit(lit.to_ascii_lowercase()),
        })
        .collect();
    if segs.len() > MAX_FAULT_SEGMENTS {
        return Err(format!("path '{path}' has more than {MAX_FAULT_SEGMENTS} segments"));
    }
    if segs.iter().rev().skip(1).any(|s| *s == Seg::Rest) {
        return Err(format!("path '{path}': '**' may only end a pattern"));
    }
    Ok(segs)
}

pub(super) fn path_matches(pattern: &[Seg], segs: &[&str]) -> bool {
    let mut i = 0;
    for seg in pattern {
        match seg {
            Seg::Rest => return true,
            Seg::One if i < segs.len() => {}
            Seg::Lit(lit) if segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(lit)) => {}
            _ => return false,
        }
        i += 1;
    }
    i == segs.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_literal_one_and_rest_segments_without_case() {
        let p = compile("/system/members/*/tokens").unwrap();
        assert!(path_matches(&p, &["System", "Members", "jdoe", "tokens"]));
        assert!(!path_matches(&p, &["system", "members", "tokens"]));
        let rest = compile("/finance/**").unwrap();
        assert!(path_matches(&rest, &["finance", "agreements", "1", "additions"]));
        assert!(path_matches(&rest, &["finance"]));
        assert!(!path_matches(&rest, &["company", "companies"]));
        assert!(compile("/a/**/b").is_err());
        assert!(compile("system").is_err());
    }
}
