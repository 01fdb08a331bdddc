//! The connection convention every crate uses: `CW_URL`, `CW_COMPANY`, `CW_PUBLIC_KEY`,
//! `CW_PRIVATE_KEY`, `CW_CLIENT_ID`, plus `CW_ADMIN_PUBLIC_KEY`/`CW_ADMIN_PRIVATE_KEY` for a
//! sandbox administrator and `CW_PROFILE` for a profile. [`Settings`] reads them from the
//! environment or a dotenv file; [`Connection`] is one complete identity and writes itself
//! back as dotenv lines that are safe to `source` (validated and quoted).

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

/// What went wrong with settings or a dotenv file.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A setting nobody gave.
    #[error("{var} is not set (give it as an environment variable, in the env file, or as {flag})")]
    Missing {
        /// The variable (`CW_URL`).
        var: &'static str,
        /// The equivalent command-line flag (`--url`).
        flag: &'static str,
    },
    /// The file could not be read.
    #[error("cannot read env file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line that is not `KEY=value`.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that cannot be written safely (a line break, a NUL, a control character).
    #[error("{key}: the value holds a control character or line break and cannot be written to a dotenv file")]
    Unsafe {
        /// The variable.
        key: String,
    },
}

/// One complete identity: where and as whom to connect. The private key never appears in
/// `Debug` output.
#[derive(Clone)]
pub struct Connection {
    /// The site root, e.g. `https://na.myconnectwise.net` or `http://127.0.0.1:8080`.
    pub url: String,
    /// The company id used at login.
    pub company: String,
    /// The public key (or an integrator login's username).
    pub public_key: String,
    /// The private key (or an integrator login's password).
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
    /// The settings as dotenv lines (the key file's and `--env-file`'s format), each value
    /// validated and quoted so that `set -a; . FILE` never runs anything it holds.
    pub fn to_dotenv(&self, extra: &[(&str, &str)]) -> Result<String, SettingsError> {
        let mut out = String::from(
            "# Written by `provisioner apply`: the integration's own ConnectWise identity.\n\
             # Load with `set -a; . FILE; set +a` or `provisioner verify --env-file FILE`.\n",
        );
        let pairs = [
            ("CW_URL", self.url.as_str()),
            ("CW_COMPANY", self.company.as_str()),
            ("CW_PUBLIC_KEY", self.public_key.as_str()),
            ("CW_PRIVATE_KEY", self.private_key.expose_secret()),
            ("CW_CLIENT_ID", self.client_id.as_str()),
        ];
        for (k, v) in pairs.into_iter().chain(extra.iter().copied()) {
            out.push_str(&dotenv_line(k, v)?);
        }
        Ok(out)
    }
}

/// `KEY=value\n`, the value single-quoted unless it is made only of characters no shell
/// treats specially. Refuses values with control characters.
pub fn dotenv_line(key: &str, value: &str) -> Result<String, SettingsError> {
    if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || key.is_empty()
        || value.chars().any(char::is_control)
    {
        return Err(SettingsError::Unsafe { key: key.to_owned() });
    }
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || "_.:/@+,=-%".contains(c));
    if plain && !value.is_empty() {
        Ok(format!("{key}={value}\n"))
    } else {
        Ok(format!("{key}='{}'\n", value.replace('\'', r"'\''")))
    }
}

