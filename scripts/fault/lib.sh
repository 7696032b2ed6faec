# Shared by the fault runs (scripts/fault-*.sh): builds kartei and
# kartei-load, creates a database kartei_fault_* on the PostgreSQL server,
# starts aiosmtpd and kartei instances, waits for the outbox to drain and
# checks the outcome with scripts/fault/check.py. Sourced, not run.
#
# KARTEI_PROFILE=debug|release (default release) picks the build;
# KARTEI_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432)
# the server; KEEP=1 keeps the working folder and the database.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
profile=${KARTEI_PROFILE:-release}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kartei-target}"
pg="${KARTEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"

flag=()
[ "$profile" = release ] && flag=(--release)
# One invocation for both binaries: built apart, the shared dependencies get
# different features and every alternate build rebuilds them.
cargo build --quiet "${flag[@]}" -p kartei-api -p kartei-tests --bin kartei --bin kartei-load
bin="$CARGO_TARGET_DIR/$profile"

dir=$(mktemp -d)
db="kartei_fault_$(date +%s)_$$"
url="$pg/$db"
declare -a ports pids
smtp=""
cleanup() {
  for pid in "${pids[@]:-}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$smtp" ] && kill "$smtp" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "kept $dir and database $db"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

smtp_port=$(free_port)
# aiosmtpd appends every message it accepts to a maildir the check reads.
start_smtp() {
  python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$dir/maildir" \
    >>"$dir/smtp.log" 2>&1 &
  smtp=$!
  for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "aiosmtpd did not start" >&2
  return 1
}

# The lease after which a message claimed by a worker that died is due
# again (production default 600 s); the runs shorten it so that it falls
# within the run. The mechanism is the same.
lease=${LEASE_SECONDS:-20}
export KARTEI__DATABASE__URL="$url"
export KARTEI__MAIL__TRANSPORT=smtp KARTEI__MAIL__SMTP_HOST=127.0.0.1
export KARTEI__MAIL__SMTP_PORT="$smtp_port" KARTEI__MAIL__SMTP_TLS=none
export KARTEI__MAIL__POLL_SECONDS=1 KARTEI__MAIL__LEASE_SECONDS=$lease KARTEI__LOG__FILTER=warn

prepare_database() {
  psql "$pg/postgres" -qc "CREATE DATABASE $db"
  "$bin/kartei" migrate >/dev/null
  "$bin/kartei" seed-demo >/dev/null
}

# start_instance N: kartei serve on ports[N], waits until it is ready.
start_instance() {
  [ -n "${ports[$1]:-}" ] || ports[$1]=$(free_port)
  KARTEI__SERVER__ADDRESS="127.0.0.1:${ports[$1]}" "$bin/kartei" serve >>"$dir/serve$1.log" 2>&1 &
  pids[$1]=$!
  wait_until_ready "http://127.0.0.1:${ports[$1]}"
}

# start_load SECONDS CONCURRENCY: register load round-robin over every
# instance started, in the background ($load); acknowledged ids go to
# acknowledged.txt, the figures to load.txt and load.json.
start_load() {
  local targets=()
  for port in "${ports[@]}"; do targets+=(--target "http://127.0.0.1:$port"); done
  "$bin/kartei-load" --workload register --seconds "$1" --concurrency "$2" "${targets[@]}" \
    --record "$dir/acknowledged.txt" --summary "$dir/load.json" >"$dir/load.txt" &
  load=$!
}

# Waits until every outbox message is sent, giving up only when nothing
# changed for the lease plus MAX_STILL seconds (default 60).
wait_for_outbox() {
  local last=-1 still=0 left started
  started=$(date +%s)
  while :; do
    left=$(psql "$url" -tAc "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")
    [ "$left" = 0 ] && break
    if [ "$left" = "$last" ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge $((lease + ${MAX_STILL:-60})) ] && break
    last=$left
    sleep 1
  done
  echo "outbox drained in $(($(date +%s) - started)) s after the load"
}

# check [--max-copies N] [--allow-status LIST]: compares what was acknowledged, stored, queued
# and received; prints the figures and PASS or FAIL.
check() {
  psql "$url" -c "SELECT status, attempts, last_error, COUNT(*) FROM outbox GROUP BY 1, 2, 3 ORDER BY 4 DESC"
  psql "$url" -tAc "SELECT id FROM applications" >"$dir/stored.txt"
  psql "$url" -tAc "SELECT email FROM applications" >"$dir/emails.txt"
  psql "$url" -tAc "SELECT message_id || ' ' || status FROM outbox" >"$dir/outbox.txt"
  python3 scripts/fault/check.py "$dir" "$@"
}
