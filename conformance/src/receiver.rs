//! A callback receiver for the callbacks scenarios: an axum server on `127.0.0.1:0` that
//! answers 204 to every POST and keeps what it got, and the check a handler makes of a
//! delivery's `x-content-signature` with the key its `Metadata.key_url` serves.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// One delivery as the receiver got it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Path and query the delivery was POSTed to.
    pub uri: String,
    /// The `x-content-signature` header.
    pub signature: Option<String>,
    /// The exact body.
    pub body: Bytes,
}

/// A running receiver (it stops with the scenario's runtime).
#[derive(Clone, Debug, Default)]
pub struct CallbackReceiver {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    /// The id of the last record a step made.
    pub last_record: Option<u64>,
}

async fn take(State(got): State<Arc<Mutex<Vec<Delivery>>>>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("x-content-signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
    got.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Delivery {
        uri: uri.to_string(),
        signature,
        body,
    });
    StatusCode::NO_CONTENT
}

impl CallbackReceiver {
    /// Starts a receiver on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<Self> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new().fallback(take).with_state(got.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { url, got, last_record: None })
    }

    /// Every delivery so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// `base64(HMAC-SHA256(key = SHA-256(signing_key), message = body))`, as a handler computes it
/// (ConnectWise Developer Guide, "Verifying the Callback Source").
pub fn expected_signature(signing_key: &str, body: &[u8]) -> String {
    let key = Sha256::digest(signing_key.as_bytes());
    let mut mac = match hmac::Hmac::<Sha256>::new_from_slice(&key) {
        Ok(m) => m,
        // HMAC accepts a key of any length.
        Err(_) => return String::new(),
    };
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
