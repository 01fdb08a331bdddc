//! The collections the mock serves, described once: schema, route, the security-role row that
//! governs them, which writes the real API allows, which field is unique, and which reference
//! fields point at which collection. The router, the store and the permission table are all
//! generated from this list.

pub(crate) mod families;
mod functions;
mod named;
pub(crate) mod operations;
pub(crate) mod registry;
mod views;

use crate::schema::{ObjectSchema, schema};
use cw_model::Function;
pub(crate) use functions::function_for;
use named::NAMED;

/// A collection: an index into the registry. The collections the mock was built on have
/// names (`Res::Members`, ...) and fixed indexes; the rest are generated from the official
/// 2026.4 file ([`registry`]) and follow them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Res(u16);

// The named collections read as the enum variants they once were.
#[allow(non_upper_case_globals)]
impl Res {
    pub(crate) const Members: Res = Res(0);
    pub(crate) const ApiMembers: Res = Res(1);
    pub(crate) const SecurityRoles: Res = Res(2);
    pub(crate) const IntegratorLogins: Res = Res(3);
    pub(crate) const Companies: Res = Res(4);
    pub(crate) const Agreements: Res = Res(5);
    pub(crate) const Additions: Res = Res(6);
    pub(crate) const Catalog: Res = Res(7);
    pub(crate) const Tickets: Res = Res(8);
    pub(crate) const Boards: Res = Res(9);
    /// `/service/priorities`, a System > Table Setup table (issue 16's second Customize item).
    pub(crate) const Priorities: Res = Res(10);
    /// `/service/boards/{parentId}/statuses`, a board's statuses (Table Setup's board item).
    pub(crate) const BoardStatuses: Res = Res(11);
}

/// The writes a collection accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writes {
    pub(crate) create: bool,
    pub(crate) replace: bool,
    pub(crate) patch: bool,
    pub(crate) delete: bool,
}

pub(crate) const CRUD: Writes = Writes { create: true, replace: true, patch: true, delete: true };
/// Members and API members: no DELETE in any published version (deactivate instead).
const NO_DELETE: Writes = Writes { create: true, replace: true, patch: true, delete: false };
/// Security roles: create and delete only; settings change in the UI.
const CREATE_DELETE: Writes = Writes { create: true, replace: false, patch: false, delete: true };

/// A reference field and the collection(s) its `id` points into. The target's display fields
/// (`name`, `identifier`, ...) are copied into the reference on every write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefField {
    pub(crate) field: &'static str,
    pub(crate) targets: &'static [Res],
}

/// The routes the official table gives a collection: `GET {path}`, `GET {path}/count`,
/// `GET {path}/{id}` and the writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Methods {
    pub(crate) list: bool,
    pub(crate) count: bool,
    pub(crate) get: bool,
    pub(crate) create: bool,
    pub(crate) replace: bool,
    pub(crate) patch: bool,
    pub(crate) delete: bool,
    /// `PUT`, `PATCH`, `DELETE` on the collection's own path (the whole of a parent's
    /// children), and `POST` on an item (a replace), where the official table gives them.
    pub(crate) whole: WholeWrites,
}

/// Writes on a collection as a whole (an opportunity's forecast).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WholeWrites {
    pub(crate) replace: bool,
    pub(crate) patch: bool,
    pub(crate) delete: bool,
    pub(crate) post_item: bool,
}

impl WholeWrites {
    const NONE: WholeWrites = WholeWrites { replace: false, patch: false, delete: false, post_item: false };
}

impl Methods {
    /// Filled in by the registry from the official table.
    const UNSET: Methods = Methods {
        list: false,
        count: false,
        get: false,
        create: false,
        replace: false,
        patch: false,
        delete: false,
        whole: WholeWrites::NONE,
    };

    /// Every read, and the given writes: a collection the official table does not list.
    pub(crate) fn reads_and(w: Writes) -> Methods {
        Methods {
            list: true,
            count: true,
            get: true,
            create: w.create,
            replace: w.replace,
            patch: w.patch,
            delete: w.delete,
            whole: WholeWrites::NONE,
        }
    }
}

