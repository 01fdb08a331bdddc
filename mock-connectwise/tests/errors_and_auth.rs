//! Error bodies for client mistakes, authentication in all its ways of going wrong, member
//! tokens, and the versioned Accept header.

mod common;

use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn invalid_bodies_get_400_invalid_object_with_field_errors() {
    let app = TestApp::spawn().await;
    let missing = app.call(&app.admin, Method::POST, "/service/tickets", Some(json!({ "summary": "x" }))).await;
    let too_long =
        app.call(&app.admin, Method::POST, "/system/apiMembers", Some(json!({ "identifier": "x".repeat(16) }))).await;
    let bad_enum = app
        .call(&app.admin, Method::POST, "/procurement/catalog", Some(json!({ "identifier": "Z1", "description": "d", "customerDescription": "c", "subcategory": {"id": 1}, "type": {"id": 1}, "productClass": "Gadget" })))
        .await;
    let duplicate =
        app.call(&app.admin, Method::POST, "/system/apiMembers", Some(json!({ "identifier": "MockAdmin" }))).await;
    let out_of_range = app
        .call(
            &app.admin,
            Method::POST,
            "/service/tickets",
            Some(json!({ "summary": "x", "company": {"id": 9_999_999_999_u64} })),
        )
        .await;

    for (res, code, field) in [
        (&missing, "MissingRequiredField", "company"),
        (&too_long, "InvalidField", "identifier"),
        (&bad_enum, "InvalidField", "productClass"),
        (&duplicate, "ObjectExists", "identifier"),
        (&out_of_range, "OutOfRange", "company/id"),
    ] {
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(res.body["code"], "InvalidObject");
        let found =
            res.body["errors"].as_array().unwrap().iter().any(|e| {
                e["code"] == code && e["field"].as_str().unwrap_or("").contains(field.split('/').next().unwrap())
            });
        assert!(found, "no {code} on {field}: {}", res.body);
    }
}

#[tokio::test]
async fn malformed_json_unsupported_media_and_oversized_bodies_keep_the_error_shape() {
    let app = TestApp::spawn().await;
    let malformed = app
        .send(
            app.request(&app.admin, Method::POST, "/system/apiMembers")
                .header("content-type", "application/json")
                .body("{\"identifier\":"),
        )
        .await;
    let media = app
        .send(
            app.request(&app.admin, Method::POST, "/system/apiMembers").header("content-type", "text/xml").body("<a/>"),
        )
        .await;
    let empty = app
        .send(app.request(&app.admin, Method::POST, "/system/apiMembers").header("content-type", "application/json"))
        .await;
    let big =
        app.call(&app.admin, Method::POST, "/system/apiMembers", Some(json!({ "notes": "x".repeat(2 << 20) }))).await;

    assert_eq!((malformed.status, malformed.body["code"].as_str()), (400, Some("InvalidObject")));
    assert!(malformed.message().contains("not valid JSON"), "{}", malformed.body);
    assert_eq!(media.status, 415);
    assert_eq!(empty.status, 400);
    assert_eq!(big.status, 413);
    assert_eq!(app.get("/system/apiMembers/count").await.body["count"], 1, "nothing was stored");
}

#[tokio::test]
async fn wrong_missing_or_foreign_credentials_are_401_and_a_missing_client_id_is_named() {
    let app = TestApp::spawn().await;
    let mut wrong = app.admin.clone();
    wrong.private = "WrongPrivate0000".into();
    let mut other_company = app.admin.clone();
    other_company.company = "othermsp".into();

    let wrong_key = app.call(&wrong, Method::GET, "/system/info", None).await;
    let foreign = app.call(&other_company, Method::GET, "/system/info", None).await;
    let no_auth =
        app.send(app.client().get(format!("{}/system/info", app.api)).header("clientId", &app.admin.client_id)).await;
    let garbage = app
        .send(
            app.client()
                .get(format!("{}/system/info", app.api))
                .header("clientId", "x")
                .header("authorization", "Basic !!!"),
        )
        .await;
    let no_client = app
        .send(
            app.client()
                .get(format!("{}/system/info", app.api))
                .basic_auth("cwmock+MockAdminPub0001", Some("MockAdminPriv001")),
        )
        .await;

    for res in [&wrong_key, &foreign, &no_auth, &garbage] {
        assert_eq!(res.status, 401, "{}", res.body);
    }
    assert!(no_client.status >= 400 && no_client.status < 500);
    assert!(no_client.message().contains("clientId"), "{}", no_client.body);
    let text = format!("{}{}", wrong_key.body, garbage.body);
    assert!(!text.contains("WrongPrivate0000"), "an error echoes the secret: {text}");
}

