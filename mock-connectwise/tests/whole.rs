//! Writes to a child collection as a whole (A15.6): the official table gives an
//! opportunity's forecast `PUT`, `PATCH` and `DELETE` on `/sales/opportunities/{id}/forecast`
//! itself, and `POST` on `/forecast/{id}`.

mod common;

use common::bodies::concrete;
use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn len(v: &Value) -> Option<usize> {
    v.as_array().map(Vec::len)
}

#[tokio::test]
async fn a_forecast_is_replaced_patched_and_deleted_as_a_whole_and_a_refused_write_changes_nothing() {
    let app = TestApp::spawn().await;
    let forecast = concrete(&app, "/sales/opportunities/{parentId}/forecast").await.expect("an opportunity");
    for probability in [10, 20] {
        let item = json!({ "expectedProbability": probability });
        app.call(&app.admin, Method::POST, &forecast, Some(item)).await.expect(201);
    }
    let before = app.get(&forecast).await.expect(200).body;

    let replaced =
        app.call(&app.admin, Method::PUT, &forecast, Some(json!([{ "expectedProbability": 50 }]))).await.expect(200);
    let after_replace = app.get(&forecast).await.expect(200).body;
    let refused = app
        .call(
            &app.admin,
            Method::PUT,
            &forecast,
            Some(json!([{ "expectedProbability": 60 }, { "expectedProbability": "x" }])),
        )
        .await;
    let not_an_array = app.call(&app.admin, Method::PUT, &forecast, Some(json!({ "expectedProbability": 1 }))).await;
    let after_refusal = app.get(&forecast).await.expect(200).body;
    let ops = json!([{ "op": "replace", "path": "expectedProbability", "value": 75 }]);
    let patched = app.call(&app.admin, Method::PATCH, &forecast, Some(ops)).await.expect(200);
    let id = patched.body[0]["id"].as_u64().expect("an id");
    let item = format!("{forecast}/{id}");
    let mut posted = app.get(&item).await.expect(200).body;
    posted["expectedProbability"] = json!(80);
    let replaced_by_post = app.call(&app.admin, Method::POST, &item, Some(posted)).await.expect(200);
    let deleted = app.call(&app.admin, Method::DELETE, &forecast, None).await;
    let after_delete = app.get(&forecast).await.expect(200).body;

    assert!(len(&before).is_some_and(|n| n >= 2), "{before}");
    assert_eq!(len(&replaced.body), Some(1));
    assert_eq!((len(&after_replace), after_replace[0]["expectedProbability"].as_i64()), (Some(1), Some(50)));
    assert_eq!((refused.status, not_an_array.status), (400, 400), "{} {}", refused.body, not_an_array.body);
    assert_eq!(after_refusal, after_replace, "a refused replace changes nothing");
    assert_eq!(patched.body[0]["expectedProbability"], 75);
    assert_eq!(replaced_by_post.body["expectedProbability"], 80);
    assert_eq!(deleted.status, 204);
    assert_eq!(len(&after_delete), Some(0));
}