/// How one collection behaves.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub(crate) res: Res,
    pub(crate) schema: &'static str,
    /// Lower-case noun for error messages: "member object is invalid".
    pub(crate) noun: &'static str,
    /// Capitalised noun for 404s: "Member 12 not found".
    pub(crate) title: &'static str,
    /// The collection route under `apis/3.0`, with `{parentId}` for child collections.
    pub(crate) path: &'static str,
    pub(crate) function: Function,
    pub(crate) writes: Writes,
    /// Its routes, from the official table (`manage-paths-2021.1.json`) where it lists the path.
    pub(crate) methods: Methods,
    /// A field unique within the tenant (compared without case).
    pub(crate) unique: Option<&'static str>,
    /// Collections sharing the unique field's namespace (members and API members).
    pub(crate) unique_with: &'static [Res],
    /// Child collections: the parent and the field that holds the parent's id (an id field
    /// such as `agreementId`, or a reference such as a board status's `board`); empty when the
    /// schema has no such field and the parent is known only from the path.
    pub(crate) parent: Option<(Res, &'static str)>,
    /// Collections whose records take ids from this one's sequence.
    pub(crate) id_space: Res,
    pub(crate) refs: &'static [RefField],
    /// Values set on create when the client leaves them out.
    pub(crate) defaults: &'static [(&'static str, DefaultValue)],
    /// A write-only field, stored hashed outside the document and never rendered.
    pub(crate) secret: Option<&'static str>,
}

/// A default field value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DefaultValue {
    Bool(bool),
    Str(&'static str),
}

impl DefaultValue {
    /// The value as JSON.
    pub(crate) fn to_json(self) -> serde_json::Value {
        match self {
            Self::Bool(b) => serde_json::Value::Bool(b),
            Self::Str(s) => serde_json::Value::from(s),
        }
    }
}

impl Res {
    /// Every collection, the named ones first.
    pub(crate) fn all() -> impl Iterator<Item = Res> + Clone {
        (0..registry::get().resources.len()).map(|i| Res(u16::try_from(i).unwrap_or(u16::MAX)))
    }

    /// How many collections there are.
    pub(crate) fn count() -> usize {
        registry::get().resources.len()
    }

    /// How this collection behaves.
    pub(crate) fn info(self) -> &'static Resource {
        &registry::get().resources[self.index()]
    }

    /// Its schema.
    pub(crate) fn schema(self) -> &'static ObjectSchema {
        schema(self.info().schema)
    }

    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The collection whose records a reference schema points at, and the `_info` key of the
    /// link (`CompanyReference` → companies, `company_href`).
    pub(crate) fn for_reference(reference_schema: &str) -> Option<(Res, &'static str)> {
        registry::get().by_reference.get(reference_schema).copied()
    }

    /// The collection served at a route (`/company/contacts`, any case).
    pub(crate) fn at_path(path: &str) -> Option<Res> {
        registry::get().by_path.get(&registry::path_key(path)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_required_on_updates_is_required_on_create_or_defaulted() {
        // Otherwise a record read back could not be PUT unchanged, as it can on the real server.
        // An API member's name is the one exception: the real server leaves it to the caller.
        // Collections generated from the official file take its rules as they are.
        for res in Res::all().take(NAMED.len()) {
            let r = res.info();
            let s = res.schema();
            for (i, prop) in s.props.iter().enumerate() {
                let required = s.required.iter().any(|&q| usize::from(q) == i);
                let defaulted = r.defaults.iter().any(|(name, _)| *name == prop.name);
                let exempt = r.schema == "ApiMember" && prop.name == "name";
                assert!(
                    !prop.required_on_update || required || defaulted || exempt,
                    "{}.{} is required on updates but neither required on create nor defaulted",
                    s.name,
                    prop.name
                );
            }
        }
    }

    #[test]
    fn the_table_is_in_enum_order_and_every_name_exists_in_the_schemas() {
        for res in Res::all() {
            let r = res.info();
            assert_eq!(r.res, res);
            let s = res.schema();
            for name in r.unique.iter().chain(r.secret.iter()).chain(r.refs.iter().map(|f| &f.field)) {
                assert!(s.prop(name).is_some(), "{}.{name}", s.name);
            }
            for (name, _) in r.defaults {
                assert!(s.prop(name).is_some(), "{}.{name}", s.name);
            }
            if let Some((_, field)) = r.parent.filter(|(_, f)| !f.is_empty()) {
                assert!(s.prop(field).is_some(), "{}.{field}", s.name);
            }
        }
    }
}
