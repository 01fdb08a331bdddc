//! A long query holds up nobody and stops at its budget (issue 18, item 8): while 300 OR'd
//! `like "%N%"` terms scan thousands of members, writes and reads of the same and of other
//! collections are answered, and the query ends with a 400 that names its budget.

use std::sync::Arc;
use std::time::Duration;

use mock_connectwise::{FixtureSet, TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn pathological() -> String {
    (0..300).map(|n| format!("firstName like \"%{n}%\"")).collect::<Vec<_>>().join(" or ")
}

/// The two tests run one at a time: two pathological queries at once would take both cores
/// of a 2-core machine (at low priority, but still) and slow the timing-free checks below
/// for no purpose.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn app_with_members(n: usize) -> Arc<TestApp> {
    let fixtures = FixtureSet::builtin().with_bulk_members(n, 3);
    Arc::new(TestApp::spawn_with(TestOptions { fixtures, ..TestOptions::default() }).await)
}

// Two workers, as on the 2-core machine: the long query must not take one away from others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_and_readers_are_answered_around_a_long_query_and_it_stops_at_its_budget() {
    let _one = ONE_AT_A_TIME.lock().await;
    // The query needs about 15 s over 100k members; its budget (8 s) is long enough that the
    // five calls below finish first even on a loaded 2-core machine.
    let app = app_with_members(100_000).await;
    app.store.set_query_budget(Duration::from_secs(8));
    let company = app.get("/company/companies?pageSize=1").await.expect(200).body[0]["id"].as_u64().unwrap();
    let long = tokio::spawn({
        let app = app.clone();
        async move { app.get(&format!("/system/members?conditions={}", urlencode(&pathological()))).await }
    });
    // Wait (without sleeping) until the query is past its first slice.
    while app.store.long_queries() == 0 {
        assert!(!long.is_finished(), "the query ended before it ran long");
        tokio::task::yield_now().await;
    }

    let title = json!([{ "op": "replace", "path": "title", "value": "Patched meanwhile" }]);
    app.call(&app.admin, Method::PATCH, "/system/members/30", Some(title)).await.expect(200);
    app.get("/system/members/31").await.expect(200);
    app.get("/system/members?conditions=identifier%20%3D%20%22Admin1%22").await.expect(200);
    app.get("/company/companies?pageSize=5").await.expect(200);
    let name = json!([{ "op": "replace", "path": "name", "value": "Renamed meanwhile" }]);
    app.call(&app.admin, Method::PATCH, &format!("/company/companies/{company}"), Some(name)).await.expect(200);

    // Answered while it runs: the query's slices run on a thread of their own (at a lower
    // priority), and the store's lock is let go between them.
    let still_running = app.store.long_queries() == 1 && !long.is_finished();

    let answer = long.await.expect("the long query's task").expect(400);
    assert!(still_running, "the five calls were answered while the long query ran");
    assert!(answer.message().contains("time budget of 8000 ms"), "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["field"], "conditions", "{}", answer.body);
    assert_eq!(app.store.long_queries(), 0);
    let patched = app.get("/system/members/30").await.expect(200);
    assert_eq!(patched.body["title"], "Patched meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_stops_a_count_too_but_never_an_indexed_lookup() {
    let _one = ONE_AT_A_TIME.lock().await;
    let app = app_with_members(20_000).await;
    app.store.set_query_budget(Duration::from_millis(1));
    let count = app.get(&format!("/system/members/count?conditions={}", urlencode(&pathological()))).await.expect(400);
    assert!(count.message().contains("time budget of 1 ms"), "{}", count.body);
    // An indexed lookup finishes in its first slice, whatever the budget.
    for cond in ["identifier = \"admin1\"", "lastName like \"Sm%\" and inactiveFlag = false", "id in (1, 2, 3)"] {
        app.get(&format!("/system/members?conditions={}", urlencode(cond))).await.expect(200);
    }
}
