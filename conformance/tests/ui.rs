//! The `@ui` scenarios of `features/ui/`: the mock console's web UI in headless Chromium,
//! driven through chromedriver (WebDriver). One fresh mock and browser session per scenario.
//!
//! When chromedriver is not found the scenarios are not run, with one line saying so and how
//! to enable them, unless `CI` is set: then it is a failure, so CI never skips them silently.
//! Screenshots of every screen visited go to `target/ui-screenshots/`.

// Step functions are test code, but not `#[test]` functions, so clippy.toml's exemption misses them.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::OnceLock;

use cucumber::writer::Stats as _;
use cucumber::{World as _, given, then, when};
use fantoccini::{Client, ClientBuilder, Locator};
use mock_connectwise::{Creds, TestApp};
use reqwest::Method;
use serde_json::json;

mod browser;
use browser::{chromedriver, chromium, start_driver};

static DRIVER: OnceLock<String> = OnceLock::new();

#[derive(Debug, Default, cucumber::World)]
struct UiWorld {
    app: Option<TestApp>,
    browser: Option<Client>,
    /// Keys read off the page.
    keys: Option<(String, String)>,
    /// A member made through the API for the scenario, with its role id.
    member: Option<(Creds, u64)>,
}

impl UiWorld {
    fn app(&self) -> &TestApp {
        self.app.as_ref().expect("the mock is started")
    }

    fn browser(&self) -> &Client {
        self.browser.as_ref().expect("the browser is open")
    }

    async fn click(&self, locator: Locator<'_>) {
        self.browser()
            .wait()
            .for_element(locator)
            .await
            .expect("the element is on the page")
            .click()
            .await
            .expect("a click");
    }

    async fn fill(&self, id: &str, text: &str) {
        let el = self.browser().find(Locator::Id(id)).await.expect("the field is on the page");
        el.send_keys(text).await.expect("typing");
    }

    async fn page_text(&self) -> String {
        self.browser().find(Locator::Css("body")).await.expect("a page").text().await.expect("its text")
    }

    async fn shot(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.browser().screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    async fn open(&self, path: &str) {
        self.browser().goto(&format!("{}/__mock/ui{path}", self.app().url)).await.expect("navigation");
    }
}

#[given("the mock console is open in the browser")]
async fn open_console(w: &mut UiWorld) {
    w.app = Some(TestApp::spawn().await);
    let mut caps = fantoccini::wd::Capabilities::new();
    let profile = std::env::temp_dir().join(format!(
        "ui-chrome-{}-{}",
        std::process::id(),
        w.app().url.rsplit(':').next().unwrap_or("0")
    ));
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--window-size=1200,900".into(),
    ];
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut chrome = json!({ "args": args });
    if let Some(bin) = chromium() {
        chrome["binary"] = json!(bin);
    }
    caps.insert("goog:chromeOptions".into(), chrome);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let browser = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(DRIVER.get().expect("chromedriver runs"))
        .await
        .expect("a browser session");
    w.browser = Some(browser);
    w.open("").await;
    w.shot("00-home").await;
}

#[when("I open System > Members, the API Members tab, and click +")]
async fn members_plus(w: &mut UiWorld) {
    w.click(Locator::Id("nav-members")).await;
    w.click(Locator::Id("tab-api-members")).await;
    w.shot("01-api-members").await;
    w.click(Locator::Id("add-api-member")).await;
}

#[when(expr = "I enter the member {string} named {string} with the role {string} and save")]
async fn enter_member(w: &mut UiWorld, id: String, name: String, role: String) {
    w.fill("identifier", &id).await;
    w.fill("name", &name).await;
    let select = w.browser().find(Locator::Id("role")).await.expect("the role list");
    select.select_by_label(&role).await.expect("the role is offered");
    w.shot("02-new-api-member").await;
    w.click(Locator::Id("save-member")).await;
}

#[when(expr = "I click the member {string} in the list")]
async fn click_member(w: &mut UiWorld, id: String) {
    w.click(Locator::Css(&format!("[data-test='member-{id}']"))).await;
    w.shot("03-member").await;
}

#[when("I open the API Keys tab and click +")]
async fn keys_plus(w: &mut UiWorld) {
    w.click(Locator::Id("tab-api-keys")).await;
    w.click(Locator::Id("add-api-key")).await;
}