/// Reads one dotenv value as a POSIX shell would read a word: `'literal'`, `"with \" escapes"`,
/// bare characters with `\` escapes, concatenated. Nothing is expanded or run.
fn unquote(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => out.push(c),
                    None => return Err("unterminated single quote".into()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\\' | '$' | '`')) => out.push(c),
                        Some(c) => {
                            out.push('\\');
                            out.push(c);
                        }
                        None => return Err("unterminated double quote".into()),
                    },
                    Some(c) => out.push(c),
                    None => return Err("unterminated double quote".into()),
                }
            },
            '\\' => out.extend(chars.next()),
            c if c.is_whitespace() => {
                // A comment may follow the value.
                let rest: String = chars.collect();
                if rest.trim_start().is_empty() || rest.trim_start().starts_with('#') {
                    break;
                }
                return Err("unquoted space in value (quote it)".into());
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Reads `KEY=value` lines (comments, blank lines, `export ` prefixes and shell quoting allowed).
pub fn read_dotenv(path: &Path) -> Result<Vec<(String, String)>, SettingsError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| SettingsError::Read { path: path.to_path_buf(), source })?;
    parse_dotenv(path, &text)
}

/// Parses dotenv text; `path` names it in errors.
pub fn parse_dotenv(path: &Path, text: &str) -> Result<Vec<(String, String)>, SettingsError> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let syntax = |message: String| SettingsError::Syntax { path: path.to_path_buf(), line: n + 1, message };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(syntax("expected KEY=value".into()));
        };
        let value = unquote(v.trim()).map_err(syntax)?;
        pairs.push((k.trim().to_owned(), value));
    }
    Ok(pairs)
}

/// Every `CW_*` setting, each optional until a [`Connection`] is asked for.
#[derive(Clone, Default)]
pub struct Settings {
    /// `CW_URL`.
    pub url: Option<String>,
    /// `CW_COMPANY`.
    pub company: Option<String>,
    /// `CW_PUBLIC_KEY`: the integration's.
    pub public_key: Option<String>,
    /// `CW_PRIVATE_KEY`: the integration's.
    pub private_key: Option<SecretString>,
    /// `CW_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `CW_ADMIN_PUBLIC_KEY`: a sandbox administrator's, beside the integration's.
    pub admin_public_key: Option<String>,
    /// `CW_ADMIN_PRIVATE_KEY`.
    pub admin_private_key: Option<SecretString>,
    /// `CW_PROFILE`: a built-in profile's name or a profile file.
    pub profile: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &Option<SecretString>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("Settings")
            .field("url", &self.url)
            .field("company", &self.company)
            .field("public_key", &self.public_key)
            .field("private_key", &secret(&self.private_key))
            .field("client_id", &self.client_id)
            .field("admin_public_key", &self.admin_public_key)
            .field("admin_private_key", &secret(&self.admin_private_key))
            .field("profile", &self.profile)
            .finish()
    }
}

impl Settings {
    /// The variables, in the order they are documented.
    pub const VARS: [&'static str; 8] = [
        "CW_URL",
        "CW_COMPANY",
        "CW_PUBLIC_KEY",
        "CW_PRIVATE_KEY",
        "CW_CLIENT_ID",
        "CW_ADMIN_PUBLIC_KEY",
        "CW_ADMIN_PRIVATE_KEY",
        "CW_PROFILE",
    ];

