//! The key file: the integration's identity in dotenv form, written once, atomically, with
//! mode 0600, before anything is printed, so a crash can never lose a private key that was
//! shown only once.
//!
//! Three promises, each tested:
//! - **Checked first.** [`preflight`] proves the path can be written (its directory exists, it
//!   is not a directory, a file can be created beside it) before `apply` changes anything on
//!   the server, so a password or a private key is never made only to be lost.
//! - **Never destroyed.** A file that is already there (a key file whose keys stopped working,
//!   or somebody's unrelated dotenv) is never silently replaced: [`backup`] first copies it to
//!   `FILE.bak-YYYYMMDDTHHMMSSZ` (mode 0600, never over another file), and `apply` says so.
//! - **Safe to source.** Every value goes through [`cw_model::Connection::to_dotenv`] (validated
//!   and quoted), and keys from the server must look like keys ([`plausible_key`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{Connection, Settings};
use crate::{Client, Error, RetryPolicy};

/// What went wrong with the key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The directory the file would go in does not exist.
    #[error("key file {}: the directory {} does not exist", path.display(), dir.display())]
    NoDirectory {
        /// The key file.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// The path names a directory.
    #[error("key file {} is a directory, not a file", path.display())]
    IsDirectory {
        /// The key file.
        path: PathBuf,
    },
    /// The path names something that is neither a regular file nor missing (a FIFO, a
    /// socket, a device, a symbolic link): it is never opened.
    #[error("key file {} is {kind}, not a regular file; refusing to open it", path.display())]
    NotAFile {
        /// The key file.
        path: PathBuf,
        /// What it is (`a FIFO`, `a symbolic link`, ...).
        kind: &'static str,
    },
    /// A file cannot be created in the directory (read-only, no permission, full).
    #[error("key file {}: cannot write in {}", path.display(), dir.display())]
    NotWritable {
        /// The key file.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file exists and the caller did not allow replacing it.
    #[error("key file {} exists; refusing to overwrite it", path.display())]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// Writing or renaming failed.
    #[error("key file {}: cannot write", path.display())]
    Write {
        /// The key file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The existing file could not be copied aside.
    #[error("key file {}: cannot keep a backup at {}", path.display(), backup.display())]
    Backup {
        /// The key file.
        path: PathBuf,
        /// Where the copy was to go.
        backup: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file does not read as settings, or a value cannot be written safely.
    #[error("key file {}", path.display())]
    Settings {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: cw_model::SettingsError,
    },
}

/// The directory a key file goes in (`.` for a bare file name).
fn directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether a regular file is at `path` (`Ok(false)`: nothing is), found without opening it or
/// following a link: a FIFO would block the open past every time limit (issue #27, defect
/// 18), and a link would let a write land somewhere else.
pub fn regular_file(path: &Path) -> Result<bool, KeyFileError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(KeyFileError::Write { path: path.to_path_buf(), source }),
    };
    let ty = meta.file_type();
    if ty.is_file() {
        return Ok(true);
    }
    if ty.is_dir() {
        return Err(KeyFileError::IsDirectory { path: path.to_path_buf() });
    }
    let kind = if ty.is_symlink() { "a symbolic link" } else { special_kind(&ty) };
    Err(KeyFileError::NotAFile { path: path.to_path_buf(), kind })
}

#[cfg(unix)]
fn special_kind(ty: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ty.is_fifo() {
        "a FIFO (named pipe)"
    } else if ty.is_socket() {
        "a socket"
    } else if ty.is_block_device() || ty.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Proves `path` can be written without touching it: its directory exists, it is not a
/// directory, and a file can be created (and is removed again) beside it.
pub fn preflight(path: &Path) -> Result<(), KeyFileError> {
    let dir = directory(path);
    regular_file(path)?;
    if !dir.is_dir() {
        return Err(KeyFileError::NoDirectory { path: path.to_path_buf(), dir });
    }
    let probe = temp_name(path, "probe")?;
    let created = create_private(&probe);
    let _ = std::fs::remove_file(&probe);
    created.map(drop).map_err(|source| KeyFileError::NotWritable { path: path.to_path_buf(), dir, source })
}

fn temp_name(path: &Path, what: &str) -> Result<PathBuf, KeyFileError> {
    let name = path.file_name().ok_or_else(|| KeyFileError::IsDirectory { path: path.to_path_buf() })?;
    let nonce: u32 = rand::random();
    Ok(directory(path).join(format!(".{}.{}.{nonce:08x}.{what}", name.to_string_lossy(), std::process::id())))
}

/// Creates a new file with mode 0600; never opens an existing one.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Copies the file at `path` to `PATH.bak-YYYYMMDDTHHMMSSZ` (or `-2`, `-3`, ... if that
/// exists), mode 0600, and returns where. Nothing is overwritten.
pub fn backup(path: &Path) -> Result<PathBuf, KeyFileError> {
    let stamp = utc_stamp(std::time::SystemTime::now());
    let read = std::fs::read(path).map_err(|source| KeyFileError::Backup {
        path: path.to_path_buf(),
        backup: path.to_path_buf(),
        source,
    })?;
    let mut n = 1;
    loop {
        let suffix = if n == 1 { String::new() } else { format!("-{n}") };
        let target = PathBuf::from(format!("{}.bak-{stamp}{suffix}", path.display()));
        match create_private(&target) {
            Ok(mut file) => {
                let fail = |source| KeyFileError::Backup { path: path.to_path_buf(), backup: target.clone(), source };
                file.write_all(&read).and_then(|()| file.sync_all()).map_err(fail)?;
                return Ok(target);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(source) => return Err(KeyFileError::Backup { path: path.to_path_buf(), backup: target, source }),
        }
    }
}

/// `20261125T140500Z` for a moment (UTC, civil-from-days).
fn utc_stamp(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Writes `contents` to `path` atomically: a temporary file created with mode 0600 in the
/// same directory, synced, then renamed over `path`. Refuses to replace an existing file
/// unless `replace` is set (callers keep a [`backup`] first).
pub fn write_atomic(path: &Path, contents: &str, replace: bool) -> Result<(), KeyFileError> {
    // Never over a link, a FIFO or a directory: only a regular file is replaced.
    if regular_file(path)? && !replace {
        return Err(KeyFileError::Exists { path: path.to_path_buf() });
    }
    let tmp = temp_name(path, "tmp")?;
    let fail = |source| KeyFileError::Write { path: path.to_path_buf(), source };
    let mut file = create_private(&tmp).map_err(fail)?;
    let written = file.write_all(contents.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(directory(path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The dotenv text of `conn` and `extra`, every value validated and quoted.
pub fn render(path: &Path, conn: &Connection, extra: &[(&str, &str)]) -> Result<String, KeyFileError> {
    conn.to_dotenv(extra).map_err(|source| KeyFileError::Settings { path: path.to_path_buf(), source })
}

/// A key file's connection and extra entries.
pub fn read(path: &Path) -> Result<(Connection, Vec<(String, String)>), KeyFileError> {
    regular_file(path)?;
    let settings = |source| KeyFileError::Settings { path: path.to_path_buf(), source };
    let (s, extra) = Settings::from_dotenv(path).map_err(settings)?;
    Ok((s.integration().map_err(settings)?, extra))
}

/// The longest key accepted from a server (ConnectWise's are 16 characters).
const MAX_KEY: usize = 128;

/// Whether a key from the server (`what`: "public key", "private key") looks like a key: 1 to
/// 128 characters, each a letter, a digit or one of `_ . + / = -`. Anything else (a quote,
/// `$`, a space, a control character) is refused ([`Error::Implausible`]) before it reaches a
/// file.
pub fn plausible_key(what: &'static str, key: &str) -> Result<(), Error> {
    let n = key.chars().count();
    let reason = if n == 0 || n > MAX_KEY {
        format!("{n} characters; a key has 1 to {MAX_KEY}")
    } else if let Some(c) = key.chars().find(|c| !(c.is_ascii_alphanumeric() || "_.+/=-".contains(*c))) {
        format!("it holds {c:?}; a key has letters, digits and _ . + / = - only")
    } else {
        return Ok(());
    };
    Err(Error::Implausible { what, reason })
}

/// What a key file is worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// There is no key file.
    Missing,
    /// Its keys authenticate.
    Works,
    /// It exists but its keys do not work; why.
    Broken(String),
}

/// The integrator password the key file at `path` keeps for `username`, if it keeps one
/// (a file that is missing, not a regular file or unreadable keeps none).
pub fn kept_password(path: &Path, username: &str) -> Option<String> {
    if !matches!(regular_file(path), Ok(true)) {
        return None;
    }
    let pairs = cw_model::connection::read_dotenv(path).ok()?;
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    (get("CW_INTEGRATOR_USERNAME").as_deref() == Some(username)).then(|| get("CW_INTEGRATOR_PASSWORD")).flatten()
}

/// Whether the keys in `path` authenticate against the server. Anything at `path` that is
/// not a regular file is refused before it is opened.
pub async fn check(path: &Path) -> Result<KeyStatus, KeyFileError> {
    if !regular_file(path)? {
        return Ok(KeyStatus::Missing);
    }
    Ok(check_file(path).await)
}

async fn check_file(path: &Path) -> KeyStatus {
    let (conn, _) = match read(path) {
        Ok(c) => c,
        Err(e) => return KeyStatus::Broken(crate::chain(&e)),
    };
    let quick = RetryPolicy { retries: 1, ..RetryPolicy::default() };
    match Client::connect(&conn, quick, std::time::Duration::from_secs(30)).await {
        Ok(client) => match client.get::<serde::de::IgnoredAny>("/system/info").await {
            Ok(_) => KeyStatus::Works,
            Err(e) => KeyStatus::Broken(e.to_string()),
        },
        Err(e) => KeyStatus::Broken(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("prov-key-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_key_file_is_created_with_mode_0600_and_never_silently_replaced() {
        let dir = scratch("mode");
        let path = dir.join("k.env");

        write_atomic(&path, "CW_URL=x\n", false).unwrap();

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(write_atomic(&path, "CW_URL=y\n", false), Err(KeyFileError::Exists { .. })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "CW_URL=x\n");
        write_atomic(&path, "CW_URL=y\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "CW_URL=y\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_backup_is_private_timestamped_and_never_overwrites_another_file() {
        let dir = scratch("backup");
        let path = dir.join("k.env");
        std::fs::write(&path, "OTHER_SECRET=1\n").unwrap();

        let first = backup(&path).unwrap();
        let second = backup(&path).unwrap();

        assert_ne!(first, second);
        for b in [&first, &second] {
            assert_eq!(std::fs::read_to_string(b).unwrap(), "OTHER_SECRET=1\n");
            assert!(b.display().to_string().contains(".bak-20"), "{}", b.display());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(std::fs::metadata(b).unwrap().permissions().mode() & 0o777, 0o600);
            }
        }
    }

    #[test]
    fn preflight_refuses_a_missing_directory_and_a_directory_and_leaves_nothing_behind() {
        let dir = scratch("pre");
        assert!(matches!(preflight(&dir.join("nope/k.env")), Err(KeyFileError::NoDirectory { .. })));
        assert!(matches!(preflight(&dir), Err(KeyFileError::IsDirectory { .. })));
        preflight(&dir.join("k.env")).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "the probe file is removed");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_or_a_fifo_at_the_path_is_refused_without_being_opened_or_written_through() {
        let dir = scratch("kinds");
        let target = dir.join("elsewhere.env");
        std::fs::write(&target, "KEEP=1\n").unwrap();
        let link = dir.join("link.env");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fifo = dir.join("fifo.env");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());

        for (path, kind) in [(&link, "a symbolic link"), (&fifo, "a FIFO (named pipe)")] {
            let e = regular_file(path).unwrap_err();
            assert!(matches!(&e, KeyFileError::NotAFile { kind: k, .. } if *k == kind), "{e}");
            assert!(write_atomic(path, "CW_URL=x\n", true).is_err());
            assert!(preflight(path).is_err());
            assert!(read(path).is_err());
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "KEEP=1\n", "nothing written through the link");
        assert!(!regular_file(&dir.join("none.env")).unwrap());
        assert!(regular_file(&target).unwrap());
    }

    #[test]
    fn only_plausible_keys_are_accepted() {
        plausible_key("public key", "AbC123xyz0987654").unwrap();
        for bad in ["", "$(touch x)", "a b", "a\nb", "a'b", "k`id`", &"x".repeat(129)] {
            let e = plausible_key("public key", bad).unwrap_err();
            assert!(e.to_string().starts_with("the server's public key is not plausible"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_utc_stamp_is_the_civil_date() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_615_500);
        assert_eq!(utc_stamp(at), "20261125T140500Z");
        assert_eq!(utc_stamp(std::time::UNIX_EPOCH), "19700101T000000Z");
    }
}
