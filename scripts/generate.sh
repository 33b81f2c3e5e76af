#!/usr/bin/env bash
# Regenerate the low-level client from openapi.yaml. Usage: scripts/generate.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-generated/hutch_api}"
venv="${VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
export PATH="$venv/bin:$PATH"   # the post_hooks find the pinned ruff on PATH
rm -rf "$out"
openapi-python-client generate --path openapi.yaml --config generator-config.yaml \
  --meta none --output-path "$out" --fail-on-warning
