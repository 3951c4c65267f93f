#!/usr/bin/env bash
# Measures build times of the default artifact on this machine and records them
# in benchmarks/results/. Run from the project root: benchmarks/measure.sh
#   1. cold full build (empty build/, warm source cache: downloads are not build time)
#   2. no-op rebuild
#   3. rebuild after touching one CPython patch (only CPython and packaging re-run)
# Build time only (regrtest=none); benchmarks/regrtest.sh measures the test suite.
# Takes about 25 minutes on 2 cores.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
out="$results/$(date -u +%Y%m%d)-$(uname -m).txt"

seconds() { local start=$SECONDS; "$@" regrtest=none >>"$results/last-build.log" 2>&1; echo $((SECONDS - start)); }

rm -rf build dist
cold=$(seconds scons -j"$jobs")
noop=$(seconds scons -j"$jobs")
patch=$(ls patches/cpython/*.patch | head -n 1)
echo "# benchmark touch" >>"$patch"
after_patch=$(seconds scons -j"$jobs")
# Restored afterwards; the next build then rebuilds CPython once more.
git checkout -- "$patch"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(uname -m), $(nproc) cores"
  echo "cold full build (default artifact): ${cold} s"
  echo "no-op rebuild: ${noop} s"
  echo "rebuild after touching $(basename "$patch"): ${after_patch} s"
  for f in dist/*.tar.*; do echo "size $(basename "$f"): $(stat -c %s "$f") bytes"; done
} | tee "$out"
