#!/usr/bin/env bash
# Fault run: the SMTP server away for several minutes under `register` load
# on three kartei instances. Registrations must go on (the outbox keeps the
# mail), and once the server is back every message must arrive, none twice.
#
#     scripts/fault-smtp.sh [DOWN_SECONDS]       # default 180
#
# The load runs 10 s before the outage, through it, and 10 s after.
# Settings: see scripts/fault/lib.sh.
source "$(dirname "$0")/fault/lib.sh"
down=${1:-180}

prepare_database
start_smtp
for i in 0 1 2; do start_instance "$i"; done

start_load $((down + 20)) "${CONCURRENCY:-4}"
sleep 10
kill "$smtp"
wait "$smtp" 2>/dev/null || true
echo "SMTP server stopped"
sleep "$down"
start_smtp
echo "SMTP server started again after $down s"
wait "$load"
cat "$dir/load.txt"

# Messages that failed during the outage wait out their backoff (30 s,
# 1 min, 2 min, ...) before the next attempt.
MAX_STILL=600 wait_for_outbox
check --max-copies 0 --allow-status none
