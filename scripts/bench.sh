#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other, each printing its medians side by side.
# The SDK benchmark needs a running server: a temporary one is started for it and stopped after.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${VENV:-.venv}/bin/python"
export HUTCH_TEMPLATE_CACHE="${HUTCH_TEMPLATE_CACHE:-/var/tmp/hutch-template-cache}"

# bench-only tools, never on CI's install path: Debian's podman with runc, and podman-py (the `bench` extra)
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null
fi
"$py" -c 'import podman' 2>/dev/null || "${VENV:-.venv}/bin/pip" install -q -e '.[bench]'

echo "== issue 17's table: hutch, podman and the floors side by side (bench/bench_table.py)"
"$py" bench/bench_table.py
echo
echo "== files: 100 MB write and read hop by hop, with each process's CPU per transfer (bench/bench_files.py)"
"$py" bench/bench_files.py
echo

echo "== runtime: cold start, destroy, command round trip (bench/bench_runtime.py)"
"$py" bench/bench_runtime.py --data-dir /var/tmp/hutch-bench-runtime
echo
echo "== a pod's pause and usage through its agent vs the cgroup freezer (bench/bench_pod_pause.py)"
"$py" bench/bench_pod_pause.py
echo
echo "== server: create latency, concurrent creates, gateway overhead (bench/bench_server.py)"
"$py" bench/bench_server.py
echo
echo "== templates: rebuild of an unchanged template, create from a built template vs base (bench/bench_templates.py)"
"$py" bench/bench_templates.py
echo
echo "== resolver: another sandbox's lookups during one sandbox's DNS flood (bench/bench_dns_flood.py)"
"$py" bench/bench_dns_flood.py
echo
echo "== egress proxy: added HTTPS latency, 100 MB throughput, memory per sandbox (bench/bench_proxy.py)"
"$py" bench/bench_proxy.py
if [ -n "${HUTCH_SOAK_SECONDS:-}" ]; then  # optional: the soak is long; bench stays within 10 minutes without it
  echo
  echo "== soak: ${HUTCH_SOAK_WORKERS:-20} workers for ${HUTCH_SOAK_SECONDS} s, then leftovers (bench/soak.py)"
  "$py" bench/soak.py --workers "${HUTCH_SOAK_WORKERS:-20}" --duration "$HUTCH_SOAK_SECONDS"
fi
echo
echo "== SDK: overhead per call versus raw hutch_api (bench/bench_sdk.py), then run_code latency (bench/bench_code.py)"
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
key="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
data_dir=/var/tmp/hutch-bench-sdk
"${VENV:-.venv}/bin/hutch" serve --port "$port" --data-dir "$data_dir" --api-key "$key" --pool-size 2 \
  >/tmp/hutch-bench-sdk.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; "${VENV:-.venv}/bin/hutch" cleanup --data-dir $data_dir >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1200); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "bench: hutch serve exited; see /tmp/hutch-bench-sdk.log" >&2; exit 1; }
  sleep 0.5
done
HUTCH_API_KEY="$key" HUTCH_DOMAIN="127.0.0.1:$port" "$py" bench/bench_sdk.py -n 200
echo
HUTCH_API_KEY="$key" HUTCH_DOMAIN="127.0.0.1:$port" "$py" bench/bench_code.py
echo
echo "== volumes: create, a create that mounts one, files API and in-sandbox throughput (bench/bench_volumes.py)"
HUTCH_API_KEY="$key" HUTCH_DOMAIN="127.0.0.1:$port" "$py" bench/bench_volumes.py
