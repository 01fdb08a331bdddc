//! Writes to a child collection as a whole, where the official table gives them on the
//! collection's own path (an opportunity's forecast: `PUT`, `PATCH` and `DELETE`
//! `/sales/opportunities/{parentId}/forecast`): replace every child of the parent with the
//! records sent, patch every one, or delete them all (docs/assumptions.md A15.6). Every record is checked
//! before anything changes, so a refused write changes nothing.

use serde_json::Value;

use super::records::{Access, WriteCtx};
use super::tenant::Tenant;
use super::{One, StoreError, patch};
use crate::resources::Res;
use crate::validate::Mode;

impl Tenant {
    /// The ids of `parent`'s children in `res`, in id order.
    fn children(&self, res: Res, parent: Option<u32>) -> Result<Vec<u32>, StoreError> {
        let parent = self.parent_of(res, parent)?;
        Ok(self.table(res).iter().filter(|r| parent.is_none_or(|p| r.meta.parent == p)).map(|r| r.id).collect())
    }

    /// `PUT` on the collection: its records become exactly those of `body` (an array).
    pub(crate) fn replace_all(
        &mut self,
        res: Res,
        parent: Option<u32>,
        body: Value,
        w: &WriteCtx<'_>,
    ) -> Result<Vec<One>, StoreError> {
        let Value::Array(records) = body else {
            return Err(StoreError::BadRequest(format!("the body must be an array of {} records", res.info().noun)));
        };
        let old = self.children(res, parent)?;
        for record in &records {
            self.prepare(res, parent, record.clone(), Mode::Create, None, w)?;
        }
        for &id in &old {
            self.check_delete(res, parent, id, w.access)?;
        }
        for id in old {
            self.delete(res, parent, id, w.access)?;
        }
        records.into_iter().map(|r| self.create(res, parent, r, w)).collect()
    }

    /// `PATCH` on the collection: the operations applied to every record.
    pub(crate) fn patch_all(
        &mut self,
        res: Res,
        parent: Option<u32>,
        ops: &[patch::PatchOp],
        w: &WriteCtx<'_>,
    ) -> Result<Vec<One>, StoreError> {
        let mut patched = Vec::new();
        for id in self.children(res, parent)? {
            let mut current = self.current(res, parent, id)?;
            patch::apply(res.schema(), &mut current, ops).map_err(StoreError::BadRequest)?;
            self.prepare(res, parent, Value::Object(current.clone()), Mode::Create, Some(id), w)?;
            patched.push((id, current));
        }
        patched.into_iter().map(|(id, doc)| self.update(res, parent, id, Value::Object(doc), Mode::Create, w)).collect()
    }

    /// `DELETE` on the collection: every record of the parent goes.
    pub(crate) fn delete_all(&mut self, res: Res, parent: Option<u32>, access: Access<'_>) -> Result<bool, StoreError> {
        let ids = self.children(res, parent)?;
        for &id in &ids {
            self.check_delete(res, parent, id, access)?;
        }
        let mut others = false;
        for id in ids {
            others |= self.delete(res, parent, id, access)?;
        }
        Ok(others)
    }
}
