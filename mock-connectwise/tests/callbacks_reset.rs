//! `POST /__mock/reset` returns the callbacks engine to its start, as it does the store, the
//! request journal and the faults: no journal, nothing queued or waiting to retry, not paused,
//! no delivery fault rules, zero counters.

mod callbacks_receiver;

use callbacks_receiver::{Receiver, attempts, fast, mock_with, register, settle};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_reset_empties_the_journal_queue_faults_and_counters_and_resumes() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    let ticket = json!({"summary": "before reset", "company": {"id": 2}, "board": {"id": 1}});
    app.call(&app.admin, Method::POST, "/service/tickets", Some(ticket.clone())).await.expect(201);
    settle(&app).await;
    assert_eq!(attempts(&app).await.len(), 1);
    // A fault rule, a paused queue with a message waiting in it.
    let rule = json!({"action": "status", "status": 500});
    app.console(Method::POST, "/callbacks/faults", Some(rule)).await.expect(201);
    app.console(Method::POST, "/callbacks/pause", None).await.expect(200);
    app.call(&app.admin, Method::POST, "/service/tickets", Some(ticket.clone())).await.expect(201);
    let before = app.console(Method::GET, "/callbacks", None).await.expect(200).body;
    assert_eq!((&before["paused"], &before["waiting"], &before["delivered"]), (&json!(true), &json!(1), &json!(1)));

    app.console(Method::POST, "/reset", None).await.expect(200);
    let after = app.console(Method::GET, "/callbacks", None).await.expect(200).body;
    for (field, start) in
        [("paused", json!(false)), ("waiting", json!(0)), ("inFlight", json!(0)), ("delivered", json!(0))]
    {
        assert_eq!(after[field], start, "{field} after a reset: {after}");
    }
    for counter in ["failed", "dropped", "skipped"] {
        assert_eq!(after[counter], 0, "{counter} after a reset: {after}");
    }
    assert!(attempts(&app).await.is_empty(), "the journal is empty");
    let faults = app.console(Method::GET, "/callbacks/faults", None).await.expect(200).body;
    assert_eq!(faults, json!([]), "no delivery fault rules");
    // The message queued before the reset is not delivered, even once resumed.
    settle(&app).await;
    assert_eq!(rx.got().len(), 1, "only the delivery from before the reset: {:?}", rx.got());

    // The engine works from its start: a new entry (the reset removed the old one with the
    // store) hears a new change, journaled as attempt 1 with no fault applied.
    register(&app, &rx, "t2", "ticket", "owner", 1).await;
    app.call(&app.admin, Method::POST, "/service/tickets", Some(ticket)).await.expect(201);
    settle(&app).await;
    let journal = attempts(&app).await;
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!((&journal[0]["id"], &journal[0]["delivered"]), (&json!(1), &json!(true)), "{journal:?}");
    let rule = json!({"action": "drop"});
    let added = app.console(Method::POST, "/callbacks/faults", Some(rule)).await.expect(201).body;
    assert_eq!(added["id"], 1, "fault rule ids start again: {added}");
}
