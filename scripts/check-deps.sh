#!/usr/bin/env bash
# Fails when the legacy TLS stack comes back into the dependency tree: rustls 0.21, hyper 0.14 and
# rustls-webpki 0.101 carry advisories, and the AWS SDK features this project uses do without them.
# Cargo.lock lists every package any target, feature or test of the workspace can build, so a
# version absent from it is absent from every `cargo tree -i` (which this mirrors, offline).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> Dependencies: no legacy TLS stack (rustls 0.21, hyper 0.14, rustls-webpki 0.101)"
found=$(awk '
  /^\[\[package\]\]/ { name = ""; next }
  /^name = / { gsub(/"/, "", $3); name = $3; next }
  /^version = / {
    gsub(/"/, "", $3)
    if ((name == "rustls" && $3 ~ /^0\.21\./) ||
        (name == "hyper" && $3 ~ /^0\.14\./) ||
        (name == "rustls-webpki" && $3 ~ /^0\.101\./)) print name "@" $3
  }' Cargo.lock)
if [[ -n "$found" ]]; then
  echo "Cargo.lock has the legacy TLS stack again:" >&2
  echo "$found" >&2
  echo "Find who pulls it in with: cargo tree --workspace --target all -i <name>@<version>" >&2
  exit 1
fi
echo "none in Cargo.lock"
