#!/usr/bin/env bash
# Fail with a readable diff if anything generated (generated/hutch_api and the outputs of every
# scripts/gen_*.py) is not what the sources generate.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
scripts/generate.sh "$tmp" >/dev/null
paths=(generated/hutch_api)
shopt -s nullglob
for gen in scripts/gen_*.py; do
  while IFS= read -r p; do paths+=("$p"); done < <("$venv/bin/python" "$gen" --outputs)
done
stale=0
for p in "${paths[@]}"; do
  if ! diff -ruN -x __pycache__ "$p" "$tmp/$p"; then
    echo "$p is stale: run 'make generate' and commit the result" >&2
    stale=1
  fi
done
[ "$stale" = 0 ] || exit 1
echo "generated files match their sources: ${paths[*]}"
