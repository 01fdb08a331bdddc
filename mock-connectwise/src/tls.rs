//! https for clients that accept nothing else (pyconnectwise and connectwise-rest build
//! `https://` URLs themselves): a self-signed certificate for the names the mock is reached
//! by, made at start-up, whose PEM the operator hands to the client as its trusted root
//! (`REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`, `curl --cacert`).

use std::sync::Arc;

/// A TLS setup: the server configuration and the certificate clients must trust.
#[derive(Clone, Debug)]
pub struct Tls {
    /// For the accept loop.
    pub config: Arc<rustls::ServerConfig>,
    /// The self-signed certificate, PEM.
    pub cert_pem: String,
}

impl Tls {
    /// A fresh self-signed certificate valid for `names` (host names or IP addresses).
    pub fn self_signed(names: &[String]) -> Result<Self, String> {
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| format!("cannot make a TLS certificate: {e}"))?;
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .map_err(|e| format!("TLS certificate: {e}"))?;
        let mut config = config;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { config: Arc::new(config), cert_pem: made.cert.pem() })
    }
}
