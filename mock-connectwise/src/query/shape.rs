//! `orderBy` (`field/sub asc|desc, ...`) and `fields` (`id,name,company/name`), each parsed
//! and resolved against a schema once per request.

use std::cmp::Ordering;

use super::filter::{Row, Target, first_value, order_values, resolve};
use crate::schema::{ObjectSchema, SCHEMAS, Type};

/// The sort keys of a list; records always fall back to ascending `id`.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderBy(Vec<(Target, bool)>);

impl OrderBy {
    /// Parses `lastName asc, id desc` (direction optional, ascending by default).
    pub(crate) fn parse(schema: &'static ObjectSchema, text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let path = words.next().unwrap_or_default();
            let desc = match words.next() {
                None => false,
                Some(d) if d.eq_ignore_ascii_case("asc") => false,
                Some(d) if d.eq_ignore_ascii_case("desc") => true,
                Some(d) => return Err(format!("'{d}' is not asc or desc in '{part}'")),
            };
            if let Some(extra) = words.next() {
                return Err(format!("unexpected '{extra}' in '{part}'"));
            }
            let segs: Vec<String> = path.split('/').map(str::to_owned).collect();
            if segs.iter().any(String::is_empty) {
                return Err(format!("'{path}' is not a field path"));
            }
            let (target, ty) = resolve(schema, &segs)?;
            if matches!(ty, Type::Object(_) | Type::Info) {
                return Err(format!("{path} is an object: order by one of its fields, such as {path}/name"));
            }
            keys.push((target, desc));
        }
        Ok(Self(keys))
    }

    /// Whether this is the default order (ascending id), which needs no sort.
    pub(crate) fn is_by_id(&self) -> bool {
        matches!(self.0.as_slice(), [] | [(Target::Id, false)])
    }

    /// The first sort key and whether it descends, unless the order is by id alone.
    pub(crate) fn first_key(&self) -> Option<(&Target, bool)> {
        if self.is_by_id() { None } else { self.0.first().map(|(t, d)| (t, *d)) }
    }

    /// The sort keys after the first, each with whether it descends (the planner reads them
    /// once per record instead of once per comparison).
    pub(crate) fn rest(&self) -> &[(Target, bool)] {
        self.0.get(1..).unwrap_or_default()
    }

    /// The order of two records.
    pub(crate) fn compare<'a>(&self, a: &impl Row<'a>, b: &impl Row<'a>) -> Ordering {
        for (target, desc) in &self.0 {
            let o = order_values(first_value(a, target), first_value(b, target));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.id().cmp(&b.id())
    }
}

/// A `fields` selection: which properties (and which parts of nested objects) to render.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields(Vec<(u16, Option<Fields>)>);

/// Whether and how much of one property a selection keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pick<'a> {
    Skip,
    Whole,
    Part(&'a Fields),
}

impl Fields {
    /// Parses a comma-separated list of `/`-paths against `schema`. A path that names no field
    /// of the schema (or reaches into a field that has none) selects nothing and is ignored, as
    /// ConnectWise ignores it (docs/assumptions.md A12.1); only the paths that resolve are kept.
    pub(crate) fn parse(schema: &'static ObjectSchema, text: &str) -> Result<Self, String> {
        let mut root = Fields::default();
        for path in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(keys) = Self::keys_of(schema, path) {
                root.insert(&keys);
            }
        }
        Ok(root)
    }

    /// The property keys along `path`, or `None` where a segment is not a field.
    fn keys_of(schema: &'static ObjectSchema, path: &str) -> Option<Vec<u16>> {
        let segs: Vec<&str> = path.split('/').collect();
        let mut keys = Vec::with_capacity(segs.len());
        let mut current = schema;
        for (i, seg) in segs.iter().enumerate() {
            let (key, prop) = current.prop(seg)?;
            keys.push(key);
            if i + 1 < segs.len() {
                current = SCHEMAS.get(prop.ty.object_schema()?);
            }
        }
        Some(keys)
    }

    /// Selects the property at `keys`; a property already selected whole stays whole.
    fn insert(&mut self, keys: &[u16]) {
        let Some((&key, rest)) = keys.split_first() else { return };
        let pos = match self.0.iter().position(|(k, _)| *k == key) {
            Some(p) => p,
            None => {
                self.0.push((key, Some(Fields::default())));
                self.0.len() - 1
            }
        };
        if rest.is_empty() {
            self.0[pos].1 = None;
        } else if let Some(child) = &mut self.0[pos].1 {
            child.insert(rest);
        }
    }

    /// How much of the property `key` to keep.
    pub(crate) fn pick(&self, key: u16) -> Pick<'_> {
        match self.0.iter().find(|(k, _)| *k == key) {
            None => Pick::Skip,
            Some((_, None)) => Pick::Whole,
            Some((_, Some(f))) => Pick::Part(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;

    #[test]
    fn order_by_reads_paths_and_directions() {
        let o = OrderBy::parse(schema("Member"), "lastName desc, securityRole/name,id ASC").unwrap();
        assert_eq!(o.0.len(), 3);
        assert!(o.0[0].1);
        assert!(!o.0[1].1);
        assert!(OrderBy::parse(schema("Member"), "id asc").unwrap().is_by_id());
    }

    #[test]
    fn order_by_mistakes_are_named() {
        for (text, needle) in [
            ("lastName sideways", "not asc or desc"),
            ("nope", "no field nope"),
            ("securityRole", "is an object"),
            ("lastName asc c", "unexpected"),
        ] {
            let e = OrderBy::parse(schema("Member"), text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn fields_build_a_tree_and_a_whole_selection_wins() {
        let s = schema("Member");
        let f = Fields::parse(s, "id, securityRole/name, securityRole, identifier").unwrap();
        let (id, _) = s.prop("id").unwrap();
        let (role, _) = s.prop("securityRole").unwrap();
        let (title, _) = s.prop("title").unwrap();
        assert_eq!(f.pick(id), Pick::Whole);
        assert_eq!(f.pick(role), Pick::Whole);
        assert_eq!(f.pick(title), Pick::Skip);
        let g = Fields::parse(s, "securityRole/name").unwrap();
        assert!(matches!(g.pick(role), Pick::Part(_)));
        // Unknown names select nothing (A12.1); a known sibling is still kept.
        let h = Fields::parse(s, "nope, securityRole/nope, identifier/deeper, title").unwrap();
        assert_eq!((h.pick(role), h.pick(id), h.pick(title)), (Pick::Skip, Pick::Skip, Pick::Whole));
        let (identifier, _) = s.prop("identifier").unwrap();
        assert_eq!(h.pick(identifier), Pick::Skip);
    }
}
