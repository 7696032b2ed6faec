//! Benchmark: imports generated members through `POST /members/import` and
//! times member searches at that size, over HTTP against the real router.
//!
//!     cargo bench -p kartei-tests --bench members
//!
//! `KARTEI_BENCH_MEMBERS` (default 100000) sets how many members; they go in
//! as files of at most 100,000 rows. `KARTEI_BENCH_DATABASES` (default
//! `sqlite,postgres`) picks the databases; PostgreSQL is reached as in the
//! tests (`KARTEI_TEST_POSTGRES_URL`). Results go to standard output as a
//! Markdown table; `docs/benchmarks.md` keeps the numbers.

use std::time::Instant;

use kartei_api::synthetic::{FIRST_NAMES, LAST_NAMES, NAME_SUFFIXES};
use kartei_tests::bench::{SAMPLES, peak_rss_mib, time_query};
use kartei_tests::{DISTRICT_DRESDEN, Db, STATE_OFFICE, TestApp};

const FILE_ROWS: usize = 100_000;

const DISTRICTS: [&str; 13] = [
    "DD", "BZ", "GR", "MEI", "PIR", "C", "ERZ", "FG", "V", "Z", "L", "LL", "TDO",
];

/// A small deterministic generator: the same data on every run.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() % from.len()]
    }
}

fn csv_file(sequence: &mut Sequence, offset: usize, rows: usize, districts: &[String]) -> String {
    let mut csv = String::with_capacity(rows * 160);
    csv.push_str("first_name;last_name;date_of_birth;email;street;postal_code;city;org_unit;received_on;joined_on;membership_number\n");
    for i in offset..offset + rows {
        let last = format!(
            "{}{}",
            sequence.pick(&LAST_NAMES),
            sequence.pick(&NAME_SUFFIXES)
        );
        let year = 1930 + sequence.next() % 60;
        let month = 1 + sequence.next() % 12;
        let day = 1 + sequence.next() % 28;
        let joined = 2005 + sequence.next() % 20;
        csv.push_str(&format!(
            "{first};{last};{year}-{month:02}-{day:02};m{i}@example.org;Hauptstraße {house};0{plz:04};Ort;{unit};{joined}-03-01;{joined}-03-15;{number}\n",
            first = sequence.pick(&FIRST_NAMES),
            house = 1 + i % 120,
            plz = 1067 + sequence.next() % 8000,
            unit = districts[sequence.next() % districts.len()],
            number = 1_000_000 + i,
        ));
    }
    csv
}

async fn run(db: Db, members: usize) {
    let app = TestApp::spawn_demo(db).await;
    let districts: Vec<String> = DISTRICTS.iter().map(|d| (*d).to_owned()).collect();
    let mut sequence = Sequence(0x5eed_cafe);

    println!("\n### {db:?}, {members} members\n");
    println!("| step | time |");
    println!("|---|---|");
    let mut offset = 0;
    while offset < members {
        let rows = FILE_ROWS.min(members - offset);
        let csv = csv_file(&mut sequence, offset, rows, &districts);
        let bytes = csv.len();
        let lgs = app.token_of(STATE_OFFICE).await;
        let started = Instant::now();
        let reply = app
            .post_text("/api/v1/members/import", &lgs, "text/csv", csv)
            .await;
        let took = started.elapsed();
        assert_eq!(
            reply.status,
            201,
            "{}",
            &reply.text[..reply.text.len().min(500)]
        );
        println!(
            "| import rows {}–{} ({:.1} MB) | {:.2} s ({:.0} rows/s) |",
            offset + 1,
            offset + rows,
            bytes as f64 / 1e6,
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64()
        );
        offset += rows;
    }
    println!(
        "| peak memory of the process (server and client) | {:.0} MiB |",
        peak_rss_mib()
    );

    let dd = app.token_of(DISTRICT_DRESDEN).await;
    let lgs = app.token_of(STATE_OFFICE).await;
    let first_page = app.get("/api/v1/members?limit=50", &dd).await;
    let cursor = first_page.body["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let queries: Vec<(&str, &str, String)> = vec![
        (
            "district office: first page of its district",
            &dd,
            "/api/v1/members?limit=50".into(),
        ),
        (
            "district office: next page (keyset cursor)",
            &dd,
            format!("/api/v1/members?limit=50&cursor={cursor}"),
        ),
        (
            "district office: name prefix `mül`",
            &dd,
            "/api/v1/members?q=m%C3%BCl&limit=50".into(),
        ),
        (
            "district office: name prefix `schmidt-`",
            &dd,
            "/api/v1/members?q=schmidt-&limit=50".into(),
        ),
        (
            "district office: status `left`",
            &dd,
            "/api/v1/members?status=left&limit=50".into(),
        ),
        (
            "state office: name prefix `koe` (all districts)",
            &lgs,
            "/api/v1/members?q=koe&limit=50".into(),
        ),
        (
            "state office: membership number",
            &lgs,
            format!("/api/v1/members?q={}", 1_000_000 + members / 2),
        ),
        (
            "state office: e-mail",
            &lgs,
            format!("/api/v1/members?q=m{}@example.org", members / 3),
        ),
    ];
    println!("\n| search (HTTP round trip, {SAMPLES} runs) | median | p95 | hits |");
    println!("|---|---|---|---|");
    for (label, token, path) in queries {
        let (median, p95, hits) = time_query(&app, token, &path).await;
        println!("| {label} | {median:.1} ms | {p95:.1} ms | {hits} |");
    }
}

fn main() {
    let members = std::env::var("KARTEI_BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let databases =
        std::env::var("KARTEI_BENCH_DATABASES").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for name in databases.split(',') {
        let db = match name.trim() {
            "sqlite" => Db::Sqlite,
            "postgres" => Db::Postgres,
            other => panic!("unknown database {other}"),
        };
        runtime.block_on(run(db, members));
    }
}
