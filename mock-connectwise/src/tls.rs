//! https for clients that accept nothing else (pyconnectwise and connectwise-rest build
//! `https://` URLs themselves): a self-signed certificate for the names the mock is reached
//! by, made at start-up, whose PEM the operator hands to the client as its trusted root
//! (`REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`, `curl --cacert`).
//!
//! The PEM is written without ever following a symlink someone planted: files are made with
//! `O_CREAT|O_EXCL` (`create_new`), a chosen path is replaced by a rename, and the default
//! place is a fresh directory of unpredictable name, mode 0700, in the temp directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::Rng;

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

impl Tls {
    /// Writes the certificate's PEM (public, mode 0644) for clients to trust and returns
    /// where. With `out`, the file is made beside it under a fresh name and renamed over it,
    /// so a symlink at `out` is replaced, never followed; without, it is `ca.pem` in a new
    /// directory `mock-connectwise-<random>` (mode 0700) in the temp directory.
    pub fn write_cert(&self, out: Option<&Path>) -> Result<PathBuf, String> {
        match out {
            Some(path) => {
                let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let name = path.file_name().ok_or_else(|| format!("{} names no file", path.display()))?;
                let temp = dir.join(format!(".{}.{:016x}.tmp", name.to_string_lossy(), rand::rng().next_u64()));
                create_new(&temp, self.cert_pem.as_bytes())?;
                std::fs::rename(&temp, path).map_err(|e| {
                    let _ = std::fs::remove_file(&temp);
                    format!("cannot write {}: {e}", path.display())
                })?;
                Ok(path.to_owned())
            }
            None => {
                let dir = private_dir(&std::env::temp_dir())?;
                let path = dir.join("ca.pem");
                create_new(&path, self.cert_pem.as_bytes())?;
                Ok(path)
            }
        }
    }
}

/// Makes `path` (which must not exist, not even as a symlink) with `bytes`, mode 0644.
fn create_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A new directory of unpredictable name under `parent`, readable by its owner only.
fn private_dir(parent: &Path) -> Result<PathBuf, String> {
    let mut last = None;
    for _ in 0..8 {
        let dir = parent.join(format!("mock-connectwise-{:016x}", rand::rng().next_u64()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(format!("cannot create a directory in {}: {e}", parent.display())),
        }
    }
    Err(format!("cannot create a fresh directory in {}: {last:?}", parent.display()))
}
