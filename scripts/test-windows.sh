#!/usr/bin/env bash
# Windows and macOS from Linux: cross-builds the CLI and the desktop app for x86_64-pc-windows-gnu,
# runs the keychain crate's tests against Wine's Credential Manager and the CLI's whole lifecycle
# under Wine against the AWS emulator (tests/windows/drive.py), and runs clippy on the keychain
# crate for Linux, Windows and macOS. Builds go to <target dir>/<triple>/ (the target dir being
# $CARGO_TARGET_DIR, a cargo config's target-dir, or target/) so later runs are incremental.
# Needs what `scripts/setup.sh --tests` installs, and ui/dist (the app embeds it).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
# Where cargo puts builds, as an absolute path, however it was configured.
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/$target/debug"
timings=()
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  timings+=("$name $((SECONDS - start))s")
}

[[ -f ui/dist/index.html ]] || npm --prefix ui run build

echo "==> Windows: cross-build the CLI and the desktop app ($target)"
timed "cross-build" cargo build -p csfle-provisioner-cli -p csfle-provisioner --target "$target"
ls -l "$out/csfle-provisioner-cli.exe" "$out/csfle-provisioner.exe"

# Wine 8 lacks bcryptprimitives.dll (Rust's std calls its ProcessPrng): a stand-in beside the .exe.
shim() {
  local dll=$1
  if [[ ! -f "$dll" || tests/windows/bcryptprimitives.c -nt "$dll" ]]; then
    x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" tests/windows/bcryptprimitives.c \
      tests/windows/bcryptprimitives.def -lbcrypt
  fi
}
shim "$out/bcryptprimitives.dll"

echo "==> Windows: the keychain crate against Wine's Credential Manager"
keystore_tests=$(cargo test -p csfle-keystore --target "$target" --no-run --message-format=json-render-diagnostics |
  .venv/bin/python -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] in ("csfle_keystore", "native"):
        print(m["executable"])')
shim "$out/deps/bcryptprimitives.dll"
prefix=$(mktemp -d)
trap 'WINEPREFIX=$prefix wineserver -k 2>/dev/null || true; rm -rf "$prefix"' EXIT
export WINEDEBUG=-all
# No Mono/Gecko installer dialogs: nothing here uses .NET or the HTML engine.
export WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d"
# Wine's loader now and then fails to start at all (exit 53, "could not load kernel32.dll"; seen
# once in CI): wineboot only completes the prefix, so it is started again.
for attempt in 1 2 3; do
  WINEPREFIX=$prefix wineboot -i >/dev/null 2>&1 && break
  [[ $attempt == 3 ]] && { echo "wineboot -i failed three times" >&2; exit 1; }
  echo "    wineboot -i failed (attempt $attempt); starting it again"
done
for exe in $keystore_tests; do
  timed "keystore $(basename "$exe" .exe | cut -d- -f1)" env WINEPREFIX="$prefix" wine "$exe" --include-ignored
done

echo "==> Windows: the CLI under Wine: provision, credential-process, botocore, list, rotate, teardown"
timed "wine lifecycle" .venv/bin/python tests/windows/drive.py "$out/csfle-provisioner-cli.exe"

echo "==> The keychain crate for Linux, Windows and macOS (clippy)"
for t in x86_64-unknown-linux-gnu "$target" aarch64-apple-darwin; do
  timed "clippy $t" cargo clippy -q -p csfle-keystore --all-targets --target "$t" -- -D warnings
done

echo "==> Windows and macOS checks passed in: ${timings[*]}"
