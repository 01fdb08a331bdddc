//! The signing keys and the `x-content-signature` of a delivery:
//! `base64(HMAC-SHA256(key = SHA-256(signing_key), message = the body's bytes))`, the
//! algorithm of ConnectWise's Developer Guide ("Verifying the Callback Source").
//!
//! One key per company, drawn from the OS when first needed and kept only in memory (a
//! restart gives a new one; handlers fetch it from `key_url` anyway). `key_url` names the key
//! by a random GUID, so only someone who received a callback can ask for it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::store::callback_hooks::guid;

/// A company's signing key and the GUID `key_url` names it by.
#[derive(Clone)]
pub(crate) struct SigningKey {
    pub(crate) id: String,
    pub(crate) key: String,
}

/// Never shown in `Debug` output.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Every company's signing key.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    by_company: Mutex<HashMap<String, SigningKey>>,
    nonce: AtomicU64,
}

fn random_text(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    // 248 is the largest multiple of 62 below 256; the small bias left is irrelevant here.
    bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

impl Keys {
    /// The company's key, made when first asked for.
    pub(crate) fn of(&self, company: &str) -> SigningKey {
        let mut keys = self.by_company.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.entry(company.to_ascii_lowercase())
            .or_insert_with(|| SigningKey { id: guid(&random_text(32)), key: random_text(32) })
            .clone()
    }

    /// The key `key_url` names, if `id` is the company's key id.
    pub(crate) fn lookup(&self, company: &str, id: &str) -> Option<String> {
        let keys = self.by_company.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.get(&company.to_ascii_lowercase()).filter(|k| k.id.eq_ignore_ascii_case(id)).map(|k| k.key.clone())
    }

    /// `{site}/{codebase}system/callbackkey/index.rails?companyName={company}&id={GUID}`.
    pub(crate) fn key_url(&self, site: &str, codebase: &str, company: &str) -> String {
        let id = self.of(company).id;
        let company: String = form_urlencoded::byte_serialize(company.as_bytes()).collect();
        format!("{site}/{codebase}system/callbackkey/index.rails?companyName={company}&id={id}")
    }

    /// A value never returned before by this engine (for message ids).
    pub(crate) fn nonce(&self) -> String {
        format!("{}:{}", random_text(8), self.nonce.fetch_add(1, Ordering::Relaxed))
    }
}

/// The `x-content-signature` of `body` signed with `signing_key`.
pub(crate) fn signature(signing_key: &str, body: &[u8]) -> String {
    let key = Sha256::digest(signing_key.as_bytes());
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = match hmac::Hmac::<Sha256>::new_from_slice(&key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_base64_hmac_sha256_keyed_with_the_keys_sha256() {
        // Computed independently: python3 -c "import hmac,hashlib,base64;
        // k=hashlib.sha256(b'secret').digest();
        // print(base64.b64encode(hmac.new(k,b'{\"ID\":1}',hashlib.sha256).digest()).decode())"
        assert_eq!(signature("secret", br#"{"ID":1}"#), "P4fzi2Mk/ZJ26ddnC2+RyR0XCiyXwhehKIQEAZpEp8k=");
        assert_ne!(signature("secret", br#"{"ID":2}"#), signature("secret", br#"{"ID":1}"#));
    }

    #[test]
    fn a_key_is_found_only_by_its_company_and_id() {
        let keys = Keys::default();
        let k = keys.of("Acme");
        assert_eq!(keys.lookup("acme", &k.id), Some(k.key.clone()));
        assert_eq!(keys.lookup("acme", "other"), None);
        assert_eq!(keys.lookup("other", &k.id), None);
        assert!(
            keys.key_url("http://h:1", "v4_6_release/", "Acme").ends_with(&format!("companyName=Acme&id={}", k.id))
        );
    }
}
