//! Step definitions, one module per concept, and the parameter types over the domain enums.

mod api_member;
mod callbacks;
mod integrator_login;
mod keys;
mod permissions;
mod provisioner;
mod role_model;
mod security_role;
mod target;

use std::str::FromStr;

use cw_model::{Action, Function, PermissionLevel};
use mock_connectwise::SaveAction;
use reqwest::Method;
use serde_json::Value;

use crate::CwWorld;

/// `"Finance > Agreements"`: a row of the permission table.
#[derive(Clone, Copy, Debug, cucumber::Parameter)]
#[param(name = "function", regex = r#""[A-Za-z &]+ > [A-Za-z &]+""#)]
pub(crate) struct Func(pub(crate) Function);

impl FromStr for Func {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim_matches('"');
        Function::find(name).map(Func).ok_or_else(|| format!("{name} is not a row of the permission table"))
    }
}

/// `Add`, `Edit`, `Delete`, `Inquire`.
#[derive(Clone, Copy, Debug, cucumber::Parameter)]
#[param(name = "action", regex = "Add|Edit|Delete|Inquire")]
pub(crate) struct Act(pub(crate) Action);

impl FromStr for Act {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Act).map_err(|e: cw_model::UnknownName| e.0)
    }
}

/// `None`, `My`, `All`.
#[derive(Clone, Copy, Debug, cucumber::Parameter)]
#[param(name = "level", regex = "None|My|All")]
pub(crate) struct Level(pub(crate) PermissionLevel);

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Level).map_err(|e: cw_model::UnknownName| e.0)
    }
}

/// `"Save"` or `"Save and Close"`.
#[derive(Clone, Copy, Debug, cucumber::Parameter)]
#[param(name = "save", regex = r#""Save and Close"|"Save""#)]
pub(crate) struct Save(pub(crate) SaveAction);

impl FromStr for Save {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim_matches('"') {
            "Save" => Ok(Save(SaveAction::Save)),
            "Save and Close" => Ok(Save(SaveAction::SaveAndClose)),
            other => Err(format!("{other} is not a button")),
        }
    }
}

impl CwWorld {
    /// Calls `apis/3.0` as the seeded administrator of the mock and keeps the answer.
    pub(crate) async fn admin_call(&mut self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let app = self.mock().await;
        let res = app.call(&app.admin.clone(), method, path, body).await;
        let answer = (res.status, res.body);
        self.last = Some(answer.clone());
        answer
    }

    /// Calls the mock console and keeps the answer.
    pub(crate) async fn console_call(&mut self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let app = self.mock().await;
        let res = app.console(method, path, body).await;
        let answer = (res.status, res.body);
        self.last = Some(answer.clone());
        answer
    }

    /// The company id of the mock's tenant.
    pub(crate) async fn company(&mut self) -> String {
        self.mock().await.admin.company.clone()
    }
}

/// `Given a fresh ConnectWise tenant`: the mock target starts each scenario empty but for the
/// fixtures.
#[cucumber::given("a fresh ConnectWise tenant")]
async fn fresh_tenant(w: &mut CwWorld) {
    let app = w.mock().await;
    let info = app.get("/system/info").await;
    assert_eq!(info.status, 200, "the mock answers: {}", info.body);
}