    /// Settings from any source of `(variable) -> value`; empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        Self {
            url: get("CW_URL"),
            company: get("CW_COMPANY"),
            public_key: get("CW_PUBLIC_KEY"),
            private_key: get("CW_PRIVATE_KEY").map(SecretString::from),
            client_id: get("CW_CLIENT_ID"),
            admin_public_key: get("CW_ADMIN_PUBLIC_KEY"),
            admin_private_key: get("CW_ADMIN_PRIVATE_KEY").map(SecretString::from),
            profile: get("CW_PROFILE"),
        }
    }

    /// Settings from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Settings from a dotenv file, and the file's other entries.
    pub fn from_dotenv(path: &Path) -> Result<(Self, Vec<(String, String)>), SettingsError> {
        let pairs = read_dotenv(path)?;
        let find = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let settings = Self::from_lookup(find);
        let extra = pairs.into_iter().filter(|(k, _)| !Self::VARS.contains(&k.as_str())).collect();
        Ok((settings, extra))
    }

    /// Each setting from `self`, else from `fallback`.
    pub fn or(self, fallback: Settings) -> Settings {
        Settings {
            url: self.url.or(fallback.url),
            company: self.company.or(fallback.company),
            public_key: self.public_key.or(fallback.public_key),
            private_key: self.private_key.or(fallback.private_key),
            client_id: self.client_id.or(fallback.client_id),
            admin_public_key: self.admin_public_key.or(fallback.admin_public_key),
            admin_private_key: self.admin_private_key.or(fallback.admin_private_key),
            profile: self.profile.or(fallback.profile),
        }
    }

    fn site(&self) -> Result<(String, String, String), SettingsError> {
        let need = |v: &Option<String>, var, flag| v.clone().ok_or(SettingsError::Missing { var, flag });
        Ok((
            need(&self.url, "CW_URL", "--url")?.trim_end_matches('/').to_owned(),
            need(&self.company, "CW_COMPANY", "--company")?,
            need(&self.client_id, "CW_CLIENT_ID", "--client-id")?,
        ))
    }

    /// The integration's identity (`CW_PUBLIC_KEY`/`CW_PRIVATE_KEY`).
    pub fn integration(&self) -> Result<Connection, SettingsError> {
        let (url, company, client_id) = self.site()?;
        Ok(Connection {
            url,
            company,
            client_id,
            public_key: self
                .public_key
                .clone()
                .ok_or(SettingsError::Missing { var: "CW_PUBLIC_KEY", flag: "--public-key" })?,
            private_key: self
                .private_key
                .clone()
                .ok_or(SettingsError::Missing { var: "CW_PRIVATE_KEY", flag: "--private-key" })?,
        })
    }

    /// The administrator's identity (`CW_ADMIN_PUBLIC_KEY`/`CW_ADMIN_PRIVATE_KEY`), where given.
    pub fn admin(&self) -> Option<Connection> {
        let (url, company, client_id) = self.site().ok()?;
        Some(Connection {
            url,
            company,
            client_id,
            public_key: self.admin_public_key.clone()?,
            private_key: self.admin_private_key.clone()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(private: &str) -> Connection {
        Connection {
            url: "http://127.0.0.1:8080".into(),
            company: "cwmock".into(),
            public_key: "pub".into(),
            private_key: SecretString::from(private.to_owned()),
            client_id: "id".into(),
        }
    }

    #[test]
    fn debug_output_never_shows_the_private_key() {
        let c = conn("TopSecret123");
        assert!(!format!("{c:?}").contains("TopSecret123"));
        let s = Settings { admin_private_key: Some(SecretString::from("AdminSecret")), ..Settings::default() };
        assert!(!format!("{s:?}").contains("AdminSecret"));
    }

    #[test]
    fn hostile_values_are_quoted_and_read_back_unchanged() {
        let dir = std::env::temp_dir().join(format!("cw-model-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for value in ["$(touch /tmp/pwned)", "a'b\"c`d`", "with space", "plain123", "", "x;rm -rf ~", "%&*"] {
            let text = conn(value).to_dotenv(&[("CW_INTEGRATOR_PASSWORD", value)]).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !text.contains(&format!("={value}\n")) || value.chars().all(|c| c.is_ascii_alphanumeric()),
                "{text}"
            );
            let file = dir.join("t.env");
            std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
            let pairs = read_dotenv(&file).unwrap_or_else(|e| panic!("{e}"));
            let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
            assert_eq!(get("CW_PRIVATE_KEY"), Some(value));
            assert_eq!(get("CW_INTEGRATOR_PASSWORD"), Some(value));
        }
        assert!(matches!(conn("line\nbreak").to_dotenv(&[]), Err(SettingsError::Unsafe { .. })));
    }

    #[test]
    fn a_sourced_key_file_runs_nothing() {
        let dir = std::env::temp_dir().join(format!("cw-model-sh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let marker = dir.join("pwned");
        let hostile = format!("$(touch {})`touch {}`", marker.display(), marker.display());
        let file = dir.join("k.env");
        std::fs::write(&file, conn(&hostile).to_dotenv(&[]).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("set -a; . '{}'; printf %s \"$CW_PRIVATE_KEY\"", file.display()))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!marker.exists(), "sourcing the file ran a command");
        assert_eq!(String::from_utf8_lossy(&out.stdout), hostile);
    }

    #[test]
    fn dotenv_files_take_comments_exports_and_quotes() {
        let pairs = parse_dotenv(Path::new("t.env"), "# c\n\nexport CW_URL=\"http://a\"\nCW_COMPANY='x y' # note\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pairs, [("CW_URL".into(), "http://a".into()), ("CW_COMPANY".into(), "x y".into())]);
        let e = parse_dotenv(Path::new("t.env"), "CW_URL=x\nnonsense\n").map(|_| ());
        assert!(matches!(e, Err(SettingsError::Syntax { line: 2, .. })), "{e:?}");
    }

    #[test]
    fn settings_name_what_is_missing_and_fall_back_in_order() {
        let flags = Settings { url: Some("http://flag".into()), ..Settings::default() };
        let env = Settings::from_lookup(|k| match k {
            "CW_URL" => Some("http://env".into()),
            "CW_COMPANY" => Some("c".into()),
            "CW_CLIENT_ID" => Some("id".into()),
            "CW_PUBLIC_KEY" => Some("p".into()),
            _ => None,
        });
        let s = flags.or(env);
        assert_eq!(s.url.as_deref(), Some("http://flag"));
        let e = s.integration().map(|_| ());
        assert!(matches!(e, Err(SettingsError::Missing { var: "CW_PRIVATE_KEY", .. })), "{e:?}");
        assert!(s.admin().is_none());
    }
}
