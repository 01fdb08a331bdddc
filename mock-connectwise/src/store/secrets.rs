//! Secrets the mock holds: API keys, member tokens and passwords. Only salted SHA-256 digests
//! are stored; private halves exist in memory just long enough to be returned once.
//!
//! A fast digest is deliberate: API keys are 16 random characters (about 95 bits), so a slow
//! password hash adds nothing for them, and the mock must authenticate thousands of calls a
//! second. Passwords of integrator logins and members use the same scheme; the mock is a test
//! double, not a vault, but it never keeps a secret in the clear.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A salted digest of a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SecretHash {
    salt: [u8; 16],
    digest: [u8; 32],
}

impl SecretHash {
    /// Digests `secret` with a fresh salt.
    pub(crate) fn new(secret: &str, keys: &KeyGen) -> Self {
        let mut salt = [0u8; 16];
        keys.fill(&mut salt);
        Self { salt, digest: digest(&salt, secret) }
    }

    /// Whether `candidate` is the secret, compared in constant time.
    pub(crate) fn verify(&self, candidate: &str) -> bool {
        digest(&self.salt, candidate).ct_eq(&self.digest).into()
    }

    /// The digest as text for the state file, `sha256$SALT$DIGEST` in hex (never the secret).
    pub(crate) fn to_text(&self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        format!("sha256${}${}", hex(&self.salt), hex(&self.digest))
    }

    /// Reads [`Self::to_text`]'s form.
    pub(crate) fn from_text(text: &str) -> Option<Self> {
        fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
            let mut out = [0u8; N];
            if s.len() != 2 * N {
                return None;
            }
            for (i, o) in out.iter_mut().enumerate() {
                *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            Some(out)
        }
        let mut parts = text.split('$');
        let (Some("sha256"), Some(salt), Some(digest), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        Some(Self { salt: unhex(salt)?, digest: unhex(digest)? })
    }
    /// Does the work of one [`SecretHash::verify`] against no secret, and fails: called when
    /// the public key or user name is unknown, so that refusing it takes as long as refusing
    /// a wrong private key (no enumeration of keys by timing).
    pub(crate) fn verify_nothing(candidate: &str) -> bool {
        const DECOY: SecretHash = SecretHash { salt: [0x5a; 16], digest: [0xa5; 32] };
        // The decoy's digest has no known preimage; `black_box` keeps the work from being
        // optimised away, and the answer is no whatever it says.
        let _ = std::hint::black_box(DECOY.verify(std::hint::black_box(candidate)));
        false
    }
}

#[cfg(test)]
thread_local! {
    /// How many digests this thread computed (tests compare the work of two paths).
    pub(crate) static DIGESTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn digest(salt: &[u8; 16], secret: &str) -> [u8; 32] {
    #[cfg(test)]
    DIGESTS.with(|d| d.set(d.get() + 1));
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// Where random keys and salts come from: the OS-seeded thread generator, or a seeded one so
/// that tests and snapshots see the same keys on every run.
#[derive(Debug)]
pub(crate) enum KeyGen {
    Os,
    Seeded(Box<Mutex<StdRng>>),
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl KeyGen {
    pub(crate) fn seeded(seed: u64) -> Self {
        Self::Seeded(Box::new(Mutex::new(StdRng::seed_from_u64(seed))))
    }

    fn fill(&self, out: &mut [u8]) {
        match self {
            Self::Os => rand::rng().fill_bytes(out),
            Self::Seeded(rng) => match rng.lock() {
                Ok(mut rng) => rng.fill_bytes(out),
                Err(poisoned) => poisoned.into_inner().fill_bytes(out),
            },
        }
    }

    /// A 16-character alphanumeric key, the shape of ConnectWise's public and private keys.
    pub(crate) fn key(&self) -> String {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes);
        // 248 is the largest multiple of 62 below 256; the small bias left is irrelevant here.
        bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
    }
}

/// An API key of a member, as the mock console creates it.
#[derive(Clone, Debug)]
pub(crate) struct ApiKey {
    pub(crate) id: u32,
    pub(crate) member_id: u32,
    pub(crate) description: String,
    pub(crate) public_key: String,
    pub(crate) private: SecretHash,
    pub(crate) created_at: i64,
    /// Whether the private key was displayed when the key was made ("Save"), or never
    /// ("Save and Close").
    pub(crate) private_shown: bool,
    pub(crate) inactive: bool,
}

/// A member token from `POST /system/members/{identifier}/tokens`.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) member_id: u32,
    pub(crate) private: SecretHash,
    pub(crate) expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_and_nothing_else_does() {
        let keys = KeyGen::Os;
        let h = SecretHash::new("s3cret", &keys);
        assert!(h.verify("s3cret"));
        assert!(!h.verify("s3cret "));
        assert!(!h.verify(""));
    }

    #[test]
    fn a_hash_survives_its_text_form_and_malformed_text_is_refused() {
        let h = SecretHash::new("s3cret", &KeyGen::seeded(3));
        let text = h.to_text();
        assert!(!text.contains("s3cret"));
        let back = SecretHash::from_text(&text).unwrap();
        assert!(back.verify("s3cret") && !back.verify("other"));
        for bad in ["", "sha256$00$11", "md5$aa$bb", &text[..text.len() - 1], &format!("{text}$x")] {
            assert!(SecretHash::from_text(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_same_secret_gets_a_different_salt_each_time() {
        let keys = KeyGen::Os;
        assert_ne!(SecretHash::new("x", &keys), SecretHash::new("x", &keys));
    }

    #[test]
    fn keys_are_16_alphanumerics_and_seeded_generators_repeat() {
        let k = KeyGen::Os.key();
        assert_eq!(k.len(), 16);
        assert!(k.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(KeyGen::seeded(7).key(), KeyGen::seeded(7).key());
        assert_ne!(KeyGen::seeded(7).key(), KeyGen::seeded(8).key());
    }
}
