#!/usr/bin/env bash
# Regenerate everything derived from the contract. Usage: scripts/generate.sh [ROOT]
# ROOT (default: this checkout) receives generated/hutch_api from openapi.yaml, then every
# scripts/gen_*.py runs as `python scripts/gen_X.py ROOT` and writes the files it owns under ROOT
# (`python scripts/gen_X.py --outputs` lists them, relative to ROOT, for check_generated.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-.}"
venv="${VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
export PATH="$venv/bin:$PATH"   # the post_hooks find the pinned ruff on PATH
out="$root/generated/hutch_api"
rm -rf "$out"
mkdir -p "$root/generated"
openapi-python-client generate --path openapi.yaml --config generator-config.yaml \
  --meta none --output-path "$out" --fail-on-warning
shopt -s nullglob
for gen in scripts/gen_*.py; do
  "$venv/bin/python" "$gen" "$root"
done
