//! Driving the mock: requests from concurrent workers for a time, and their samples.

use super::*;

/// Raw samples of one scenario: latencies (µs), errors, body bytes, busy time.
#[derive(Default)]
pub(super) struct Samples {
    pub(super) lat: Vec<u32>,
    pub(super) errors: usize,
    pub(super) bytes: usize,
    pub(super) secs: f64,
}

impl Samples {
    pub(super) fn rps(&self) -> f64 {
        self.lat.len() as f64 / self.secs.max(1e-9)
    }

    pub(super) fn bytes(&self) -> usize {
        self.bytes / self.lat.len().max(1)
    }

    pub(super) fn pct(&mut self, p: f64) -> f64 {
        self.lat.sort_unstable();
        let i = ((self.lat.len() as f64 * p) as usize).min(self.lat.len().saturating_sub(1));
        self.lat.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// Numbers requests across all runs, so created identifiers never collide.
pub(super) static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(super) type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

/// Drives `make` from `connections` concurrent workers for `time`, adding to `into`; any
/// answer that is not 2xx counts as an error.
pub(super) async fn drive(make: &MakeRequest, connections: usize, time: Duration, into: &mut Samples) {
    let deadline = Instant::now() + time;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let make = make.clone();
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client");
            let (mut lat, mut errors, mut bytes) = (Vec::new(), 0, 0usize);
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match make(&client, SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).send().await {
                    Ok(r) => {
                        let good = r.status().is_success();
                        match r.bytes().await {
                            Ok(b) => {
                                bytes += b.len();
                                good
                            }
                            Err(_) => false,
                        }
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_micros() as u32);
                errors += usize::from(!ok);
            }
            (lat, errors, bytes)
        }));
    }
    for w in workers {
        let (lat, e, b) = w.await.expect("a worker");
        into.lat.extend(lat);
        into.errors += e;
        into.bytes += b;
    }
    into.secs += started.elapsed().as_secs_f64();
}

pub(super) fn authed(
    api: &str,
    creds: &Creds,
    method: Method,
    path: &str,
) -> impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + use<> {
    let (url, user, pass, client_id) = (
        format!("{api}{path}"),
        format!("{}+{}", creds.company, creds.public),
        creds.private.clone(),
        creds.client_id.clone(),
    );
    move |c: &reqwest::Client| {
        c.request(method.clone(), &url).basic_auth(&user, Some(&pass)).header("clientId", &client_id)
    }
}
