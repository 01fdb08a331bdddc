//! The connection settings (`CW_URL`, `CW_COMPANY`, `CW_PUBLIC_KEY`, `CW_PRIVATE_KEY`,
//! `CW_CLIENT_ID`) and the dotenv file that carries them.

use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use crate::Error;

/// Where and as whom to connect. The private key never appears in `Debug` output.
#[derive(Clone)]
pub struct Connection {
    /// The site root, e.g. `https://na.myconnectwise.net` or `http://127.0.0.1:8080`.
    pub url: String,
    /// The company id used at login.
    pub company: String,
    /// The API member's public key.
    pub public_key: String,
    /// The API member's private key.
    pub private_key: SecretString,
    /// The `clientId` registered at developer.connectwise.com.
    pub client_id: String,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("company", &self.company)
            .field("public_key", &self.public_key)
            .field("private_key", &"[redacted]")
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl Connection {
    /// The settings as dotenv lines, the format of the key file and of `--env-file`.
    pub fn to_dotenv(&self, extra: &[(&str, &str)]) -> String {
        let mut out = format!(
            "# Written by `provisioner apply`: the integration's own ConnectWise identity.\n\
             # Load with `set -a; . FILE; set +a` or `provisioner verify --env-file FILE`.\n\
             CW_URL={}\nCW_COMPANY={}\nCW_PUBLIC_KEY={}\nCW_PRIVATE_KEY={}\nCW_CLIENT_ID={}\n",
            self.url,
            self.company,
            self.public_key,
            self.private_key.expose_secret(),
            self.client_id
        );
        for (k, v) in extra {
            out.push_str(&format!("{k}={v}\n"));
        }
        out
    }
}

/// Reads `KEY=value` lines (comments, blank lines, `export ` prefixes and quotes allowed).
pub fn read_dotenv(path: &Path) -> Result<Vec<(String, String)>, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read env file {}: {e}", path.display())))?;
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(Error::Config(format!("{}:{}: expected KEY=value", path.display(), n + 1)));
        };
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        pairs.push((k.trim().to_owned(), v.to_owned()));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_private_key() {
        let c = Connection {
            url: "http://x".into(),
            company: "c".into(),
            public_key: "pub".into(),
            private_key: SecretString::from("TopSecret123"),
            client_id: "id".into(),
        };
        assert!(!format!("{c:?}").contains("TopSecret123"));
        assert!(c.to_dotenv(&[]).contains("CW_PRIVATE_KEY=TopSecret123\n"));
    }

    #[test]
    fn dotenv_files_round_trip_with_comments_exports_and_quotes() {
        let dir = std::env::temp_dir().join(format!("prov-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.env");
        std::fs::write(&file, "# c\n\nexport CW_URL=\"http://a\"\nCW_COMPANY=x\n").unwrap();
        let pairs = read_dotenv(&file).unwrap();
        assert_eq!(pairs, [("CW_URL".into(), "http://a".into()), ("CW_COMPANY".into(), "x".into())]);
        std::fs::write(&file, "nonsense\n").unwrap();
        assert!(read_dotenv(&file).is_err());
    }
}
