//! A load generator for kartei: logs in as the demo roles and drives one
//! named workload against one or more instances (round-robin) for a while,
//! then prints throughput and latency percentiles.
//!
//!     cargo run --release -p kartei-tests --bin kartei-load -- \
//!         --target http://127.0.0.1:8080 --workload register --seconds 30
//!
//! Workloads: `register` (POST /applications, unique people, real Saxon
//! postal codes), `search` (a district office's member name-prefix search),
//! `inbox` (a district office's open applications), `report` (the
//! entry-lag report over one year, all districts). `--record FILE` writes
//! the id of every registration answered 201, one per line, so that a
//! fault run can check afterwards that each one exists exactly once;
//! `--via page` asks the staff web application's page for the same
//! question instead of the JSON API (signed in with the session cookie, as
//! a browser): `/erklaerungen?status=routed`, `/mitglieder?q=`,
//! `/auswertungen?von=&bis=`, and reports the largest page it got;
//! `--summary FILE` writes the figures as JSON, with what the fault runs
//! check: the statuses, error answers that were not problem+json, and the
//! slowest failed request (a fault must fail fast, not hang).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use kartei_api::synthetic::{FIRST_NAMES, LAST_NAMES};
use kartei_tests::bench::quantile_ms;
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Workload {
    Register,
    Search,
    Inbox,
    Report,
    /// The member counts on 31 December of last year.
    Counts,
    /// The delegate key of that day: 220 seats in pairs by Hare-Niemeyer
    /// after a double base mandate, as a state statute writes it.
    Delegates,
}

/// Who answers: the JSON API, or the web application's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Via {
    Api,
    Page,
}

#[derive(Debug, Parser)]
#[command(
    name = "kartei-load",
    about = "Drive a workload against kartei instances"
)]
struct Args {
    /// Base URL of an instance; repeat for several (used round-robin).
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    #[arg(long, value_enum)]
    workload: Workload,
    /// Ask the JSON API, or the page that answers the same question.
    #[arg(long, value_enum, default_value = "api")]
    via: Via,
    /// How long to run.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// The demo password.
    #[arg(long, default_value = "kartei-demo-2026")]
    password: String,
    /// Append the id of every registration answered 201 to this file.
    #[arg(long)]
    record: Option<std::path::PathBuf>,
    /// Write the figures of the run to this file as JSON.
    #[arg(long)]
    summary: Option<std::path::PathBuf>,
    /// Stop after this many requests, even before `--seconds` are up.
    #[arg(long)]
    requests: Option<u64>,
    /// The number of the first request. A workload's requests vary with
    /// their number (the search asks the forty synthetic last names in
    /// turn), so that scripts/bare-sql/capture.sh can record any of them.
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// Use this bearer token instead of logging in, so that nothing but the
    /// workload's own requests reaches the server (scripts/bare-sql/capture.sh
    /// records the SQL of exactly one request that way).
    #[arg(long)]
    token: Option<String>,
}

/// Postal codes of Saxony that the demo routing table covers, spread over
/// the districts (and two of the demo's local branches).
const POSTAL_CODES: [&str; 16] = [
    "01067", "01097", "01099", "01217", "04109", "04277", "04315", "09111", "09126", "08056",
    "02625", "02826", "01662", "01796", "09599", "08523",
];

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    ok: u64,
    failed: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
    errors_not_problem_json: u64,
    slowest_failure: Duration,
    largest_body: usize,
}

struct Run {
    args: Args,
    http: reqwest::Client,
    next: AtomicU64,
    tokens: Mutex<Vec<String>>,
    record: Option<Mutex<std::fs::File>>,
}

impl Run {
    fn target(&self, n: u64) -> &str {
        let i = usize::try_from(n).unwrap_or(0) % self.args.targets.len();
        self.args.targets[i].trim_end_matches('/')
    }

