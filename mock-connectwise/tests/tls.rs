//! `--tls`: https with a self-signed certificate, for clients that only build https URLs.

use mock_connectwise::{ApiConfig, TestApp, TestOptions, Tls};

#[tokio::test]
async fn the_mock_serves_https_with_links_in_https_to_a_client_that_trusts_its_certificate() {
    let tls = Tls::self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
    let app = TestApp::spawn_with(TestOptions {
        api: ApiConfig { tls: Some(tls), ..ApiConfig::default() },
        ..TestOptions::default()
    })
    .await;

    let page = app.get("/system/members?pageSize=1").await.expect(200);
    let plain =
        reqwest::Client::new().get(app.url.replace("https://", "http://") + "/login/companyinfo/cwmock").send().await;

    assert!(app.url.starts_with("https://"));
    assert!(page.header("link").unwrap().contains("<https://127.0.0.1:"), "{:?}", page.header("link"));
    assert!(page.body[0]["securityRole"]["_info"]["securityRole_href"].as_str().unwrap().starts_with("https://"));
    assert!(plain.is_err(), "plain http must not be answered on the https port: {plain:?}");
}