#[when(expr = "I enter the description {string} and click {string}")]
async fn describe_and_save(w: &mut UiWorld, description: String, button: String) {
    w.fill("description", &description).await;
    w.shot("04-new-api-key").await;
    let id = if button == "Save" { "save" } else { "save-and-close" };
    w.click(Locator::Id(id)).await;
}

#[then("the page shows the public and the private key once, with the warning")]
async fn keys_shown(w: &mut UiWorld) {
    let b = w.browser();
    let public = b.wait().for_element(Locator::Id("public-key")).await.expect("the public key").text().await.unwrap();
    let private = b.find(Locator::Id("private-key")).await.expect("the private key").text().await.unwrap();
    let warning = b.find(Locator::Css("[data-test='once-warning']")).await.expect("the warning").text().await.unwrap();
    w.shot("05-keys-shown-once").await;
    assert_eq!((public.len(), private.len()), (16, 16), "{public} / {private}");
    assert!(warning.contains("cannot be retrieved"), "{warning}");
    w.keys = Some((public, private));
}

#[then(expr = "the keys read off the page authenticate against the API as {string}")]
async fn keys_work(w: &mut UiWorld, member: String) {
    let (public, private) = w.keys.clone().expect("keys were read");
    let app = w.app();
    let creds = Creds { public, private, ..app.admin.clone() };
    let me = app.call(&creds, Method::GET, "/system/mySecurity?pageSize=1", None).await.expect(200);
    assert_eq!(me.body[0]["member"]["identifier"], member.as_str());
}

#[given(expr = "the API member {string} exists")]
async fn member_exists(w: &mut UiWorld, id: String) {
    let app = w.app();
    let body = json!({ "identifier": id, "name": "Sophos Central", "securityRole": { "id": 1 } });
    app.call(&app.admin, Method::POST, "/system/apiMembers", Some(body)).await.expect(201);
}

#[when(expr = "I open the API Keys tab of {string} and click +")]
async fn open_keys_of(w: &mut UiWorld, id: String) {
    w.open(&format!("/members/{id}?tab=keys")).await;
    w.click(Locator::Id("add-api-key")).await;
}

#[then("I am back on the API Keys tab and no private key is on the page")]
async fn back_on_list(w: &mut UiWorld) {
    w.browser().wait().for_element(Locator::Css("[data-test='key-list']")).await.expect("the key list");
    w.shot("06-after-save-and-close").await;
    let text = w.page_text().await;
    assert!(text.contains("Closed too early"), "{text}");
    assert!(text.contains("(cannot be retrieved)"), "{text}");
    assert!(w.browser().find(Locator::Id("private-key")).await.is_err(), "a private key is on the page");
}

#[then("the API knows the key but its private half was never shown")]
async fn key_lost(w: &mut UiWorld) {
    let app = w.app();
    let keys = app.console(Method::GET, "/companies/cwmock/members/SophosSync/keys", None).await.expect(200);
    let key = &keys.body[0];
    assert_eq!(key["description"], "Closed too early");
    assert_eq!(key["privateKeyShown"], false);
    assert!(key.get("privateKey").is_none());
}

#[given("an API member whose role holds the integration profile")]
async fn integration_member(w: &mut UiWorld) {
    let app = w.app();
    let creds = app.member_with_levels("UiSync", &cw_model::Profile::seed().levels()).await;
    let role = app.get("/system/securityroles?conditions=name=\"UiSync role\"").await.body[0]["id"].as_u64().unwrap();
    w.member = Some((creds, role));
}

#[when(expr = "I set {string} Add Level to {string} on its role screen and save")]
async fn set_level(w: &mut UiWorld, function: String, level: String) {
    let (_, role) = w.member.clone().expect("a member");
    w.open(&format!("/roles/{role}")).await;
    let f = cw_model::Function::find(&function).expect("a row of the table");
    let select =
        w.browser().find(Locator::Id(&format!("{}-Add", f.info().function_identifier))).await.expect("the selector");
    select.select_by_label(&level).await.expect("the level is offered");
    w.shot("07-role-settings").await;
    let before = w.browser().current_url().await.expect("a URL");
    w.click(Locator::Id("save-role")).await;
    // The page after each save has its own address (`saved=N`): wait for the address to
    // change, as the old page has the same elements.
    let b = w.browser();
    // Each check is a round trip to the browser, which paces the loop.
    let mut checks = 0;
    while b.current_url().await.expect("a URL") == before {
        checks += 1;
        assert!(checks < 500, "the save did not navigate");
    }
    b.wait().for_element(Locator::Css("[data-test='saved']")).await.expect("the saved role screen");
}

