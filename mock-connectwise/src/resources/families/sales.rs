//! The sales family's actions beyond the generic layer. Copies (`…/copy`) and checks
//! (`…/test…`, `…/validate…`) are recognised for every family by name in
//! [`super::generic`]; the family's other actions answer a schema-valid body of their official
//! response (docs/assumptions.md A24.2).

use super::Effect;
use crate::resources::registry::Registry;

/// The effect of `method` on `key` (a path as [`super::shape`] writes it), if the family
/// gives it one.
pub(super) fn effect(_reg: &Registry, _method: &str, _key: &str) -> Option<Effect> {
    None
}
