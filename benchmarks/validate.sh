#!/usr/bin/env bash
# Validator figures for archives (default: those in dist/): wall time of the
# validator including extraction (three runs), the time of the checks alone,
# binaries checked, and the glibc floor each archive declares and needs.
# Run from the project root after ./run build.
set -euo pipefail
cd "$(dirname "$0")/.."
./run scons --version >/dev/null   # set-up, outside the measurements
results=benchmarks/results
mkdir -p "$results"
out="$results/$(date -u +%Y%m%d)-$(uname -m)-validate.txt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -gt 0 ]; then archives=("$@"); else archives=(dist/*.tar.zst dist/*.tar.gz); fi
TIMEFORMAT=%R
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(uname -m), $(nproc) cores"
  for archive in "${archives[@]}"; do
    walls=()
    for _ in 1 2 3; do
      walls+=("$( { time .venv/bin/python -m armpy.validate "$archive" \
                      --json "$work/report.json" >/dev/null; } 2>&1 )")
    done
    echo "$archive: wall ${walls[*]} s"
    .venv/bin/python - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
checked = ", ".join(f"{n} {kind}" for kind, n in sorted(report["checked"].items()))
print(f"  checks alone {report['seconds']:.2f} s; {checked} checked, "
      f"{report['other_formats']} for other platforms; glibc floor declared "
      f"{report['declared']['glibc_floor'] or '-'}, needed {report['glibc_required'] or '-'}; "
      f"{len(report['violations'])} violation(s)")
PY
  done
} | tee "$out"
