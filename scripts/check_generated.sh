#!/usr/bin/env bash
# Fail with a readable diff if generated/ is not what openapi.yaml generates.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
scripts/generate.sh "$tmp/hutch_api" >/dev/null
if ! diff -ruN -x __pycache__ generated/hutch_api "$tmp/hutch_api"; then
  echo "generated/hutch_api is stale: run 'make generate' and commit the result" >&2
  exit 1
fi
echo "generated/hutch_api matches openapi.yaml"
