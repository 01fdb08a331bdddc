//! The mock console under `/__mock`: what ConnectWise does only in its web UI (API keys,
//! security-role levels) and what only a mock needs (reset, fixtures, soft mode, the
//! permission journal). No route here collides with a real one: the real API lives under
//! `/{codebase}apis/3.0` and `/login`.
//!
//! Errors use the ConnectWise error body like the API does. Like WireMock's and LocalStack's
//! admin APIs the console needs no login, but [`guard`] keeps other web sites out (state
//! changes need a same-origin or absent `Origin` and a JSON body) and, with
//! `--console-token`, asks every caller for the token.

pub(crate) mod callbacks;
pub(crate) mod guard;
mod journal;
mod state;
mod traffic;
mod ui;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::api::json_response;
use crate::state::AppState;
use cw_model::console::{LevelChanges, RoleLevelsView};

use crate::api::routes::route_rules;
use crate::store::access::SaveAction;
use crate::store::records::to_bytes;
use crate::store::{FixtureSet, LoadError, StoreError};
use cw_model::{Function, Profile, RoleLevels};

/// The console's routes.
pub(crate) fn router(ui: bool) -> Router<AppState> {
    let console = Router::new()
        .route("/", get(index))
        .route("/reset", post(reset))
        .route("/fixtures", post(load_fixtures))
        .route("/companies", get(companies))
        .route("/companies/{company}/keys", get(all_keys))
        .route("/companies/{company}/keys/{id}", axum::routing::delete(delete_key).patch(patch_key))
        .route("/companies/{company}/members/{member}/keys", get(member_keys).post(create_key))
        .route("/companies/{company}/roles/{role}/levels", get(role_levels).put(set_levels).patch(set_levels))
        .route("/soft-mode", get(soft_mode).put(set_soft_mode))
        .route("/permission-journal", get(permission_journal).delete(clear_permission_journal))
        .route("/permission-journal/{member}/profile", get(journal::derived_profile))
        .route("/permissions", get(permission_table))
        .merge(traffic::router())
        .merge(state::router())
        .merge(callbacks::router())
        .fallback(not_found)
        // Extractor rejections (a bad id in the path, 413, a wrong method) come as plain text.
        .layer(axum::middleware::map_response(crate::api::error::as_connectwise_error));
    if ui { console.nest("/ui", ui::router()).route("/ui/", get(ui::home)) } else { console }
}

/// A JSON body whose rejections come back as ConnectWise error bodies.
pub(crate) struct Body<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(ApiError::new(rejection.status(), "InvalidObject", rejection.body_text())),
        }
    }
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, to_bytes(v))
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::from_store(e, "console")
}

async fn not_found() -> ApiError {
    ApiError::not_found("No such mock console route; GET /__mock lists them.")
}

/// The console's index: what it is and its routes.
pub(crate) async fn index(State(app): State<AppState>) -> Response {
    let mut routes = vec![
        "POST   /__mock/reset                                   reload the configured fixtures",
        "POST   /__mock/fixtures                                replace all state with a fixture set (body: tenant fixture or array)",
        "GET    /__mock/companies",
        "GET    /__mock/companies/{company}/keys                every API key (never a private key)",
        "GET    /__mock/companies/{company}/members/{member}/keys",
        "POST   /__mock/companies/{company}/members/{member}/keys  {description, action: save|saveAndClose}",
        "PATCH  /__mock/companies/{company}/keys/{id}           {inactiveFlag}",
        "DELETE /__mock/companies/{company}/keys/{id}",
        "GET    /__mock/companies/{company}/roles/{role}/levels role id or name",
        "PUT    /__mock/companies/{company}/roles/{role}/levels {\"Finance > Agreements\": {\"Add\": \"All\"}} or [{function, addLevel, ...}]",
        "GET|PUT /__mock/soft-mode                              {softMode: bool}",
        "GET|DELETE /__mock/permission-journal",
        "GET    /__mock/permission-journal/{member}/profile    ?company=; the least privilege its calls needed, as a profile file (TOML)",
        "GET    /__mock/permissions                             the permission table",
    ];
    routes.extend(traffic::ROUTES);
    routes.extend(state::ROUTES);
    routes.extend(callbacks::ROUTES);
    ok(&json!({
        "description": "mock-connectwise console: what ConnectWise does in its UI, and mock controls. Not part of the ConnectWise API.",
        "companies": app.store.companies(),
        "routes": routes,
    }))
}

async fn reset(State(app): State<AppState>) -> Result<Response, ApiError> {
    app.store.reset().map_err(|e| match e {
        LoadError::Unsaved(e) => ApiError::unsaved(&e),
        LoadError::Fixtures(e) => ApiError::internal(&e),
    })?;
    app.store.clear_permission_journal();
    app.traffic.reset();
    app.callbacks.reset();
    Ok(ok(&json!({ "reset": true, "companies": app.store.companies() })))
}

async fn load_fixtures(State(app): State<AppState>, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("fixtures", "body", "The fixture set must be UTF-8 JSON."))?;
    let set = FixtureSet::from_json_str("the request body", text)
        .map_err(|e| ApiError::bad_request("fixtures", "body", e.to_string()))?;
    app.store.load(&set).map_err(|e| match e {
        LoadError::Unsaved(e) => ApiError::unsaved(&e),
        LoadError::Fixtures(e) => ApiError::bad_request("fixtures", "body", e.to_string()),
    })?;
    app.store.clear_permission_journal();
    app.traffic.reset();
    Ok(ok(&json!({ "loaded": true, "companies": app.store.companies() })))
}

