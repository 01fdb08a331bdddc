//! The whole mock as one axum router: codebase discovery, the API under
//! `/{codebase}apis/3.0` ([`crate::api`]) and the console under `/__mock` ([`crate::console`]),
//! with the console's guard and the site stamp ([`crate::state::stamp_site`]) around them.
//! The one place routers are composed.
//!
//! [`App`] is what the server runs: the same router, with API calls (everything the router
//! would hand to its fallback) sent straight to the dispatcher. The guard passes those through
//! untouched anyway; skipping the router and its two middleware layers saves each API call a
//! route lookup, three boxed futures and three clones of the state.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceExt;

use crate::api::{api, company_info};
use crate::state::{ApiConfig, AppState, stamp, stamp_site};
use crate::store::Store;
use crate::traffic::Traffic;

/// The whole mock as an axum router, ready to serve or to drive with `oneshot` in tests.
pub fn router(store: Store, config: ApiConfig) -> Router {
    App::new(store, config).router
}

fn compose(state: AppState) -> Router {
    let ui = state.config.ui;
    let guard = axum::middleware::from_fn_with_state(state.clone(), crate::console::guard::guard);
    let trusted = state.clone();
    Router::new()
        .route("/login/companyinfo/{company}", get(company_info))
        .nest("/__mock", crate::console::router(ui))
        // `nest` serves the console's index at `/__mock` only; people type the slash too.
        .route("/__mock/", get(crate::console::index))
        // Browsers on the console ask for it; answered here so it is not journaled as an API call.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route(crate::console::callbacks::KEY_ROUTE, get(crate::console::callbacks::signing_key))
        .fallback(api)
        // The console's token and cross-site checks (everything else passes straight on).
        .layer(guard)
        .with_state(state)
        .layer(axum::middleware::map_request_with_state(trusted, stamp_site))
}

/// The mock as the server runs it: [`router`], with the calls its fallback would take (the
/// API) dispatched directly, stamped with the same site root.
#[derive(Clone, Debug)]
pub struct App {
    state: AppState,
    router: Router,
}

impl App {
    /// The mock over `store`.
    pub fn new(store: Store, config: ApiConfig) -> Self {
        let traffic = Arc::new(Traffic::new(config.journal_capacity, config.rate_limit));
        let callbacks = crate::callbacks::Callbacks::attach(
            &store,
            config.callbacks.clone(),
            &config.codebase,
            config.public_url.as_deref(),
        );
        let state = AppState { store, config: Arc::new(config), traffic, callers: Arc::default(), callbacks };
        Self { router: compose(state.clone()), state }
    }

    /// Tells the callbacks engine where the mock listens (for `FromUrl` and `key_url`).
    pub(crate) fn listening_on(&self, addr: std::net::SocketAddr) {
        let scheme = if self.state.config.tls.is_some() { "https" } else { "http" };
        self.state.callbacks.learn_site(scheme, addr, self.state.config.public_url.is_some());
    }

    /// Serves one request: the router for its own routes and the console, the dispatcher for
    /// the rest, with what axum adds at the top (`Content-Length`, no body for `HEAD`).
    pub async fn serve(self, mut req: Request) -> Response {
        if !to_fallback(req.method(), req.uri().path()) {
            return match self.router.oneshot(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            };
        }
        let head = req.method() == Method::HEAD;
        stamp(&self.state.config, &mut req);
        let mut res = api(State(self.state), req).await;
        // hyper sends the length of any other body itself.
        if head {
            if let Some(size) = http_body::Body::size_hint(res.body()).exact() {
                res.headers_mut().entry(header::CONTENT_LENGTH).or_insert_with(|| HeaderValue::from(size));
            }
            *res.body_mut() = Body::empty();
        }
        res
    }
}

/// Whether the router would answer this call with its fallback (the API dispatcher): any
/// path outside the console (`/__mock...`, which the guard covers), codebase discovery
/// (`/login/...`) and the favicon. `CONNECT` is left to axum's own rules.
fn to_fallback(method: &Method, path: &str) -> bool {
    method != Method::CONNECT
        && !path.starts_with("/__mock")
        && !path.starts_with("/login/")
        && path != "/favicon.ico"
        && !path.ends_with(crate::console::callbacks::KEY_PATH)
}

impl tower::Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.serve(req).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_router_has_no_route_for_goes_straight_to_the_api() {
        for api_path in ["/v4_6_release/apis/3.0/system/members", "/", "/login", "/loginx/companyinfo/a", "/_mock"] {
            assert!(to_fallback(&Method::GET, api_path), "{api_path}");
        }
        for own in ["/__mock", "/__mock/companies", "/__mockery", "/login/companyinfo/cwmock", "/favicon.ico"] {
            assert!(!to_fallback(&Method::GET, own), "{own}");
        }
        assert!(!to_fallback(&Method::CONNECT, "/v4_6_release/apis/3.0/system/members"));
    }

    #[tokio::test]
    async fn a_head_call_to_the_api_gets_the_get_answers_status_and_length_without_its_body() {
        let store = Store::new(crate::store::StoreConfig {
            clock: Arc::new(crate::ManualClock::at(0)),
            key_seed: Some(1),
            fixtures: crate::store::FixtureSet::builtin(),
        })
        .expect("a store");
        let app = App::new(store, ApiConfig::default());
        let call = |method: Method| {
            let req = Request::builder()
                .method(method)
                .uri("/v4_6_release/apis/3.0/system/info")
                .header("host", "127.0.0.1:1")
                .header("clientid", "test")
                .body(Body::empty())
                .expect("a request");
            app.clone().serve(req)
        };
        let (get, head) = (call(Method::GET).await, call(Method::HEAD).await);
        assert_eq!(get.status(), head.status());
        let get_body = axum::body::to_bytes(get.into_body(), usize::MAX).await.expect("a body");
        assert!(!get_body.is_empty(), "the GET answers with a body (an error's, unauthenticated)");
        assert_eq!(head.headers()[header::CONTENT_LENGTH], get_body.len().to_string().as_str());
        assert!(axum::body::to_bytes(head.into_body(), usize::MAX).await.expect("a body").is_empty());
    }
}
