//! Writes the permissions document of an integration profile.
//!
//! `permissions-doc` writes `docs/permissions.md` for the default profile (the seed's page);
//! `permissions-doc --profile NAME|FILE [--out FILE]` writes one for any profile, to `FILE` or
//! to stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cw_model::Profile;

const USAGE: &str = "usage: permissions-doc [--profile NAME|FILE] [--out FILE]";

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (mut profile, mut out) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--profile", Some(p)) => profile = Some(p),
            ("--out", Some(o)) => out = Some(PathBuf::from(o)),
            _ => {
                eprintln!("permissions-doc: {arg}?\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let profile = match profile.as_deref().map(Profile::load).transpose() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("permissions-doc: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = out.or_else(|| profile.is_none().then(|| root.join("docs/permissions.md")));
    let profile = profile.as_ref().unwrap_or_else(|| Profile::seed());
    let md = match conformance::doc::render_profile(&root.join("features"), profile) {
        Ok(md) => md,
        Err(e) => {
            eprintln!("permissions-doc: {e}");
            return ExitCode::FAILURE;
        }
    };
    match out {
        None => {
            print!("{md}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(&path, md) {
            Ok(()) => {
                eprintln!("wrote {} for the profile {}", path.display(), profile.name);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("permissions-doc: cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
    }
}