async fn companies(State(app): State<AppState>) -> Response {
    ok(&json!(app.store.companies()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewKeyBody {
    description: String,
    /// "save" shows the private key once; "saveAndClose" never shows it.
    action: SaveAction,
}

async fn create_key(
    State(app): State<AppState>,
    Path((company, member)): Path<(String, String)>,
    Body(body): Body<NewKeyBody>,
) -> Result<Response, ApiError> {
    let key = app
        .store
        .write_tenant(&company, |t, keys, now| t.create_key(&member, &body.description, body.action, None, now, keys))
        .map_err(store_error)?;
    Ok(json_response(StatusCode::CREATED, to_bytes(&key)))
}

async fn member_keys(
    State(app): State<AppState>,
    Path((company, member)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let keys = app.store.read_tenant(&company, |t| t.list_keys(Some(&member))).map_err(store_error)?;
    Ok(json_response(StatusCode::OK, to_bytes(&keys)))
}

async fn all_keys(State(app): State<AppState>, Path(company): Path<String>) -> Result<Response, ApiError> {
    let keys = app.store.read_tenant(&company, |t| t.list_keys(None)).map_err(store_error)?;
    Ok(json_response(StatusCode::OK, to_bytes(&keys)))
}

async fn delete_key(
    State(app): State<AppState>,
    Path((company, id)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    app.store.write_tenant(&company, |t, _, _| t.delete_key(id)).map_err(store_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyPatch {
    inactive_flag: bool,
}

async fn patch_key(
    State(app): State<AppState>,
    Path((company, id)): Path<(String, u32)>,
    Body(body): Body<KeyPatch>,
) -> Result<Response, ApiError> {
    let key =
        app.store.write_tenant(&company, |t, _, _| t.set_key_inactive(id, body.inactive_flag)).map_err(store_error)?;
    Ok(json_response(StatusCode::OK, to_bytes(&key)))
}

fn role_id(t: &crate::store::tenant::Tenant, role: &str) -> Result<u32, StoreError> {
    role.parse::<u32>()
        .ok()
        .filter(|id| t.role_levels(*id).is_ok())
        .or_else(|| t.role_id(role))
        .ok_or_else(|| StoreError::NotFound(format!("SecurityRole {role}")))
}

/// A role's levels as the console shows them: every row, and how they compare with the
/// default profile.
pub(crate) fn levels_json(role: u32, levels: &RoleLevels) -> Value {
    serde_json::to_value(RoleLevelsView::new(role, levels, Profile::seed())).unwrap_or(Value::Null)
}

async fn role_levels(
    State(app): State<AppState>,
    Path((company, role)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (id, levels) = app
        .store
        .read_tenant(&company, |t| {
            let id = role_id(t, &role)?;
            Ok((id, t.role_levels(id)?))
        })
        .map_err(store_error)?;
    Ok(ok(&levels_json(id, &levels)))
}

async fn set_levels(
    State(app): State<AppState>,
    Path((company, role)): Path<(String, String)>,
    Body(body): Body<Value>,
) -> Result<Response, ApiError> {
    let changes =
        LevelChanges::from_json(&body).map_err(|m| ApiError::bad_request("securityRoleSetting", "body", m))?;
    let (id, levels) = app
        .store
        .write_tenant(&company, |t, _, now| {
            let id = role_id(t, &role)?;
            Ok((id, t.set_levels(id, &changes, now)?))
        })
        .map_err(store_error)?;
    Ok(ok(&levels_json(id, &levels)))
}

async fn soft_mode(State(app): State<AppState>) -> Response {
    ok(&json!({ "softMode": app.store.soft_mode() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SoftMode {
    soft_mode: bool,
}

async fn set_soft_mode(State(app): State<AppState>, Body(body): Body<SoftMode>) -> Response {
    app.store.set_soft_mode(body.soft_mode);
    ok(&json!({ "softMode": body.soft_mode }))
}

async fn permission_journal(State(app): State<AppState>) -> Response {
    ok(&app.store.permission_report())
}

async fn clear_permission_journal(State(app): State<AppState>) -> StatusCode {
    app.store.clear_permission_journal();
    StatusCode::NO_CONTENT
}

async fn permission_table() -> Response {
    let functions: Vec<Value> = Function::ALL
        .iter()
        .map(|f| {
            let i = f.info();
            json!({ "function": f.label(), "module": i.module, "name": i.function, "moduleIdentifier": i.module_identifier,
                "moduleFunctionIdentifier": i.function_identifier, "documented": i.documented })
        })
        .collect();
    let routes: Vec<Value> = route_rules()
        .iter()
        .map(|r| json!({ "method": r.method, "path": r.path, "function": r.needs.map(|(f, _)| f.label()), "level": r.needs.map(|(_, a)| a), "evidence": r.evidence }))
        .collect();
    let profile: Vec<Value> = Profile::seed().requirements()
        .map(|r| json!({ "step": r.step, "function": r.function.label(), "action": r.action, "level": r.level, "module": r.function.info().module }))
        .collect();
    ok(&json!({ "functions": functions, "routes": routes, "integrationProfile": profile }))
}
