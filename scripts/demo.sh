#!/usr/bin/env bash
# `make demo`: run examples/quickstart.py against the local hutch serve, starting one if none answers.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"
port="${HUTCH_PORT:-7420}"
data_dir="${HUTCH_DATA_DIR:-$("$venv/bin/python" -c 'from hutchd.settings import default_data_dir; print(default_data_dir())')}"
log="${HUTCH_SERVE_LOG:-/tmp/hutch-serve-$port.log}"

healthy() { curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; }

if ! healthy; then
  echo "demo: no hutch serve on 127.0.0.1:$port; starting one (data in $data_dir, log in $log)"
  # Without HUTCH_API_KEY the server uses (or makes) the key stored in its data dir.
  : >"$log"  # exists before the tail starts (the server's shell opens it only once it runs)
  nohup "$venv/bin/hutch" serve --port "$port" --data-dir "$data_dir" >>"$log" 2>&1 &
  server=$!
  # The first start builds the base template with debootstrap: show its progress (logged at info,
  # shown at the default level) as it happens.
  tail -n +1 -F "$log" --pid "$server" 2>/dev/null &
  tailer=$!
  for _ in $(seq 1200); do
    healthy && break
    kill -0 "$server" 2>/dev/null || { kill "$tailer" 2>/dev/null; echo "demo: hutch serve exited; see $log" >&2; exit 1; }
    sleep 0.5
  done
  kill "$tailer" 2>/dev/null || true
  healthy || { echo "demo: hutch serve did not answer within 10 minutes; see $log" >&2; exit 1; }
  echo "demo: hutch serve is running (pid $server); stop it with: kill $server"
fi

if [ -z "${HUTCH_API_KEY:-}" ]; then
  key_file="$data_dir/api-key"
  [ -r "$key_file" ] || { echo "demo: set HUTCH_API_KEY (the server's key; none stored in $key_file)" >&2; exit 1; }
  HUTCH_API_KEY="$(grep -v '^#' "$key_file" | head -n 1 | sed 's/^[^:]*://')"
  export HUTCH_API_KEY
fi
export HUTCH_DOMAIN="127.0.0.1:$port"
# A create answers 503 (Retry-After) while `base` is still being built: wait for it here instead.
base_ready() { curl -fsS -H "X-API-Key: $HUTCH_API_KEY" "http://127.0.0.1:$port/templates/base" | grep -q '"ready": *true'; }
if ! base_ready; then
  echo "demo: waiting for the base template to be built (once per data dir; see $log)"
  for _ in $(seq 1200); do base_ready && break; sleep 0.5; done
fi
exec "$venv/bin/python" examples/quickstart.py
