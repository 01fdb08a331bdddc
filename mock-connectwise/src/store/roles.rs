//! Security-role levels, and the read-only views generated from them:
//! `/system/securityRoles/{id}/settings` and `/system/mySecurity`. Both are rendered from the
//! permission table (`cw_model`) and the role's stored levels, as small virtual
//! tables so the query language applies to them like to any collection.

use serde_json::{Value, json};

use super::table::{Meta, Record, Table};
use super::tenant::Tenant;
use super::{Caller, StoreError};
use crate::doc::Doc;
use cw_model::console::LevelChanges;

use crate::resources::Res;
use crate::schema::schema;
use cw_model::{Action, Function, RoleLevels};

impl Tenant {
    fn role(&self, role_id: u32) -> Result<&Record, StoreError> {
        self.table(Res::SecurityRoles)
            .get(role_id)
            .ok_or_else(|| StoreError::NotFound(format!("SecurityRole {role_id}")))
    }

    /// The levels of a role.
    pub(crate) fn role_levels(&self, role_id: u32) -> Result<RoleLevels, StoreError> {
        self.role(role_id)?;
        Ok(self.levels.get(&role_id).cloned().unwrap_or_default())
    }

    /// The id of a role by name (ignoring case).
    pub(crate) fn role_id(&self, name: &str) -> Option<u32> {
        self.table(Res::SecurityRoles).find_unique(name)
    }

    /// Changes levels of a role, as the UI's Security Roles screen does.
    pub(crate) fn set_levels(
        &mut self,
        role_id: u32,
        changes: &LevelChanges,
        now: i64,
    ) -> Result<RoleLevels, StoreError> {
        self.role(role_id)?;
        let levels = self.levels.entry(role_id).or_default();
        changes.apply(levels);
        let levels = levels.clone();
        // The role record shows the change in its _info.lastUpdated.
        if let Some(rec) = self.table(Res::SecurityRoles).get(role_id).cloned() {
            let meta = Meta { updated_at: now, ..rec.meta };
            self.table_mut(Res::SecurityRoles).update(role_id, rec.doc, meta);
        }
        Ok(levels)
    }

    /// The settings of a role as a table of `SecurityRoleSetting` rows (id = row number).
    pub(crate) fn settings_table(&self, role_id: u32) -> Result<Table, StoreError> {
        let role = self.role(role_id)?;
        let levels = self.levels.get(&role_id).cloned().unwrap_or_default();
        Ok(function_rows("SecurityRoleSetting", role.meta, &levels, None))
    }

    /// The caller's effective rights as a table of `MySecurity` rows.
    pub(crate) fn my_security_table(&self, caller: &Caller) -> Table {
        let meta = caller
            .role
            .as_ref()
            .and_then(|(id, _)| self.table(Res::SecurityRoles).get(*id))
            .map_or(Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 }, |r| r.meta);
        let member = json!({"id": caller.member_id, "identifier": caller.identifier,
            "name": self.member_summary(caller.member_id).map(|m| m.name).unwrap_or_default()});
        function_rows("MySecurity", meta, &caller.levels, Some(member))
    }

    /// `SecurityRoleInfo` rows of every role.
    pub(crate) fn role_info_table(&self) -> Table {
        let s = schema("SecurityRoleInfo");
        let roles = self.table(Res::SecurityRoles);
        let mut t = Table::new(s, None);
        for r in roles.iter() {
            let doc = r.doc.view(roles.schema).to_json();
            t.insert(Record::new(r.id, r.meta, Doc::encode(s, &doc)));
        }
        t
    }
}

fn function_rows(schema_name: &str, meta: Meta, levels: &RoleLevels, member: Option<Value>) -> Table {
    let s = schema(schema_name);
    let mut t = Table::new(s, None);
    for (i, &f) in Function::ALL.iter().enumerate() {
        let info = f.info();
        let mut row = json!({
            "moduleFunctionName": info.function,
            "moduleFunctionDescription": info.description,
            "myAllFlag": true,
            "moduleFunctionIdentifier": info.function_identifier,
            "reportFlag": false,
            "restrictFlag": false,
            // A Customize list limits the row to its sub-items (System > Table Setup ...).
            "customFlag": levels.customize(f).is_some(),
            "moduleDescription": info.module,
            "moduleIdentifier": info.module_identifier,
            "moduleName": info.module,
            "sortOrder": i,
        });
        if let Some(obj) = row.as_object_mut() {
            for a in Action::ALL {
                obj.insert(a.setting_field().into(), Value::from(levels.get(f, a).as_str()));
            }
            if let Some(m) = &member {
                obj.insert("member".into(), m.clone());
            }
        }
        let id = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let doc = Doc::encode(s, row.as_object().unwrap_or(&serde_json::Map::new()));
        t.insert(Record::new(id, meta, doc));
    }
    t
}
