#!/usr/bin/env bash
# Fault run: three kartei instances on one PostgreSQL database under the
# `register` load of kartei-load; halfway through, one instance is killed
# with SIGKILL and started again. Then it checks that every registration
# answered 201 exists, that no declaration was stored twice, that every
# e-mail of the outbox reached the SMTP server (aiosmtpd), and that a second
# copy exists only for messages in flight at the kill (at most one batch of
# 20), carrying the same Message-ID.
#
#     scripts/fault-kill.sh [SECONDS]        # default 30 s of load
#
# Settings: see scripts/fault/lib.sh.
source "$(dirname "$0")/fault/lib.sh"
seconds=${1:-30}

prepare_database
start_smtp
for i in 0 1 2; do start_instance "$i"; done

start_load "$seconds" 12
sleep $((seconds / 2))
kill -9 "${pids[1]}"
echo "killed instance 1 (SIGKILL) after $((seconds / 2)) s"
wait "${pids[1]}" 2>/dev/null || true
sleep 2
start_instance 1
echo "instance 1 started again"
wait "$load"
cat "$dir/load.txt"

# The batch the killed worker held is sent once its lease has run out.
wait_for_outbox
# Requests to the killed instance get no answer (status 0); the others
# must not fail.
check --max-copies 20 --allow-status 0
