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
}

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
                let mut levels = cw_model::Profile::seed().levels();
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

    /// Credentials of a member made earlier in the scenario.
    pub fn creds_of(&self, member: &str) -> Creds {
        self.creds.iter().find(|(m, _)| m == member).map(|(_, c)| c.clone()).expect("a member made in this scenario")
    }
}
