#!/usr/bin/env bash
# Regression-suite figures for an install_only archive (default: the one in dist/):
# wall time of the quick and full tiers, test files run / skipped / failed, and the
# size of each skip-list category. Run from the project root after ./run build.
# The full tier takes about an hour under qemu on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${1:-$(ls dist/*-install_only.tar.gz | head -n 1)}
results=benchmarks/results
mkdir -p "$results"
out="$results/$(date -u +%Y%m%d)-$(uname -m)-regrtest.txt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(uname -m), $(nproc) cores"
  echo "archive: $(basename "$archive")"
  for tier in quick full; do
    ./run regrtest "$archive" --tier "$tier" --output-dir "$work" >/dev/null 2>&1 || true
    .venv/bin/python benchmarks/regrtest_figures.py "$work"/*.regrtest-"$tier".json
  done
} | tee "$out"
