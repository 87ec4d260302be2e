#!/usr/bin/env bash
# Copies the README's pictures from the end-to-end tests' latest run (test-artifacts/screenshots/,
# written by `cargo test --test e2e --test e2e_manage --test e2e_security --test e2e_keyboard
# --test e2e_push --test e2e_cross_account`), so
# each picture is the screen as the tests last saw it. Fails if a picture is missing: run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
from=test-artifacts/screenshots
to=docs/screenshots
# README name  <-  test shot (the flow's name and the shot's label; the number in between varies).
pairs=(
  "1-connect:new-key-*-connected"
  "2-master-key:new-key-*-master-key-new"
  "3-review:new-key-*-review"
  "4-apply:new-key-*-apply-progress"
  "5-done:keyboard-walk-*-done"
  "6-failure-rolled-back:failure-*-failed-rolled-back"
  "7-setups:setups-*-setups-rotated"
  "8-role-review:role-*-review-role"
  "9-interrupted:recovery-*-interrupted-setups"
  "10-findings:security-*-findings"
  "11-teardown-key-question:setups-*-teardown-confirm"
  "12-dark-setups:dark-*-setups"
  "13-handoff:handoff-*-setups-handoff"
  "14-stale-identity:stale-identity-*-stale-identity"
  "15-application:role-*-application"
  "16-copy-to-store:push-*-copy-plan"
  "17-cross-account-teardown:cross-account-teardown-*-teardown-asks-key-profile"
  "18-rotation-waiting:push-*-rotation-waiting"
)
mkdir -p "$to"
for pair in "${pairs[@]}"; do
  name=${pair%%:*}
  pattern=${pair#*:}
  # shellcheck disable=SC2086 # the pattern is a glob on purpose
  matches=($from/$pattern.png)
  if [[ ! -e "${matches[0]}" ]]; then
    echo "no $from/$pattern.png: run the end-to-end tests first" >&2
    exit 1
  fi
  # The newest match: an older run may have left the same shot under another number.
  newest=$(ls -t "${matches[@]}" | head -n 1)
  cp "$newest" "$to/$name.png"
  echo "$to/$name.png <- $newest"
done
