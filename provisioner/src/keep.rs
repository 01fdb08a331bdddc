//! Keeping each secret `apply` makes the moment it exists (issue #27, defect 14): the
//! integrator login's generated password reaches the key file **before** the create is sent,
//! so a failure or a `kill -9` at any later point leaves it on disk; a later write of the key
//! file carries it over. Every write is [`keyfile::write_atomic`] (a temporary file with mode
//! 0600 in the same directory, fsync, rename; never through a link), and a file this run did
//! not write is first kept as a backup.

use std::path::Path;

use crate::keyfile::{self, KeyFileError, KeyStatus};
use crate::{Connection, Error, Setup};

/// What `apply` did and what is left to a person, and whether this run has written the key
/// file already (its own file needs no backup).
#[derive(Default)]
pub(crate) struct Progress {
    pub(crate) changes: Vec<String>,
    pub(crate) instructions: Vec<String>,
    pub(crate) wrote_key_file: bool,
}

/// Writes the key file; a file this run did not write is first copied to a timestamped
/// backup, named in the report.
pub(crate) fn write_key_file(path: &Path, contents: &str, progress: &mut Progress) -> Result<(), Error> {
    if keyfile::regular_file(path)? && !progress.wrote_key_file {
        let kept = keyfile::backup(path)?;
        progress.changes.push(format!(
            "kept the previous {} as {} (mode 0600) before replacing it",
            path.display(),
            kept.display()
        ));
    }
    keyfile::write_atomic(path, contents, true)?;
    progress.wrote_key_file = true;
    Ok(())
}

/// Puts the integrator login's password in the key file before the login is created: into
/// the working identity the file holds, or else into a file of its own (the connection
/// without keys, which a key made later completes).
pub(crate) fn keep_password(
    file: &Path,
    admin: &Connection,
    setup: &Setup,
    key: &KeyStatus,
    secret: &str,
    progress: &mut Progress,
) -> Result<(), Error> {
    let login = [("CW_INTEGRATOR_USERNAME", setup.integrator.as_str()), ("CW_INTEGRATOR_PASSWORD", secret)];
    let text = if *key == KeyStatus::Works {
        let (conn, mut extra) = keyfile::read(file)?;
        extra.retain(|(k, _)| !k.starts_with("CW_INTEGRATOR_"));
        let mut pairs: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.extend(login);
        keyfile::render(file, &conn, &pairs)?
    } else {
        let mut text = String::from(
            "# Written by `provisioner apply`: the integrator login's password, kept the moment it was made.\n\
             # CW_PUBLIC_KEY and CW_PRIVATE_KEY are added when the API key is made (S5-S8).\n",
        );
        for (k, v) in [
            ("CW_URL", admin.url.as_str()),
            ("CW_COMPANY", admin.company.as_str()),
            ("CW_CLIENT_ID", admin.client_id.as_str()),
        ]
        .into_iter()
        .chain(login)
        {
            let line = crate::config::dotenv_line(k, v)
                .map_err(|source| KeyFileError::Settings { path: file.to_path_buf(), source })?;
            text.push_str(&line);
        }
        text
    };
    write_key_file(file, &text, progress)?;
    progress.changes.push(format!("S0: the integrator login's password is in {}", file.display()));
    Ok(())
}

/// The integrator entries a new key file carries over: the password the file keeps for the
/// setup's login, if it keeps one.
pub(crate) fn login_entries(file: &Path, setup: &Setup) -> Vec<(&'static str, String)> {
    let mut out = vec![("CW_INTEGRATOR_USERNAME", setup.integrator.clone())];
    out.extend(keyfile::kept_password(file, &setup.integrator).map(|p| ("CW_INTEGRATOR_PASSWORD", p)));
    out
}
