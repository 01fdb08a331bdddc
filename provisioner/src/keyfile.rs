//! The key file: the integration's identity in dotenv form, written once, atomically, with
//! mode 0600, before anything is printed, so a crash can never lose a private key that was
//! shown only once.

use std::io::Write;
use std::path::Path;

use crate::config::{Connection, Settings};
use crate::{Client, Error, RetryPolicy};

/// Writes `contents` to `path` atomically: a temporary file created with mode 0600 in the
/// same directory, synced, then renamed over `path`. Refuses to replace an existing file
/// unless `replace` is set.
pub fn write_atomic(path: &Path, contents: &str, replace: bool) -> Result<(), Error> {
    if path.exists() && !replace {
        return Err(Error::KeyFile(format!("{} exists; refusing to overwrite it", path.display())));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| Error::KeyFile(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let fail = |what: &str, e: std::io::Error| Error::KeyFile(format!("{what} {}: {e}", tmp.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(|e| fail("cannot create", e))?;
    let written = file.write_all(contents.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("cannot write", e));
    }
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A key file's connection and extra entries.
pub fn read(path: &Path) -> Result<(Connection, Vec<(String, String)>), Error> {
    let (settings, extra) = Settings::from_dotenv(path)?;
    let conn = settings.integration().map_err(|e| Error::KeyFile(format!("{}: {e}", path.display())))?;
    Ok((conn, extra))
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

/// Whether the keys in `path` authenticate against the server.
pub async fn check(path: &Path) -> KeyStatus {
    if !path.exists() {
        return KeyStatus::Missing;
    }
    let (conn, _) = match read(path) {
        Ok(c) => c,
        Err(e) => return KeyStatus::Broken(e.to_string()),
    };
    let quick = RetryPolicy { retries: 1, ..RetryPolicy::default() };
    match Client::connect(&conn, quick, std::time::Duration::from_secs(30)).await {
        Ok(client) => match client.get("/system/info").await {
            Ok(_) => KeyStatus::Works,
            Err(e) => KeyStatus::Broken(e.to_string()),
        },
        Err(e) => KeyStatus::Broken(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_with_mode_0600_and_never_silently_replaced() {
        let dir = std::env::temp_dir().join(format!("prov-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.env");
        let _ = std::fs::remove_file(&path);

        write_atomic(&path, "CW_URL=x\n", false).unwrap();

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(write_atomic(&path, "CW_URL=y\n", false).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "CW_URL=x\n");
        write_atomic(&path, "CW_URL=y\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "CW_URL=y\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left behind");
    }
}
