#!/usr/bin/env bash
# Sets up, builds and opens the app against a local sandbox: the AWS emulator on 127.0.0.1 and a
# private keyring in .sandbox/. Nothing touches real AWS, your ~/.aws files or your own keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "The app needs a desktop session (no DISPLAY or WAYLAND_DISPLAY is set)." >&2
  echo "For a terminal-only machine, use csfle-provisioner-cli; see the README." >&2
  exit 1
fi

echo "==> Building the UI and the app (the first build takes several minutes)"
npm --prefix ui run build --silent
cargo build -p csfle-provisioner -p csfle-provisioner-cli
# Where cargo put them, as an absolute path: $CARGO_TARGET_DIR, a cargo config's target-dir, or target/.
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

root="$PWD/.sandbox"
rm -rf "$root" && mkdir -p "$root"/{aws,keyring/data,keyring/runtime}
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "==> Starting the AWS emulator"
# Each service announces readiness on a pipe; reading it waits exactly as long as needed.
mkfifo "$root/emulator.ready" "$root/bus.ready"
.venv/bin/python tests/emulator/emulator.py >"$root/emulator.ready" &
pids+=("$!")
read -r ready url <"$root/emulator.ready"
[[ "$ready" == READY ]] || { echo "the emulator did not start" >&2; exit 1; }
.venv/bin/python tests/emulator/seed.py "$url"

echo "==> Starting a private keyring"
cat >"$root/keyring/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$root/keyring/bus</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
CONF
dbus-daemon --config-file="$root/keyring/bus.conf" --nofork --print-address=1 >"$root/bus.ready" 2>/dev/null &
pids+=("$!")
read -r bus_address <"$root/bus.ready"
export DBUS_SESSION_BUS_ADDRESS="$bus_address"
# Its own data and runtime folders: it must never see (or unlock) the desktop's own keyring daemon.
printf %s sandbox | env XDG_DATA_HOME="$root/keyring/data" XDG_RUNTIME_DIR="$root/keyring/runtime" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
pids+=("$!")
gdbus wait --session --timeout 20 org.freedesktop.secrets

cat >"$root/aws/config" <<CONF
[default]
region = us-east-1

[profile sandbox-admin]
region = us-east-1

[profile sandbox-eu]
region = eu-west-1
CONF
cat >"$root/aws/credentials" <<CONF
[default]
aws_access_key_id = AKIASANDBOXADMIN0001
aws_secret_access_key = sandbox-not-a-real-secret

[sandbox-admin]
aws_access_key_id = AKIASANDBOXADMIN0002
aws_secret_access_key = sandbox-not-a-real-secret

[sandbox-eu]
aws_access_key_id = AKIASANDBOXADMIN0003
aws_secret_access_key = sandbox-not-a-real-secret
CONF
# Only the sandbox's AWS settings: none of the caller's AWS variables or files.
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_ENDPOINT_URL="$url" AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$root/aws/config" AWS_SHARED_CREDENTIALS_FILE="$root/aws/credentials"
# The sandbox's journal of setups stays in the sandbox too.
export CSFLE_PROVISIONER_DATA_DIR="$root/data"

cat <<INFO
==> SANDBOX is running
    AWS emulator:  $url (state: $url/moto-api/)
    Keyring:       private, in .sandbox/keyring
    CLI:           in another terminal: source .sandbox/env, then $target_dir/debug/csfle-provisioner-cli …
INFO
env | grep -E '^(AWS_[A-Z_]+|DBUS_SESSION_BUS_ADDRESS|CSFLE_PROVISIONER_DATA_DIR)=' | sed -E "s/^([^=]+)=(.*)$/export \1='\2'/" >"$root/env"
"$target_dir/debug/csfle-provisioner"
