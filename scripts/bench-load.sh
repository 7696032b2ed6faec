#!/usr/bin/env bash
# kartei next to bare SQL, on PostgreSQL at the scale of issue 7: for each
# workload of kartei-load, one release instance of kartei under load, then
# the same SQL statements (what kartei ran for one request of that
# workload, recorded at the start of the run by scripts/bare-sql/capture.sh)
# driven by pgbench with as many clients against the same database. Also
# the server's resident memory idle and under load. KEEP=1 keeps the
# working folder (the recorded pgbench scripts, pgbench's output).
#
#     scripts/bench-load.sh [SECONDS]          # default 20 per workload
#
# KARTEI_BENCH_DATABASE (default kartei_load) on KARTEI_TEST_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432) holds the generated history:
# when it does not exist it is created and filled by `kartei generate` with
# MEMBERS (2,000,000) and APPLICATIONS (500,000), about five minutes. Each
# run works on a copy of it (CREATE DATABASE ... TEMPLATE, dropped after),
# so that the registrations of one run do not change the next one's data.
# CONCURRENCY (16) requests or pgbench clients at once. ROUNDS (3): kartei
# and the bare statements take turns this many times, each turn SECONDS
# long, and the table gives the medians of the turns: a neighbour on the
# host takes the cores in phases (steal time), and adjacent turns share
# them. WORKLOADS (search
# inbox report counts delegates register): register last, since its 30,000 or so new open
# declarations make the report's open items, and its mail keeps the outbox
# worker busy for a while.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
seconds=${1:-20}
workloads=${WORKLOADS:-search inbox report counts delegates register}
concurrency=${CONCURRENCY:-16}
rounds=${ROUNDS:-3}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kartei-target}"
pg="${KARTEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
db=${KARTEI_BENCH_DATABASE:-kartei_load}
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)
# The bare statements run as kartei runs them: without JIT (ADR 0023).
export PGOPTIONS="-c jit=off"
# Both sides talk to the database on this host as a deployment on one host
# does (README, "PostgreSQL"): without TLS, which on the loopback only costs,
# and costs kartei's rustls more than pgbench's OpenSSL (docs/benchmarks.md).
# PGSSLMODE=prefer measures them with it.
export PGSSLMODE=${PGSSLMODE:-disable}

# One invocation for both binaries: built apart, the shared dependencies get
# different features and every alternate build rebuilds them.
cargo build --quiet --release -p kartei-api -p kartei-tests --bin kartei --bin kartei-load
bin="$CARGO_TARGET_DIR/release"
export KARTEI__LOG__FILTER=warn

if ! psql "$pg/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$pg/postgres" -qc "CREATE DATABASE $db"
  KARTEI__DATABASE__URL="$pg/$db" "$bin/kartei" migrate >/dev/null
  KARTEI__DATABASE__URL="$pg/$db" "$bin/kartei" generate \
    --members "${MEMBERS:-2000000}" --applications "${APPLICATIONS:-500000}"
fi
run_db="${db}_run_$$"
psql "$pg/postgres" -qc "CREATE DATABASE $run_db TEMPLATE $db STRATEGY FILE_COPY"
# The copy is some gigabytes the kernel would write back during the first
# runs, on the same disk and cores: written out before anything is timed.
sync
url="$pg/$run_db"
export KARTEI__DATABASE__URL="$url"