    fn who(&self) -> &'static str {
        match self.args.workload {
            Workload::Register | Workload::Report | Workload::Counts | Workload::Delegates => {
                "lgs@kartei.example"
            }
            Workload::Search | Workload::Inbox => "kv-dresden@kartei.example",
        }
    }

    /// Logs in on every target (each may be its own instance): a bearer
    /// token, or for pages the session cookie of the sign-in form.
    async fn log_in(&self) -> anyhow::Result<()> {
        if self.args.via == Via::Page {
            let mut cookies = Vec::new();
            for target in &self.args.targets {
                cookies.push(self.sign_in(target.trim_end_matches('/')).await?);
            }
            *self.tokens.lock().await = cookies;
            return Ok(());
        }
        if let Some(token) = &self.args.token {
            *self.tokens.lock().await = vec![token.clone()];
            return Ok(());
        }
        let mut tokens = Vec::new();
        for target in &self.args.targets {
            let reply: Value = self
                .http
                .post(format!(
                    "{}/api/v1/auth/login",
                    target.trim_end_matches('/')
                ))
                .json(&json!({ "email": self.who(), "password": self.args.password }))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let token = reply["access_token"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("no access token from {target}"))?;
            tokens.push(token.to_owned());
        }
        *self.tokens.lock().await = tokens;
        Ok(())
    }

    /// Signs in with the form, as a browser does, and answers the session
    /// cookie (`name=value`).
    async fn sign_in(&self, base: &str) -> anyhow::Result<String> {
        let form = self.http.get(format!("{base}/anmelden")).send().await?;
        let double_submit = cookie(&form, "kartei_anmeldung")?;
        let html = form.text().await?;
        let marker = "name=\"csrf\" value=\"";
        let start = html
            .find(marker)
            .ok_or_else(|| anyhow::anyhow!("no token on the sign-in form"))?
            + marker.len();
        let token = &html[start..start + html[start..].find('"').unwrap_or(0)];
        let signed_in = self
            .http
            .post(format!("{base}/anmelden"))
            .header(reqwest::header::COOKIE, double_submit)
            .form(&[
                ("csrf", token),
                ("email", self.who()),
                ("password", &self.args.password),
            ])
            .send()
            .await?;
        cookie(&signed_in, "kartei_session")
    }

    fn request(&self, n: u64, token: &str) -> reqwest::RequestBuilder {
        if self.args.via == Via::Page {
            return self.page_request(n, token);
        }
        let base = self.target(n);
        let today = chrono::Local::now().date_naive();
        match self.args.workload {
            Workload::Register => {
                let i = usize::try_from(n).unwrap_or(0);
                let body = json!({
                    "received_on": (today - chrono::Duration::days(i64::try_from(n % 5).unwrap_or(0))).to_string(),
                    "channel": "online",
                    "first_name": FIRST_NAMES[i % FIRST_NAMES.len()],
                    "last_name": format!("{}-{n}", LAST_NAMES[(i / 7) % LAST_NAMES.len()]),
                    "date_of_birth": format!("{}-0{}-1{}", 1950 + i % 50, 1 + i % 9, i % 10),
                    "email": format!("load{n}-{}@example.org", std::process::id()),
                    "street": format!("Lastweg {}", 1 + i % 200),
                    "postal_code": POSTAL_CODES[i % POSTAL_CODES.len()],
                    "city": "Sachsen",
                    "interests": []
                });
                self.http
                    .post(format!("{base}/api/v1/applications"))
                    .json(&body)
            }
            Workload::Search => {
                let name = LAST_NAMES[usize::try_from(n).unwrap_or(0) % LAST_NAMES.len()];
                let prefix: String = name.chars().take(3).collect::<String>().to_lowercase();
                self.http
                    .get(format!("{base}/api/v1/members"))
                    .query(&[("q", prefix.as_str()), ("limit", "50")])
            }
            Workload::Inbox => self
                .http
                .get(format!("{base}/api/v1/applications"))
                .query(&[("status", "routed"), ("limit", "50")]),
            Workload::Report => {
                let from = (today - chrono::Duration::days(364)).to_string();
                self.http
                    .get(format!("{base}/api/v1/reports/entry-lag"))
                    .query(&[("from", from.as_str()), ("to", today.to_string().as_str())])
            }
            Workload::Counts => self
                .http
                .get(format!("{base}/api/v1/reports/members"))
                .query(&[("as_of", end_of_last_year(today).as_str())]),
            Workload::Delegates => self
                .http
                .get(format!("{base}/api/v1/reports/delegates"))
                .query(&[
                    ("as_of", end_of_last_year(today).as_str()),
                    ("seats", "220"),
                    ("method", "hare-niemeyer"),
                    ("pairs", "true"),
                    ("base_seats", "2"),
                ]),
        }
        .bearer_auth(token)
    }

    /// The page that answers the workload's question, with the session
    /// cookie.
    fn page_request(&self, n: u64, cookie: &str) -> reqwest::RequestBuilder {
        let base = self.target(n);
        let today = chrono::Local::now().date_naive();
        let request = match self.args.workload {
            // A page registers through a form; the API measures that.
            Workload::Register => self.http.get(format!("{base}/erklaerungen/neu")),
            Workload::Search => {
                let name = LAST_NAMES[usize::try_from(n).unwrap_or(0) % LAST_NAMES.len()];
                let prefix: String = name.chars().take(3).collect::<String>().to_lowercase();
                self.http
                    .get(format!("{base}/mitglieder"))
                    .query(&[("q", prefix.as_str())])
            }
            Workload::Inbox => self
                .http
                .get(format!("{base}/erklaerungen"))
                .query(&[("status", "routed")]),
            Workload::Report => {
                let german = |day: chrono::NaiveDate| day.format("%d.%m.%Y").to_string();
                let from = german(today - chrono::Duration::days(364));
                self.http
                    .get(format!("{base}/auswertungen"))
                    .query(&[("von", from.as_str()), ("bis", german(today).as_str())])
            }
            Workload::Counts => self
                .http
                .get(format!("{base}/auswertungen/mitglieder"))
                .query(&[("stichtag", german_end_of_last_year(today).as_str())]),
            Workload::Delegates => self
                .http
                .get(format!("{base}/auswertungen/delegierte"))
                .query(&[
                    ("stichtag", german_end_of_last_year(today).as_str()),
                    ("sitze", "220"),
                    ("verfahren", "hare-niemeyer"),
                    ("paarweise", "1"),
                    ("grundmandate", "2"),
                ]),
        };
        request.header(reqwest::header::COOKIE, cookie)
    }

    async fn worker(self: Arc<Self>, until: Instant) -> Tally {
        let mut tally = Tally::default();
        while Instant::now() < until {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            if self
                .args
                .requests
                .is_some_and(|limit| n.saturating_sub(self.args.first) >= limit)
            {
                break;
            }
            let token = {
                let tokens = self.tokens.lock().await;
                tokens[usize::try_from(n).unwrap_or(0) % tokens.len()].clone()
            };
            let started = Instant::now();
            // The whole body is part of the answer, and a body left unread
            // would cost the connection: the next request would open another.
            let reply = match self.request(n, &token).send().await {
                Ok(response) => {
                    let status = response.status();
                    let media = response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    response.bytes().await.map(|body| (status, media, body))
                }
                Err(e) => Err(e),
            };
            let took = started.elapsed();
            match reply {
                Ok((status, media, body)) => {
                    *tally.statuses.entry(status.as_u16()).or_default() += 1;
                    if status.is_success() {
                        tally.ok += 1;
                        tally.largest_body = tally.largest_body.max(body.len());
                        tally.latencies.push(took);
                        if let (Workload::Register, Some(file)) = (self.args.workload, &self.record)
                            && let Ok(body) = serde_json::from_slice::<Value>(&body)
                            && let Some(id) = body["id"].as_str()
                        {
                            let mut file = file.lock().await;
                            let _ = writeln!(file, "{id}");
                        }
                    } else {
                        tally.failed += 1;
                        tally.slowest_failure = tally.slowest_failure.max(took);
                        if self.args.via == Via::Api
                            && !media.starts_with("application/problem+json")
                        {
                            tally.errors_not_problem_json += 1;
                        }
                        if status == reqwest::StatusCode::UNAUTHORIZED && self.args.token.is_none()
                        {
                            let _ = self.log_in().await;
                        }
                    }
                }
                Err(_) => {
                    tally.failed += 1;
                    tally.slowest_failure = tally.slowest_failure.max(took);
                    *tally.statuses.entry(0).or_default() += 1;
                    // The instance is away (killed, restarting): do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        tally
    }
}

/// The day statutes count members on: 31 December of the year before.
fn end_of_last_year(today: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-12-31", today.year() - 1)
}

/// The same day as the pages' forms write it.
fn german_end_of_last_year(today: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("31.12.{}", today.year() - 1)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // As many threads as pgbench gets beside it in `scripts/bench-load.sh`
    // (`-j`): one client on one thread, where with two the connection's
    // task may read an answer on one and wake the request on the other.
    let runtime = if args.concurrency < 2 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
    };
    runtime.block_on(load(args))
}

async fn load(args: Args) -> anyhow::Result<()> {
    let record = match &args.record {
        Some(path) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        )),
        None => None,
    };
    let run = Arc::new(Run {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            // A page that sends a browser elsewhere (to sign in again) has
            // failed; and the sign-in's cookie comes with its redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        next: AtomicU64::new(args.first),
        tokens: Mutex::new(Vec::new()),
        record,
        args,
    });
    run.log_in().await?;
    let started = Instant::now();
    let until = started + Duration::from_secs(run.args.seconds);
    let workers: Vec<_> = (0..run.args.concurrency)
        .map(|_| tokio::spawn(run.clone().worker(until)))
        .collect();
    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await?;
        total.latencies.extend(tally.latencies);
        total.ok += tally.ok;
        total.failed += tally.failed;
        total.errors_not_problem_json += tally.errors_not_problem_json;
        total.slowest_failure = total.slowest_failure.max(tally.slowest_failure);
        total.largest_body = total.largest_body.max(tally.largest_body);
        for (status, count) in tally.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = total.latencies;
    let (p50, p95, p99) = (
        quantile_ms(&mut latencies, 0.5),
        quantile_ms(&mut latencies, 0.95),
        quantile_ms(&mut latencies, 0.99),
    );
    let throughput = total.ok as f64 / seconds;
    println!(
        "workload {:?} via {:?}: {} ok, {} failed in {seconds:.1} s = {throughput:.1} req/s; latency p50 {p50:.1} ms, p95 {p95:.1} ms, p99 {p99:.1} ms; largest answer {} bytes; statuses {:?}",
        run.args.workload, run.args.via, total.ok, total.failed, total.largest_body, total.statuses,
    );
    if let Some(path) = &run.args.summary {
        let summary = json!({
            "workload": format!("{:?}", run.args.workload).to_lowercase(),
            "via": format!("{:?}", run.args.via).to_lowercase(),
            "largest_body_bytes": total.largest_body,
            "seconds": seconds,
            "ok": total.ok,
            "failed": total.failed,
            "per_second": throughput,
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "statuses": total.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "errors_not_problem_json": total.errors_not_problem_json,
            "slowest_failure_ms": total.slowest_failure.as_secs_f64() * 1000.0,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&summary)?)?;
    }
    Ok(())
}

/// The `name=value` of the cookie `name` an answer sets.
fn cookie(response: &reqwest::Response, name: &str) -> anyhow::Result<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")))
        .and_then(|line| line.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no {name} cookie"))
}
