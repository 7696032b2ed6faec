#!/usr/bin/env bash
# Records the SQL that one kartei request of a workload runs and turns it
# into a pgbench script, OUT/WORKLOAD.sql (with WORKLOAD.vars and the
# WORKLOAD.substitutions.json it was made with), so that bench-load.sh
# compares kartei with exactly the statements of the code and the day it
# runs on.
#
#     scripts/bare-sql/capture.sh BASE_URL DATABASE_URL KARTEI_LOAD WORKLOAD OUT [FIRST]
#
# FIRST records request number FIRST of the workload (kartei-load --first)
# instead of the first one, into OUT/WORKLOAD_FIRST.sql and so on.
#
# BASE_URL is a running kartei on DATABASE_URL (PostgreSQL, a database of
# its own: every statement logged for that database name is the request's,
# so the instance must be quiet otherwise: no other client, and its outbox
# worker put to sleep with a long mail.poll_seconds).
# Statement logging is switched on for the whole cluster (ALTER SYSTEM and a
# reload, so that kartei's pooled connections log too) for the one request
# and reset at once. PG_LOG names the server's log file (default: the one
# pg_lsclusters gives).
set -euo pipefail
base=$1 url=$2 load=$3 workload=$4 out=$5 first=${6:-}
name=$workload${first:+_$first}
here="$(cd "$(dirname "$0")" && pwd)"
db=${url##*/}
pg_log=${PG_LOG:-$(pg_lsclusters -h | awk '$4 == "online" { print $7; exit }')}
sql() { psql "$url" -tAc "$1"; }
# Through another database, so that switching the log is not logged as the
# request's.
logging() { psql "${url%/*}/postgres" -qc "ALTER SYSTEM $1" -c "SELECT pg_reload_conf()" >/dev/null; }

case $workload in
  register | report | counts | delegates) who=lgs@kartei.example ;;
  *) who=kv-dresden@kartei.example ;;
esac
token=$(curl -fs "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$who\",\"password\":\"kartei-demo-2026\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

work=$(mktemp -d)
trap 'logging "RESET log_statement"; rm -rf "$work"' EXIT
offset=$(stat -c %s "$pg_log")
logging "SET log_statement = 'all'"
sleep 1
"$load" --target "$base" --workload "$workload" --token "$token" --requests 1 --concurrency 1 \
  --first "${first:-0}" --seconds 30 --record "$work/id" >/dev/null
sleep 1
logging "RESET log_statement"
tail -c +"$((offset + 1))" "$pg_log" >"$work/all.log"

# The values that stand for the run's user and district, and for a
# registration every value that must be new in each transaction, as
# "what|value" lines; the SQL that replaces each (see from-log.py) is made
# below.
facts() { psql "$url" -tA -F $'\n' -c "$1"; }
{
  echo "user|$(sql "SELECT id FROM users WHERE email = '$who'")"
  echo "district|$(sql "SELECT org_unit_id FROM users WHERE email = 'kv-dresden@kartei.example'")"
  if [ "$workload" = register ]; then
    app=$(cat "$work/id")
    echo "application|$app"
    facts "SELECT kind || '|' || id FROM application_events WHERE application_id = '$app'"
    facts "SELECT 'mail|' || id, 'message_id|' || message_id FROM outbox WHERE body LIKE '%$app%'"
    facts "SELECT 'email|' || email, 'email|' || email_key, 'name|' || last_name, 'name|' || last_name_key,
                  'postal_code|' || postal_code, 'today|' || received_on FROM applications WHERE id = '$app'"
    # The clocks the request set, as the log shows them.
    PGTZ=UTC facts "SELECT DISTINCT 'clock|' || t FROM applications a, LATERAL (VALUES
        (registered_at), (routed_at), (stage_started_at), (updated_at)) v(t) WHERE a.id = '$app'
        UNION SELECT 'clock|' || occurred_at FROM application_events WHERE application_id = '$app'
        UNION SELECT 'clock|' || created_at FROM outbox WHERE body LIKE '%$app%'"
  fi
} | python3 -c '
import json, re, sys
new = "\x27 || :client_id::text || \x27 \x27 || :n::text"
def unique(what):
    return f"md5(\x27{what} {new})"
def replacement(what, value):
    match what:
        case "user" | "district": return ":" + what
        case "mail": return unique("mail") + "::uuid"
        case "message_id": return "\x27<\x27 || " + unique("mail") + " || \x27@kartei>\x27"
        case "email": return "\x27bare\x27 || :client_id::text || \x27-\x27 || :n::text || \x27@example.org\x27"
        case "name": return "\x27" + re.sub(r"-[0-9]+$", "", value) + "-\x27 || :n::text"
        case "postal_code": return "\x27" + value + "\x27"
        case "today": return "current_date"
        case "clock": return "now()"
        case _: return unique(what) + "::uuid"  # the application and its events
pairs = (line.rstrip("\n").split("|", 1) for line in sys.stdin if line.strip())
json.dump({value: replacement(what, value) for what, value in pairs}, sys.stdout, indent=2, ensure_ascii=False)
print()' >"$out/$name.substitutions.json"

# Only the entries of this database; a statement entry runs on over its
# continuation lines.
python3 - "$work/all.log" "@$db " >"$work/request.log" <<'PY'
import re, sys
text, tag = open(sys.argv[1]).read(), sys.argv[2]
entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC )", text)
print("\n".join(e for e in entries if tag in e.split("\n", 1)[0]))
PY
python3 "$here/from-log.py" "$work/request.log" "$out/$name"