dir=$(mktemp -d)
port=$(free_port)
export KARTEI__MAIL__FILE_DIR="$dir/mail"
# The generated history holds some 400,000 applications closed more than a
# year ago; the retention job (run at start) would anonymise them one by
# one for half an hour, on the same two cores as the runs. A kept database
# has no such backlog, so the runs move the retention periods out of reach.
export KARTEI__RETENTION__YEARS_AFTER_LEAVING=100 KARTEI__RETENTION__DAYS_AFTER_CLOSING=36500
server=
start_server() {
  KARTEI__SERVER__ADDRESS="127.0.0.1:$port" "$bin/kartei" serve >>"$dir/serve.log" 2>&1 &
  server=$!
  wait_until_ready "http://127.0.0.1:$port"
}
stop_server() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap 'stop_server; psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $run_db WITH (FORCE)"
      [ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"' EXIT

# What one request of each workload runs, from an instance with nothing
# else to do: its outbox worker asleep, its start-up jobs done, and its
# daily digest, whose job reads the database every minute once the digest
# is due, not due before the last minute of the day (a capture in that
# minute records the job's statements too).
mkdir "$dir/bare"
KARTEI__MAIL__POLL_SECONDS=3600 KARTEI__REMINDERS__DIGEST_TIME=23:59 start_server
sleep 2
# kartei-load's search asks the forty synthetic last names in turn
# (`kartei_app::synthetic::LAST_NAMES`), and the prefixes do not cost
# PostgreSQL the same (docs/benchmarks.md, 2026-12-03): the bare side asks
# the same forty. Each
# request is recorded apart and its variables renamed, so that the forty
# scripts (pgbench picks one at random per transaction) keep their values.
search_scripts=()
for workload in $workloads; do
  if [ "$workload" != search ]; then
    scripts/bare-sql/capture.sh "http://127.0.0.1:$port" "$url" "$bin/kartei-load" "$workload" "$dir/bare"
    continue
  fi
  : >"$dir/bare/search_all.vars"
  for i in $(seq 0 39); do
    scripts/bare-sql/capture.sh "http://127.0.0.1:$port" "$url" "$bin/kartei-load" search "$dir/bare" "$i"
    sed "s/:w\([0-9]\)/:r${i}w\1/g" "$dir/bare/search_$i.sql" >"$dir/search_$i.sql"
    sed "s/^w/r${i}w/" "$dir/bare/search_$i.vars" >>"$dir/bare/search_all.vars"
    search_scripts+=(-f "$dir/search_$i.sql")
  done
done
stop_server
start_server

sql() { psql "$url" -tAc "$1"; }
lgs=$(sql "SELECT id FROM users WHERE email = 'lgs@kartei.example'")
kv=$(sql "SELECT id FROM users WHERE email = 'kv-dresden@kartei.example'")
dresden=$(sql "SELECT org_unit_id FROM users WHERE email = 'kv-dresden@kartei.example'")
# The bare registrations go to the districts of kartei-load's postal codes
# (its POSTAL_CODES), one pgbench script per code, picked at random.
register_scripts=()
for code in 01067 01097 01099 01217 04109 04277 04315 09111 09126 08056 02625 02826 01662 01796 09599 08523; do
  [ -f "$dir/bare/register.sql" ] || break
  district=$(sql "SELECT CASE WHEN u.kind = 'local' THEN u.parent_id ELSE u.id END
                  FROM routing_rules r JOIN org_units u ON u.id = r.org_unit_id WHERE r.postal_code = '$code'")
  sed -e "s/:district/'$district'/g" -e "s/'01067'/'$code'/g" "$dir/bare/register.sql" >"$dir/register_$code.sql"
  register_scripts+=(-f "$dir/register_$code.sql")
done

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; }
sleep 5
idle_before=$(rss)

# Each workload twice: one request at a time (latency without queueing)
# and CONCURRENCY at once (throughput; on two cores latency is then mostly
# waiting for a core).
run() { # WORKLOAD CLIENTS ROUND
  local workload=$1 clients=$2 turn="$1_$2_$3" scripts user vars="$dir/bare/$1.vars"
  "$bin/kartei-load" --target "http://127.0.0.1:$port" --workload "$workload" \
    --seconds "$seconds" --concurrency "$clients" --summary "$dir/kartei_$turn.json" >/dev/null
  case $workload in
    register) scripts=("${register_scripts[@]}") user=$lgs ;;
    report | counts | delegates) scripts=(-f "$dir/bare/$workload.sql") user=$lgs ;;
    search) scripts=("${search_scripts[@]}") user=$kv vars="$dir/bare/search_all.vars" ;;
    *) scripts=(-f "$dir/bare/$workload.sql") user=$kv ;;
  esac
  local values=()
  while IFS= read -r value; do [ -n "$value" ] && values+=(-D "$value"); done <"$vars"
  (cd "$dir" && "$pgbench" -n -M prepared -c "$clients" -j "$((clients < 2 ? 1 : 2))" -T "$seconds" "${scripts[@]}" \
    "${values[@]}" -D user="$user" -D district="$dresden" -l --log-prefix="bare_$turn" "$url" \
    >"$dir/pgbench_$turn.txt" 2>&1) || { cat "$dir/pgbench_$turn.txt"; exit 1; }
}
for workload in $workloads; do
  # The highest resident memory while the workload runs.
  (peak=0; while kill -0 "$server" 2>/dev/null; do
     now=$(rss); [ "$now" -gt "$peak" ] && peak=$now && echo "$peak" >"$dir/peak_$workload"
     sleep 0.2
   done) &
  sampler=$!
  # Start each workload on a quiet server: the writes of the one before
  # leave mail to send, a checkpoint and autovacuum behind.
  for _ in $(seq 1 600); do
    [ "$(sql "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")" = 0 ] && break
    sleep 1
  done
  psql "$url" -qc "CHECKPOINT" && sleep 5
  for round in $(seq 1 "$rounds"); do
    run "$workload" 1 "$round"
    run "$workload" "$concurrency" "$round"
  done
  kill "$sampler" 2>/dev/null || true
