//! Headless Chromium through chromedriver for the browser tests (`ui.rs`, `report_ui.rs`):
//! where the browser and its driver are, and a driver started on a free port.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

/// The Chromium binary (`CHROMIUM`, else the usual Debian paths).
#[allow(dead_code)] // each test binary uses what it needs of this module
pub(crate) fn chromium() -> Option<String> {
    std::env::var("CHROMIUM").ok().or_else(|| {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .map(str::to_owned)
    })
}

/// chromedriver (`CHROMEDRIVER`, else on `PATH`).
pub(crate) fn chromedriver() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMEDRIVER") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("chromedriver")).find(|p| p.exists())
}

/// Starts chromedriver on a free port and returns it with its URL once it says it listens.
pub(crate) async fn start_driver(driver: &Path) -> (tokio::process::Child, String) {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
    let mut child = tokio::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("started successfully") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://127.0.0.1:{port}"))
}