#[tokio::test]
async fn a_deleted_or_deactivated_key_stops_authenticating() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("KeyOwner", &mock_connectwise::permissions::Profile::seed().levels()).await;
    let keys = app.console(Method::GET, "/companies/cwmock/members/KeyOwner/keys", None).await.expect(200);
    let id = keys.body[0]["id"].clone();
    app.call(&creds, Method::GET, "/system/info", None).await.expect(200);

    app.console(Method::PATCH, &format!("/companies/cwmock/keys/{id}"), Some(json!({ "inactiveFlag": true })))
        .await
        .expect(200);
    let inactive = app.call(&creds, Method::GET, "/system/info", None).await;
    app.console(Method::PATCH, &format!("/companies/cwmock/keys/{id}"), Some(json!({ "inactiveFlag": false })))
        .await
        .expect(200);
    let again = app.call(&creds, Method::GET, "/system/info", None).await;
    app.console(Method::DELETE, &format!("/companies/cwmock/keys/{id}"), None).await.expect(204);
    let deleted = app.call(&creds, Method::GET, "/system/info", None).await;

    assert_eq!(inactive.status, 401);
    assert_eq!(again.status, 200);
    assert_eq!(deleted.status, 401);
}

#[tokio::test]
async fn member_tokens_authenticate_until_they_expire() {
    let app = TestApp::spawn().await;
    let token = app
        .send(
            app.request(&app.admin, Method::POST, "/system/members/jdoe/tokens")
                .header("x-cw-usertype", "member")
                .json(&json!({})),
        )
        .await
        .expect(200);
    let creds = mock_connectwise::Creds {
        public: token.body["publicKey"].as_str().unwrap().into(),
        private: token.body["privateKey"].as_str().unwrap().into(),
        ..app.admin.clone()
    };

    let fresh = app.call(&creds, Method::GET, "/system/info", None).await;
    app.clock.advance(mock_connectwise::TOKEN_LIFETIME_SECS + 1);
    let expired = app.call(&creds, Method::GET, "/system/info", None).await;

    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert!(token.body["expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(expired.status, 401, "{}", expired.body);
}

#[tokio::test]
async fn every_answer_carries_the_api_version_and_any_accept_version_is_served() {
    let app = TestApp::spawn().await;
    let accept = |v: &str| {
        app.request(&app.admin, Method::GET, "/system/info")
            .header("accept", format!("application/vnd.connectwise.com+json; version={v}"))
    };

    let ok = app.send(accept("2025.8")).await;
    let newer = app.send(accept("2099.1")).await;
    let info = app.send(app.client().get(format!("{}/login/companyinfo/cwmock", app.url))).await.expect(200);

    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("api-current-version"), Some(mock_connectwise::CURRENT_VERSION));
    // A19: a version the server does not know is served as the latest, not refused.
    assert_eq!(newer.status, 200, "{}", newer.body);
    assert_eq!(newer.header("api-current-version"), Some(mock_connectwise::CURRENT_VERSION));
    assert_eq!(info.body["Codebase"], "v4_6_release/");
    assert_eq!(info.body["CompanyID"], "cwmock");
}

#[tokio::test]
async fn records_carry_info_with_dates_authors_and_hrefs() {
    let app = TestApp::spawn().await;
    let ticket = app.get("/service/tickets/1").await.expect(200);
    let info = &ticket.body["_info"];
    let company_href = ticket.body["company"]["_info"]["company_href"].as_str().unwrap();

    assert_eq!(info["dateEntered"], "2025-01-15T12:00:00Z");
    assert!(info["enteredBy"].is_string() && info["updatedBy"].is_string());
    assert!(company_href.starts_with(&app.api) && company_href.contains("/company/companies/"), "{company_href}");
    app.send(common::with_url(app.request(&app.admin, Method::GET, ""), company_href)).await.expect(200);
}
