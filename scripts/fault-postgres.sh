#!/usr/bin/env bash
# Fault run: PostgreSQL stopped and started again under `register` load on
# three kartei instances. While it is down, /health/ready must answer 503
# and requests 503 problem+json, promptly (a probe asks both every quarter
# second and times them); afterwards kartei must serve again by itself, no
# restart, and every registration answered 201 must exist exactly once and
# every e-mail reach the SMTP server.
#
#     scripts/fault-postgres.sh [SECONDS] [DOWN_SECONDS]   # default 60, 20
#
# It stops the whole local cluster (pg_ctlcluster): do not run it while
# other work uses that server. Settings: see scripts/fault/lib.sh.
source "$(dirname "$0")/fault/lib.sh"
seconds=${1:-60}
down=${2:-20}
version=$(ls /etc/postgresql | sort -n | tail -n 1)

prepare_database
start_smtp
for i in 0 1 2; do start_instance "$i"; done

base="http://127.0.0.1:${ports[0]}"
token=$(curl -fs "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"lgs@kartei.example","password":"kartei-demo-2026"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
probe() {
  while :; do
    echo "$(date +%s.%N) ready $(curl -s -o /dev/null --max-time 30 \
      -w '%{http_code} %{time_total} %{content_type}' "$base/health/ready")"
    echo "$(date +%s.%N) api $(curl -s -o /dev/null --max-time 30 \
      -w '%{http_code} %{time_total} %{content_type}' \
      -H "Authorization: Bearer $token" "$base/api/v1/applications?limit=1")"
    sleep 0.25
  done
}
probe >"$dir/probe.txt" &
prober=$!

start_load "$seconds" 12
sleep $((seconds / 4))
pg_ctlcluster --skip-systemctl-redirect "$version" main stop -m fast
date +%s.%N >"$dir/stopped_at"
echo "PostgreSQL stopped after $((seconds / 4)) s"
sleep "$down"
date +%s.%N >"$dir/started_at"
pg_ctlcluster --skip-systemctl-redirect "$version" main start
echo "PostgreSQL started again after $down s"
wait "$load"
kill "$prober"
cat "$dir/load.txt"

python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
stopped = float(open(f"{d}/stopped_at").read())
started = float(open(f"{d}/started_at").read())
rows = [line.split() for line in open(f"{d}/probe.txt") if len(line.split()) >= 4]
ok = True
# A probe counts when it was asked and answered while the server was
# down; the limits are readiness's own deadline (2 s) and the pool's wait
# for a connection (5 s), each with a second to spare.
for what, limit in (("ready", 3.0), ("api", 6.0)):
    seen = [(float(r[0]), r[2], float(r[3]), r[4] if len(r) > 4 else "") for r in rows if r[1] == what]
    during = [s for s in seen if s[0] >= stopped and s[0] + s[2] <= started]
    after = [s for s in seen if s[0] > started and s[1] == "200"]
    statuses = sorted({s[1] for s in during})
    slowest = max((s[2] for s in during), default=0)
    media = sorted({s[3] for s in during})
    back = after[0][0] - started if after else float("inf")
    print(f"{what}: while down {len(during)} probes, statuses {statuses}, media {media}, "
          f"slowest {slowest * 1000:.0f} ms; first 200 {back:.1f} s after the start")
    if not during or statuses != ["503"] or media != ["application/problem+json"] \
            or slowest > limit or back > 30:
        ok = False
print("probe PASS" if ok else "probe FAIL")
sys.exit(0 if ok else 1)
PY

wait_for_outbox
# A batch whose sends finished while the database was away cannot be
# marked sent; it is sent again after its lease: at most one batch per
# instance. Requests may fail only with 503.
check --max-copies 60 --allow-status 503
