#!/usr/bin/env bash
# Recompresses .deb packages with xz, as Debian's own packages are. tauri's bundler writes
# data.tar.gz; gzip's 32 KiB window cannot see that the app and the command-line program share most
# of their code (the engine, the AWS SDK, TLS), xz's dictionary can: 11.5 -> 5.7 MiB, the same
# files, installed by every dpkg since 1.15.6. Nothing changes at run time.
#   scripts/repack-deb.sh FILE.deb [FILE.deb ...]   (each file is replaced in place)
set -euo pipefail
for deb in "$@"; do
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  dpkg-deb --raw-extract "$deb" "$work/pkg"
  dpkg-deb --root-owner-group -Zxz -z9 --build "$work/pkg" "$work/repacked.deb" >/dev/null
  # The same files, modes, sizes and control data, or the repack is refused.
  listing() { dpkg-deb --contents "$1" | awk '{sub(/^\.?\//, "", $6); sub(/\/$/, "", $6); if ($6 != "") print $1, $3, $6}' | sort; }
  cmp <(listing "$deb") <(listing "$work/repacked.deb")
  cmp <(dpkg-deb --info "$deb" control) <(dpkg-deb --info "$work/repacked.deb" control)
  before=$(stat -c %s "$deb")
  mv "$work/repacked.deb" "$deb"
  echo "==> $deb: $before -> $(stat -c %s "$deb") bytes (xz)"
  rm -rf "$work"
  trap - EXIT
done
