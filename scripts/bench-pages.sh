#!/usr/bin/env bash
# The staff web application's pages next to the JSON API answering the same
# question, on PostgreSQL at the scale of issue 7 (issue 15's target: each
# page's p95 at most 2 ms above the API's, and under 150 KB). One release
# instance; for each workload (inbox, search, report) kartei-load asks the
# API and then the page (--via page, signed in with the session cookie),
# one request at a time, ROUNDS times in turn, so that both see the same
# machine. Prints the medians of the rounds.
#
#     scripts/bench-pages.sh [SECONDS]          # default 15 per run
#
# The database is the one of scripts/bench-load.sh (KARTEI_BENCH_DATABASE,
# default kartei_load, made by `kartei generate` when missing); each run
# works on a copy of it. KEEP=1 keeps the working folder.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
seconds=${1:-15}
rounds=${ROUNDS:-3}
workloads=${WORKLOADS:-inbox search report}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kartei-target}"
pg="${KARTEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
db=${KARTEI_BENCH_DATABASE:-kartei_load}

cargo build --quiet --release -p kartei-api -p kartei-tests --bin kartei --bin kartei-load
bin="$CARGO_TARGET_DIR/release"
export KARTEI__LOG__FILTER=warn

if ! psql "$pg/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$pg/postgres" -qc "CREATE DATABASE $db"
  KARTEI__DATABASE__URL="$pg/$db" "$bin/kartei" migrate >/dev/null
  KARTEI__DATABASE__URL="$pg/$db" "$bin/kartei" generate \
    --members "${MEMBERS:-2000000}" --applications "${APPLICATIONS:-500000}"
fi
run_db="${db}_pages_$$"
psql "$pg/postgres" -qc "CREATE DATABASE $run_db TEMPLATE $db STRATEGY FILE_COPY"
export KARTEI__DATABASE__URL="$pg/$run_db"
dir=$(mktemp -d)
port=$(free_port)
export KARTEI__MAIL__FILE_DIR="$dir/mail"
# As in bench-load.sh: no retention backlog on the same two cores.
export KARTEI__RETENTION__YEARS_AFTER_LEAVING=100 KARTEI__RETENTION__DAYS_AFTER_CLOSING=36500
KARTEI__SERVER__ADDRESS="127.0.0.1:$port" "$bin/kartei" serve >>"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
      psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $run_db WITH (FORCE)"
      [ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"' EXIT
wait_until_ready "http://127.0.0.1:$port" 600
sleep 5

for round in $(seq 1 "$rounds"); do
  for workload in $workloads; do
    for via in api page; do
      "$bin/kartei-load" --target "http://127.0.0.1:$port" --workload "$workload" --via "$via" \
        --seconds "$seconds" --concurrency 1 --summary "$dir/${workload}_${via}_$round.json" >/dev/null
    done
  done
done

python3 - "$dir" "$rounds" $workloads <<'PY'
import json, statistics, sys

d, rounds, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def runs(w, via):
    return [json.load(open(f"{d}/{w}_{via}_{r}.json")) for r in range(1, rounds + 1)]
def median(rs, key):
    return statistics.median(r[key] for r in rs)
print("| workload | API p50 / p95 ms | page p50 / p95 ms | page p95 - API p95 | largest page | failed |")
print("|---|---|---|---|---|---|")
for w in workloads:
    api, page = runs(w, "api"), runs(w, "page")
    failed = sum(r["failed"] for r in api + page)
    largest = max(r["largest_body_bytes"] for r in page)
    print(f"| {w} | {median(api, 'p50_ms'):.2f} / {median(api, 'p95_ms'):.2f} "
          f"| {median(page, 'p50_ms'):.2f} / {median(page, 'p95_ms'):.2f} "
          f"| {median(page, 'p95_ms') - median(api, 'p95_ms'):+.2f} ms | {largest / 1024:.1f} KiB | {failed} |")
PY