#[then(expr = "the role screen's badge names {string} as missing")]
async fn badge_names(w: &mut UiWorld, named: String) {
    let badge = w.browser().find(Locator::Css("[data-test='badge-missing']")).await.expect("a missing badge");
    let text = badge.text().await.unwrap();
    w.shot("08-role-badge").await;
    assert!(text.contains(&named), "{text}");
}

async fn new_agreement(w: &UiWorld) -> u16 {
    let (creds, _) = w.member.clone().expect("a member");
    let body = json!({ "name": "UI check", "type": { "id": 1 }, "company": { "identifier": "AcmeCorp" }, "contact": { "id": 1 } });
    w.app().call(&creds, Method::POST, "/finance/agreements", Some(body)).await.status
}

#[then("the API refuses that member's new agreement with 403")]
async fn refused(w: &mut UiWorld) {
    assert_eq!(new_agreement(w).await, 403);
}

#[then("the API accepts that member's new agreement")]
async fn accepted(w: &mut UiWorld) {
    assert_eq!(new_agreement(w).await, 201);
}

#[when("I open the Integrator Login table")]
async fn open_integrators(w: &mut UiWorld) {
    w.click(Locator::Id("nav-integrators")).await;
    w.browser().wait().for_element(Locator::Css("[data-test='integrators']")).await.expect("the table");
    w.shot("09-integrator-logins").await;
}

#[then(expr = "it lists {string} and no password")]
async fn lists_integrator(w: &mut UiWorld, username: String) {
    let text = w.page_text().await;
    assert!(text.contains(&username), "{text}");
    assert!(!text.contains("backup-sync-password") && !text.to_lowercase().contains("password:"), "{text}");
}

#[when("I open System > Security Roles")]
async fn open_roles(w: &mut UiWorld) {
    w.click(Locator::Id("nav-roles")).await;
    w.browser().wait().for_element(Locator::Css("[data-test='role-list']")).await.expect("the role list");
    w.shot("10-security-roles").await;
}

#[then(expr = "the role {string} meets the integration profile and the role {string} misses levels")]
async fn role_badges(w: &mut UiWorld, good: String, bad: String) {
    let rows = w.browser().find_all(Locator::Css("[data-test='role-list'] tr")).await.expect("rows");
    let mut seen = (false, false);
    for row in rows {
        let text = row.text().await.unwrap();
        if text.starts_with(&good) {
            seen.0 = text.contains("meets the integration profile");
        }
        if text.starts_with(&bad) {
            seen.1 = text.contains("missing");
        }
    }
    assert_eq!(seen, (true, true), "badges of {good} and {bad}");
}

fn main() {
    let Some(driver) = chromedriver() else {
        if std::env::var_os("CI").is_some() {
            eprintln!(
                "ui: chromedriver not found, and CI is set: the @ui scenarios must run (install chromium and chromium-driver)"
            );
            std::process::exit(1);
        }
        println!(
            "ui: @ui scenarios NOT run: chromedriver not found (apt-get install chromium chromium-driver, or set CHROMEDRIVER)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let ok = rt.block_on(async move {
        // chromedriver on a free port; it says when it listens, so nothing waits blindly.
        let (mut child, url) = start_driver(&driver).await;
        let _ = DRIVER.set(url);
        let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/ui");
        let writer = UiWorld::cucumber()
            .fail_on_skipped()
            .with_default_cli()
            .max_concurrent_scenarios(1)
            .after(|_, _, _, _, world| {
                Box::pin(async move {
                    if let Some(w) = world {
                        if let Some(b) = w.browser.take() {
                            let _ = b.close().await;
                        }
                    }
                })
            })
            .run(features)
            .await;
        let stats = writer.scenarios_stats();
        println!(
            "ui: {} passed, {} failed (screenshots in target/ui-screenshots/)",
            stats.passed,
            stats.failed + stats.skipped
        );
        let _ = child.kill().await;
        stats.failed == 0 && stats.skipped == 0 && writer.parsing_errors() == 0 && stats.passed > 0
    });
    std::process::exit(i32::from(!ok));
}
