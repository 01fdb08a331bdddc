//! The World: one per scenario. On the mock target it owns a fresh `TestApp`; on a sandbox
//! it holds the configured identity.

use std::path::PathBuf;

use mock_connectwise::{Creds, TestApp};
use provisioner::{Client, Connection, Report, RetryPolicy};
use secrecy::SecretString;
use serde_json::Value;

use crate::runner::config;

/// Per-scenario state.
#[derive(Debug, Default, cucumber::World)]
pub struct CwWorld {
    /// The embedded mock (mock target only).
    pub app: Option<TestApp>,
    /// The integration's identity under test.
    pub identity: Option<Connection>,
    /// The last answer: status and body.
    pub last: Option<(u16, Value)>,
    /// The last key the console made (`publicKey`, maybe `privateKey`).
    pub key: Option<Value>,
    /// Credentials of members made in this scenario, by identifier.
    pub creds: Vec<(String, Creds)>,
    /// The role an outline works on.
    pub role: Option<String>,
    /// The provisioner's key file and its last report.
    pub key_file: Option<PathBuf>,
    /// The provisioner's last report.
    pub report: Option<Report>,
    /// The report of the previous provisioner run.
    pub previous: Option<Report>,
    /// The administrator's identity on the target, where known (the mock's seeded
    /// administrator, or a sandbox's `CW_ADMIN_*`).
    pub admin: Option<Connection>,
    /// The member the integration's keys authenticate as (`/system/mySecurity`).
    pub whoami: Option<Value>,
    /// Checks made by the profile-generic scenarios, by step ID, for the step report.
    pub checks: Vec<(String, Result<(), String>)>,
    /// What the integration's identity holds, once read.
    pub held: Option<cw_model::RoleLevels>,
    /// The callback receiver of the callbacks scenarios, and the last record they made.
    pub receiver: Option<crate::receiver::CallbackReceiver>,
}

/// What a `@needs-admin` step says when no administrator identity was given.
pub(crate) const NEEDS_ADMIN: &str = "not checked: needs CW_ADMIN_PUBLIC_KEY and CW_ADMIN_PRIVATE_KEY (a sandbox \
    administrator's keys beside the integration's); CW_SKIP_ADMIN=1 leaves these steps out";

/// Retries fast in scenarios; the mock answers at once.
pub(crate) const RETRY: RetryPolicy = RetryPolicy {
    retries: 3,
    backoff: std::time::Duration::from_millis(20),
    max_wait: std::time::Duration::from_secs(5),
};

/// A connection for credentials on the mock.
pub(crate) fn connection(app: &TestApp, creds: &Creds) -> Connection {
    Connection {
        url: app.url.clone(),
        company: creds.company.clone(),
        public_key: creds.public.clone(),
        private_key: SecretString::from(creds.private.clone()),
        client_id: creds.client_id.clone(),
    }
}

impl CwWorld {
    /// The embedded mock, started on first use.
    pub async fn mock(&mut self) -> &TestApp {
        if self.app.is_none() {
            self.app = Some(TestApp::spawn().await);
        }
        self.app.as_ref().expect("started above")
    }

    /// The integration's identity: the sandbox's `CW_*` settings, or on the mock an API member
    /// whose role holds the integration profile (less the level a run was told to drop).
    pub async fn identity(&mut self) -> Connection {
        if let Some(c) = &self.identity {
            return c.clone();
        }
        let conn = match config().sandbox {
            Some(conn) => conn,
            None => {
                let mut levels = config().profile().levels();
                if let Some((function, action)) = config().drop_level {
                    levels.set(function, action, cw_model::PermissionLevel::None);
                }
                let app = self.mock().await;
                let creds = app.member_with_levels("Integration", &levels).await;
                connection(app, &creds)
            }
        };
        self.identity = Some(conn.clone());
        conn
    }

    /// A provisioner client for the identity.
    pub async fn identity_client(&mut self) -> Client {
        let conn = self.identity().await;
        Client::connect(&conn, RETRY, std::time::Duration::from_secs(30)).await.expect("the identity's server answers")
    }

    /// The integration profile of the run.
    pub fn profile(&self) -> cw_model::Profile {
        config().profile().clone()
    }

    /// `Given the integration is set up on the target`: on a sandbox, the configured
    /// identities; on the mock, `provisioner apply` for the run's profile on a fresh mock, as
    /// its seeded administrator, less the level a run was told to drop.
    pub async fn set_up_target(&mut self) {
        let run = config();
        if let Some(conn) = run.sandbox.clone() {
            self.identity = Some(conn);
            self.admin = run.admin.clone();
            return;
        }
        let app = self.mock().await;
        let admin = connection(app, &app.admin.clone());
        let port = app.url.rsplit(':').next().unwrap_or("0").to_owned();
        let client =
            Client::connect(&admin, RETRY, std::time::Duration::from_secs(30)).await.expect("the mock answers");
        let setup = provisioner::Setup::for_profile(run.profile().clone());
        let dir = std::env::temp_dir().join(format!("conformance-setup-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let key_file = dir.join(format!("key-{port}.env"));
        let _ = std::fs::remove_file(&key_file);
        let options = provisioner::apply::ApplyOptions { key_file: key_file.clone(), new_key: false };
        let report = provisioner::apply::apply(&client, &admin, &setup, &options).await.expect("apply runs");
        assert!(report.ok, "{}", report.render());
        let (identity, _) = provisioner::keyfile::read(&key_file).expect("apply wrote the key file");
        let _ = std::fs::remove_file(&key_file);
        if let Some((function, action)) = run.drop_level {
            let role = provisioner::state::State::read(&client, &setup).await.expect("the state reads");
            let id = role.role_id().expect("apply made the role");
            let app = self.mock().await;
            app.set_level(&id.to_string(), function, action, cw_model::PermissionLevel::None).await;
        }
        self.identity = Some(identity);
        self.admin = Some(admin);
    }

    /// A client for the target's administrator; fails the step with [`NEEDS_ADMIN`] without one.
    pub async fn target_admin(&mut self) -> Client {
        let Some(conn) = self.admin.clone() else { panic!("{NEEDS_ADMIN}") };
        Client::connect(&conn, RETRY, std::time::Duration::from_secs(30))
            .await
            .expect("the administrator's keys connect")
    }

    /// Credentials of a member made earlier in the scenario.
    pub fn creds_of(&self, member: &str) -> Creds {
        self.creds.iter().find(|(m, _)| m == member).map(|(_, c)| c.clone()).expect("a member made in this scenario")
    }
}
