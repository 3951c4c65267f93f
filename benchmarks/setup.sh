# Sourced by the benchmark scripts: the project's set-up (outside the measurements),
# its venv first on PATH, the results folder, and as many SCons steps at once as
# `./run build` runs (armpy/options.py PARALLEL_STEPS).
cd "$(dirname "${BASH_SOURCE[1]}")/.."
./run scons --version >/dev/null
export PATH="$PWD/.venv/bin:$PATH"
results=benchmarks/results
mkdir -p "$results"
jobs=$((2 * $(nproc)))
