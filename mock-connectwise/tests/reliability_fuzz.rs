//! Reliability: arbitrary methods, paths, query strings, headers and bodies at every route.
//! Never a 5xx, never a panic, always ConnectWise's error body (checked by `TestApp::send`
//! on every answer), and a refused request leaves the stored data exactly as it was.

use std::sync::atomic::{AtomicUsize, Ordering};

use mock_connectwise::TestApp;
use mock_connectwise::permissions::route_rules;
use proptest::prelude::*;
use reqwest::Method;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        prop::sample::select(vec!["identifier", "name", "id", "securityRole", "company", "op", "path", "value"])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-zA-Z_/]{1,12}",
                    prop::sample::select(vec![
                        "identifier",
                        "name",
                        "summary",
                        "company",
                        "op",
                        "path",
                        "value",
                        "id",
                        "_info"
                    ])
                    .prop_map(str::to_owned)
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        // `.` and `..` never reach a server: the client resolves them (`apis/3.0/..` is
        // `apis/`, outside the API, answered as plain text on purpose, A18).
        "[a-zA-Z0-9._~-]{0,12}".prop_filter("a dot segment", |s| s != "." && s != ".."),
        any::<i64>().prop_map(|i| i.to_string()),
        Just("%00".to_owned()),
        Just("%2F..%2F".to_owned()),
        Just("1".to_owned()),
        Just("jdoe".to_owned()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let routes: Vec<String> = route_rules().into_iter().map(|r| r.path).collect();
    prop_oneof![
        (prop::sample::select(routes), segment(), segment()).prop_map(|(r, a, b)| {
            let r = r.replacen("{parentId}", &a, 1);
            let r = r.replacen("{id}", &b, 1);
            r.replace("{memberIdentifier}", &a).replace("{reportName}", &b)
        }),
        prop::collection::vec(segment(), 0..5).prop_map(|s| format!("/{}", s.join("/"))),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "\\PC{0,30}",
        Just("identifier = \"x\" and (a/b in (1, 2) or not c like 'z%')".to_owned()),
        Just("[2024-13-45T99:00:00Z]".to_owned()),
        any::<i64>().prop_map(|i| i.to_string()),
    ];
    let param = prop::sample::select(vec![
        "conditions",
        "orderBy",
        "fields",
        "page",
        "pageSize",
        "pageId",
        "childConditions",
        "x",
    ]);
    prop::collection::vec((param, value), 0..4).prop_map(|ps| {
        ps.into_iter()
            .map(|(k, v)| {
                format!("{k}={}", percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Bytes(Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::None),
        json_value().prop_map(Body::Json),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Body::Bytes),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ])
}

fn header() -> impl Strategy<Value = Option<(&'static str, String)>> {
    prop::option::of((
        prop::sample::select(vec!["accept", "content-type", "pagination-type", "x-cw-usertype", "clientId"]),
        "[ -~]{0,40}",
    ))
}

#[test]
fn arbitrary_requests_never_get_a_5xx_and_refused_ones_change_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let (tried, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let config = ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(m in method(), p in path(), q in query(), b in body(), h in header())| {
        let before = app.store.data_digest();
        let url = if q.is_empty() { p.clone() } else { format!("{p}?{q}") };
        let mut req = app.request(&app.admin, m.clone(), &url);
        if let Some((name, value)) = &h {
            if let Ok(v) = reqwest::header::HeaderValue::from_str(value) {
                req = req.header(*name, v);
            }
        }
        req = match &b {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Bytes(bytes) => req.header("content-type", "application/json").body(bytes.clone()),
        };
        let res = if m == Method::HEAD {
            rt.block_on(async { req.send().await.map(|r| r.status().as_u16()) }).map_or(0, |s| s)
        } else {
            rt.block_on(app.send(req)).status
        };
        tried.fetch_add(1, Ordering::Relaxed);
        prop_assert!(res != 0 && res < 500, "{} {} -> {}", m, url, res);
        if res >= 400 {
            refused.fetch_add(1, Ordering::Relaxed);
            prop_assert_eq!(app.store.data_digest(), before, "{} {} was refused with {} but changed data", m, url, res);
        }
    });
    println!(
        "reliability_fuzz: {} arbitrary requests, {} refused, 0 server errors",
        tried.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    );
}
