//! What the benchmarks in `tests/benches` share: timing repeated runs and
//! reading the process's peak memory. Numbers go to standard output as
//! Markdown; `docs/benchmarks.md` keeps them.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::TestApp;

/// Runs per measured query.
pub const SAMPLES: usize = 30;

/// The `p`th quantile (0..=1) of `samples`, in milliseconds, nearest rank.
pub fn quantile_ms(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples
        .get(index)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// Median and 95th percentile of `samples` runs of `run`, in milliseconds.
pub async fn time<F, Fut>(samples: usize, mut run: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut taken = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        run().await;
        taken.push(started.elapsed());
    }
    (quantile_ms(&mut taken, 0.5), quantile_ms(&mut taken, 0.95))
}

/// Median and p95 of a GET over HTTP, and how many `items` it answered.
pub async fn time_query(app: &TestApp, token: &str, path: &str) -> (f64, f64, usize) {
    let found = std::cell::Cell::new(0);
    let (median, p95) = time(SAMPLES, || async {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        found.set(reply.body["items"].as_array().map_or(0, Vec::len));
    })
    .await;
    (median, p95, found.get())
}

/// The peak resident memory of this process (server and client), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
