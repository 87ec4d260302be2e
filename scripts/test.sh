#!/usr/bin/env bash
# Sets up and runs every test: UI checks and unit tests, the engine's unit tests, the integration
# tests against the AWS emulator and a private keyring, and the end-to-end tests in the real window.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

echo "==> Structure: module paths, one-way layers, file and function sizes"
python3 scripts/check-structure.py
scripts/check-deps.sh

echo "==> UI: type check, lint, unit tests, build"
npm --prefix ui run check

echo "==> Rust: build every target once (the tests run the binaries built here)"
cargo build --workspace --all-targets

# --- Windows and macOS (issue 8): cross-build for Windows and run the CLI under Wine, clippy for
# the keychain crate on three targets, actionlint for .github/workflows.
scripts/test-windows.sh
scripts/lint-workflows.sh
# --- end Windows and macOS

echo "==> Rust: unit, integration and end-to-end tests"
cargo test --workspace -- --test-threads="${CSFLE_TEST_THREADS:-2}"

echo "==> Reliability matrix (every AWS call × fault, and keychain faults)"
cat test-artifacts/reliability-matrix-provision.md test-artifacts/reliability-matrix-rotate.md \
  test-artifacts/reliability-matrix-teardown.md test-artifacts/reliability-matrix-keychain.md
