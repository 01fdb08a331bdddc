//! The whole mock as one axum router: codebase discovery, the API under
//! `/{codebase}apis/3.0` ([`crate::api`]) and the console under `/__mock` ([`crate::console`]),
//! with the console's guard and the site stamp ([`crate::state::stamp_site`]) around them.
//! The one place routers are composed.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::api::{api, company_info};
use crate::state::{ApiConfig, AppState, stamp_site};
use crate::store::Store;
use crate::traffic::Traffic;

/// The whole mock as an axum router, ready to serve or to drive with `oneshot` in tests.
pub fn router(store: Store, config: ApiConfig) -> Router {
    let traffic = Arc::new(Traffic::new(config.journal_capacity, config.rate_limit));
    let ui = config.ui;
    let state = AppState { store, config: Arc::new(config), traffic };
    let guard = axum::middleware::from_fn_with_state(state.clone(), crate::console::guard::guard);
    let trusted = state.clone();
    Router::new()
        .route("/login/companyinfo/{company}", get(company_info))
        .nest("/__mock", crate::console::router(ui))
        // `nest` serves the console's index at `/__mock` only; people type the slash too.
        .route("/__mock/", get(crate::console::index))
        // Browsers on the console ask for it; answered here so it is not journaled as an API call.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .fallback(api)
        // The console's token and cross-site checks (everything else passes straight on).
        .layer(guard)
        .with_state(state)
        .layer(axum::middleware::map_request_with_state(trusted, stamp_site))
}
