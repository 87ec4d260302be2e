#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: sets up, builds the release app, the CLI and the hello-world baseline,
# installs the AWS CLI for the baseline script, then measures everything in one run.
# `bench/run.sh --latency` measures only the latency table (bench/latency.py): the CLI at 0, 20 and
# 100 ms per AWS round trip for 1, 25 and 100 setups (BENCH_PROFILE=debug uses the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--latency" ]]; then
  scripts/setup.sh --tests
  profile=${BENCH_PROFILE:-release}
  if [[ "$profile" == release ]]; then cargo build --release -p csfle-provisioner-cli; else cargo build -p csfle-provisioner-cli; fi
  CSFLE_TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  export CSFLE_TARGET_DIR
  exec .venv/bin/python bench/latency.py
fi
scripts/setup.sh --tests
if [[ ! -x .venv-bench/bin/aws ]]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check 'awscli==1.*'
fi
npm --prefix ui run build --silent
cargo build --release -p csfle-provisioner -p csfle-provisioner-cli
# Where cargo put them, as an absolute path: $CARGO_TARGET_DIR, a cargo config's target-dir, or
# target/. bench.py reads the binaries (and the .deb it builds) from there.
CSFLE_TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export CSFLE_TARGET_DIR
# The baseline shares the app's lockfile and target folder, so it is built from the same crates.
cp Cargo.lock bench/hello-tauri/Cargo.lock
CARGO_TARGET_DIR="$CSFLE_TARGET_DIR" cargo build --release --manifest-path bench/hello-tauri/Cargo.toml
.venv/bin/python bench/bench.py
