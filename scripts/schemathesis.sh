#!/usr/bin/env bash
# Hostile input: schemathesis (PyPI) generates requests from the OpenAPI
# document of a fresh kartei (embedded SQLite, demo data) and sends them
# with an admin token. Fails on any server error, any response whose status,
# media type or body the document does not describe. Bounded by
# SCHEMATHESIS_EXAMPLES per operation (default 30); SCHEMATHESIS_SEED
# (default 1) makes a run repeatable.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kartei-target}"

if ! command -v schemathesis >/dev/null 2>&1; then
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check schemathesis
fi
cargo build --quiet --bin kartei

dir=$(mktemp -d)
port=$(free_port)
base="http://127.0.0.1:$port"
KARTEI__DATABASE__URL="sqlite://$dir/kartei.db?mode=rwc" \
KARTEI__SERVER__ADDRESS="127.0.0.1:$port" \
KARTEI__MAIL__FILE_DIR="$dir/mail" \
KARTEI__LOG__FILTER=warn \
  "$CARGO_TARGET_DIR/debug/kartei" serve >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT

wait_until_ready "$base" 30
token=$(curl -fs "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@kartei.example","password":"kartei-demo-2026"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

schemathesis run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance

if grep -q "panicked" "$dir/serve.log"; then
  echo "the server logged a panic" >&2
  exit 1
fi
