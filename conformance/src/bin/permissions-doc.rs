//! Writes `docs/permissions.md` from the permission table and the features.

use std::path::Path;

fn main() -> std::process::ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match conformance::doc::render(&root.join("features")) {
        Ok(md) => match std::fs::write(root.join("docs/permissions.md"), md) {
            Ok(()) => {
                println!("wrote docs/permissions.md");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("permissions-doc: cannot write docs/permissions.md: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("permissions-doc: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
