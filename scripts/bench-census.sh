#!/usr/bin/env bash
# The member counts at a cut-off day and the delegate key at the scale of
# issue 16, next to bare SQL: scripts/bench-load.sh with the workloads
# `counts` (GET /reports/members?as_of=<31 December of last year>) and
# `delegates` (GET /reports/delegates, 220 seats in pairs by Hare-Niemeyer
# after a double base mandate), which sets kartei beside its own statements
# run bare; then the straightforward SQL of the same question, every member
# read (scripts/bare-sql/member-counts.sql), one client for SECONDS.
#
#     scripts/bench-census.sh [SECONDS]          # default 20
#
# Same database and variables as scripts/bench-load.sh (kartei_load, filled
# by `kartei generate` when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
pg="${KARTEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
db=${KARTEI_BENCH_DATABASE:-kartei_load}
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)
# The bare statements run as kartei runs them: without JIT (ADR 0023).
export PGOPTIONS="-c jit=off"

WORKLOADS="counts delegates" scripts/bench-load.sh "$seconds"

day="$(( $(date +%Y) - 1 ))-12-31"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The straightforward count reads every member, where JIT pays off: it runs
# with the server's own setting.
(cd "$dir" && PGOPTIONS= "$pgbench" -n -M prepared -c 1 -T "$seconds" -D day="$day" \
  -f "$OLDPWD/scripts/bare-sql/member-counts.sql" -l --log-prefix=raw "$pg/$db" >/dev/null)
python3 - "$dir" "$day" <<'PY'
import glob, sys
d, day = sys.argv[1], sys.argv[2]
lat = sorted(int(line.split()[2]) / 1000 for f in glob.glob(d + "/raw*") for line in open(f))
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"straightforward member count on {day}, every member read: "
      f"{len(lat)} runs, p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms")
PY
