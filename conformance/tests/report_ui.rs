//! The HTML report renders in a real browser: a run on the embedded mock whose integration
//! role lacks one level writes `index.html`, headless Chromium (through chromedriver) opens
//! it, the step rows and the failure row are asserted, and a screenshot goes to
//! `docs/conformance-report.png` (shown in README).
//!
//! Without chromedriver the test says so and does nothing, unless `CI` is set: then it fails,
//! so CI never skips it silently.

use std::path::Path;

use conformance::{RunConfig, StepStatus, run};
use cw_model::{Action, Function};
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

mod browser;
use browser::{chromedriver, chromium, start_driver};

#[tokio::test(flavor = "multi_thread")]
async fn the_html_report_shows_every_step_and_the_failing_one_in_a_browser() {
    let Some(driver) = chromedriver() else {
        assert!(std::env::var_os("CI").is_none(), "chromedriver not found, and CI is set: the report must be rendered");
        println!("report_ui: NOT run: chromedriver not found (apt-get install chromium chromium-driver)");
        return;
    };
    // Arrange: a run whose integration role lacks Finance > Agreements Edit (S9.3).
    let dir = std::env::temp_dir().join(format!("conformance-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
    let summary = run(RunConfig {
        drop_level: Some((Function::Agreements, Action::Edit)),
        reports: Some(dir.clone()),
        features,
        quiet: true,
        ..RunConfig::default()
    })
    .await;
    assert_eq!(summary.steps_with(StepStatus::Failed), ["S9.3"], "{}", summary.counts_line());
    for file in ["index.html", "junit.xml", "cucumber.json"] {
        assert!(dir.join(file).metadata().is_ok_and(|m| m.len() > 0), "{file} was not written");
    }

    // Act: open it in headless Chromium.
    let (mut child, url) = start_driver(&driver).await;
    let mut caps = fantoccini::wd::Capabilities::new();
    let profile = dir.join("chrome-profile");
    let mut chrome = json!({ "args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,1500", format!("--user-data-dir={}", profile.display()),
    ] });
    if let Some(bin) = chromium() {
        chrome["binary"] = json!(bin);
    }
    caps.insert("goog:chromeOptions".into(), chrome);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let browser = ClientBuilder::new(connector).capabilities(caps).connect(&url).await.expect("a browser session");
    let page = format!("file://{}", dir.join("index.html").display());
    browser.goto(&page).await.expect("the report opens");

    // Assert: one row per step, S9.3 failed with its message, the others passed.
    let rows = browser.find_all(Locator::Css("[data-test='steps'] tbody tr")).await.expect("step rows");
    let mut ids = Vec::new();
    for row in &rows {
        ids.push(row.attr("data-test").await.expect("an attribute").unwrap_or_default());
    }
    let expected: Vec<String> = conformance::results::procedure(cw_model::Profile::seed())
        .into_iter()
        .map(|(id, _)| format!("step-{id}"))
        .collect();
    assert_eq!(ids, expected);
    let failed = browser.find(Locator::Css("[data-test='step-S9.3']")).await.expect("the S9.3 row");
    assert_eq!(failed.attr("class").await.expect("class").as_deref(), Some("failed"));
    let text = failed.text().await.expect("its text");
    assert!(text.contains("Finance > Agreements: Edit Level = All required, the identity has None"), "{text}");
    let passed = browser.find(Locator::Css("[data-test='step-S0']")).await.expect("the S0 row");
    assert_eq!(passed.attr("class").await.expect("class").as_deref(), Some("passed"));
    let counts = browser.find(Locator::Css("[data-test='counts']")).await.expect("counts").text().await.expect("text");
    assert!(counts.contains("Steps checked: 18/18"), "{counts}");
    let held = browser.find(Locator::Css("[data-test='row-S9.3']")).await.expect("the permission row");
    let held = held.text().await.expect("its text");
    assert!(held.contains("needs All, holds None") && held.contains("needs All, holds All"), "{held}");
    let target =
        browser.find(Locator::Css("[data-test='target']")).await.expect("target").text().await.expect("its text");
    assert_eq!(target, "the embedded mock");

    let png = browser.screenshot().await.expect("a screenshot");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/conformance-report.png");
    std::fs::write(&out, png).expect("the screenshot is saved");
    let _ = browser.close().await;
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