done
sleep 10
idle_after=$(rss)

python3 - "$dir" "$idle_before" "$idle_after" "$concurrency" "$rounds" $workloads <<'PY'
import glob, json, re, statistics, sys

d, idle_before, idle_after, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rounds = range(1, int(sys.argv[5]) + 1)
workloads = sys.argv[6:]
median = statistics.median

def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

def bare(w, clients, r):
    latencies = []
    for log in glob.glob(f"{d}/bare_{w}_{clients}_{r}.*"):
        for line in open(log):
            latencies.append(int(line.split()[2]) / 1000)
    tps = float(re.search(r"tps = ([\d.]+)", open(f"{d}/pgbench_{w}_{clients}_{r}.txt").read()).group(1))
    return tps, quantile(latencies, 0.5), quantile(latencies, 0.95)

def kartei(w, clients, r):
    return json.load(open(f"{d}/kartei_{w}_{clients}_{r}.json"))

print(f"medians of {len(rounds)} turns each; the ratios are the medians of each turn's ratio\n")
print(f"| workload | one at a time: kartei p50 / p95 ms | bare SQL p50 / p95 ms | p95 ratio "
      f"| {n} at once: kartei req/s | bare tx/s | ratio | kartei p95 ms | bare p95 ms | peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
for w in workloads:
    k1 = [kartei(w, 1, r) for r in rounds]
    kn = [kartei(w, n, r) for r in rounds]
    b1 = [bare(w, 1, r) for r in rounds]
    bn = [bare(w, n, r) for r in rounds]
    peak = int(open(f"{d}/peak_{w}").read()) / 1024
    print(f"| {w} | {median(k['p50_ms'] for k in k1):.1f} / {median(k['p95_ms'] for k in k1):.1f} "
          f"| {median(b[1] for b in b1):.1f} / {median(b[2] for b in b1):.1f} "
          f"| {median(k['p95_ms'] / b[2] for k, b in zip(k1, b1)):.2f} "
          f"| {median(k['per_second'] for k in kn):.0f} | {median(b[0] for b in bn):.0f} "
          f"| {median(k['per_second'] / b[0] for k, b in zip(kn, bn)):.2f} "
          f"| {median(k['p95_ms'] for k in kn):.1f} | {median(b[2] for b in bn):.1f} | {peak:.0f} |")
    print("  p95 ratio of each turn: " + ", ".join(f"{k['p95_ms'] / b[2]:.2f}" for k, b in zip(k1, b1)))
    for k in k1 + kn:
        failed = {s: c for s, c in k["statuses"].items() if not s.startswith("2")}
        if failed:
            print(f"  ({w}: failed requests {failed})")
print(f"\nresident memory idle: {idle_before / 1024:.0f} MiB after start, {idle_after / 1024:.0f} MiB after the runs")
PY
