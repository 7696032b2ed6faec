# Shell helpers of the scripts in scripts/ (sourced, not run).

# A TCP port that was free a moment ago.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until_ready BASE_URL [SECONDS]: waits for /health/ready (default
# ten seconds).
wait_until_ready() {
  for _ in $(seq 1 $((${2:-10} * 10))); do
    curl -fs "$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "kartei at $1 did not become ready" >&2
  return 1
}
