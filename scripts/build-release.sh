#!/usr/bin/env bash
# Builds the installers from a clean clone: installs what the build needs (scripts/setup.sh), then
# `tauri build`, whose beforeBuildCommand (scripts/bundle-inputs.mjs) builds the UI and the
# command-line program that the bundles carry beside the app. Arguments go to `tauri build`, e.g.
#   scripts/build-release.sh --bundles deb,rpm
#   scripts/build-release.sh --target aarch64-apple-darwin --config .github/release/tauri.sidecar.conf.json
# Builds go where cargo puts them: $CARGO_TARGET_DIR, a cargo config's target-dir, or target/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The tauri CLI runs from the repository root; the UI package is in ui/.
TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri build "$@"
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# tauri writes gzip .debs; xz keeps the package with both programs small (scripts/repack-deb.sh).
while IFS= read -r -d '' deb; do
  scripts/repack-deb.sh "$deb"
done < <(find "$target_dir" -path '*/release/bundle/deb/*.deb' -print0 2>/dev/null)
echo "==> Bundles are in $target_dir/<target>/release/bundle/ (or $target_dir/release/bundle/ for this machine)"
