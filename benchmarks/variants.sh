#!/usr/bin/env bash
# Builds build variants with the release toolchain, each into its own dist dir, and
# records per build: wall time, archive sizes, smoke checks and the quick tier's
# counts. Run from the project root:
#   benchmarks/variants.sh [BUILD_OPTIONS…]   (default: noopt freethreaded+noopt debug)
# The dependencies are built first, outside the measurements: each build's time is
# its CPython build, packaging, smoke tests and quick tier: 9 minutes (free-threaded)
# to 19 (debug: its quick tier is slower) a build on 2 cores.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
out="$results/$(date -u +%Y%m%d)-$(uname -m)-variants.txt"
work=${VARIANTS_DIST:-dist/variants}
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(noopt freethreaded+noopt debug)

deps=$(scons -Q -n | sed -n 's/^armpy: build [a-z0-9_]* -> \(.*\/deps\/.*\)$/\1/p')
[ -z "$deps" ] || scons -Q -j"$jobs" $deps >"$results/last-build.log" 2>&1

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(uname -m), $(nproc) cores" | tee "$out"
for options in "${builds[@]}"; do
  dist="$work/$options"
  start=$SECONDS
  scons -Q -j"$jobs" "build_options=$options" "dist_dir=$dist" >>"$results/last-build.log" 2>&1
  elapsed=$((SECONDS - start))
  python3 - "$options" "$dist" "$elapsed" <<'EOF' | tee -a "$out"
import glob, json, os, sys
options, dist, elapsed = sys.argv[1:]
print(f"build_options {options}: {elapsed} s (CPython, packaging, smoke tests, quick tier)")
for path in sorted(glob.glob(os.path.join(dist, "*.tar.gz")) + glob.glob(os.path.join(dist, "*.tar.zst"))):
    print(f"  size {os.path.basename(path)}: {os.path.getsize(path) / 2**20:.1f} MiB")
manifest = json.load(open(glob.glob(os.path.join(dist, "*-full.PYTHON.json"))[0]))
smoke = manifest["armpy"]["smoke_test"]
print(f"  python_abi_tag {manifest['python_abi_tag']!r}, python_exe {manifest['python_exe']}; "
      f"smoke checks passed {len(smoke['passed'])}, failed {sorted(smoke['failed'])}")
tests = manifest["armpy"]["regression_tests"]
files, cases = tests["test_files"], tests["test_cases"]
print(f"  quick tier: {tests['wall_time_seconds'] / 60:.1f} min; test files {files['run']} run "
      f"of {files['selected']} (passed {files['passed']}, expected failures "
      f"{files['expected_failure']}, skipped {files['skipped']}); test cases {cases['run']} "
      f"run, {cases['passed']} passed, {cases['failed']} failed, {cases['skipped']} skipped; "
      f"skip list {tests['skip_list']}; unexpected failures {tests['unexpected_failures']}")
EOF
done
