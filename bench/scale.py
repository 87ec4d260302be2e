"""The admin's waits that do not come from our own code: IAM's propagation delay, and the size of the
account. Used by bench.py; every figure here is measured against the same emulator in the same run."""

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

# Real AWS refuses a new access key for seconds: InvalidClientTokenId at STS, AccessDenied at KMS.
STS_DELAY, KMS_DELAY = 6.0, 9.0
# Account sizes on the x axis: (other users, other keys). The last is the goal's account.
SIZES = [(0, 0), (750, 125), (1500, 250), (3000, 500)]
PICKER_KEYS = 2000


def emulate_propagation(emulator):
    emulator.fault({"kind": "propagation", "service": "sts", "action": "GetCallerIdentity", "seconds": STS_DELAY, "status": 403, "code": "InvalidClientTokenId", "message": "The security token included in the request is invalid."})
    emulator.fault({"kind": "propagation", "service": "kms", "seconds": KMS_DELAY, "status": 400, "code": "AccessDeniedException", "message": "not yet"})


def run(command, env):
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{done.stderr}")
    return elapsed, done.stdout, done.stderr


def propagation(emulator, env, cli, runs):
    """Provision and rotate with and without the emulated delay, alternating, same emulator."""
    plain, delayed, rotate_plain, rotate_delayed = [], [], [], []
    for i in range(runs):
        emulator.clear_faults()
        user = f"prop-plain-{i}"
        plain.append(run([cli, "provision", "--user", user, "--new-key", f"alias/{user}"], env)[0])
        rotate_plain.append(run([cli, "rotate", "--user", user], env)[0])
        emulate_propagation(emulator)
        user = f"prop-delayed-{i}"
        delayed.append(run([cli, "provision", "--user", user, "--new-key", f"alias/{user}"], env)[0])
        rotate_delayed.append(run([cli, "rotate", "--user", user], env)[0])
    emulator.clear_faults()
    m = statistics.median
    return {
        "provision_plain": m(plain), "provision_delayed": m(delayed),
        "rotate_plain": m(rotate_plain), "rotate_delayed": m(rotate_delayed),
        "provision_ratio": m(delayed) / (KMS_DELAY + m(plain)),
        "rotate_ratio": m(rotate_delayed) / (KMS_DELAY + m(rotate_plain)),
    }


def list_scale(emulator, env, cli, runs):
    """`list` from another admin's computer (no journal) as the account grows around our setups."""
    emulator.fault({"kind": "paginate"})
    ours = ["scale-a", "scale-b", "scale-c", "scale-old"]
    for user in ours:
        run([cli, "provision", "--user", user, "--new-key", f"alias/{user}"], env)
    # scale-old stands for a setup made before the app had its own IAM path.
    emulator.seed({"movePaths": {"scale-old": "/"}})
    data_dir = Path(tempfile.mkdtemp(prefix="csfle-bench-other-admin-"))
    other = dict(env, CSFLE_PROVISIONER_DATA_DIR=str(data_dir))
    rows, seeded_users, seeded_keys = [], 0, 0
    for users, keys in SIZES:
        emulator.seed({"users": users - seeded_users, "keys": keys - seeded_keys, "userPrefix": f"other-{users}-", "keyPrefix": f"other-{users}-"})
        seeded_users, seeded_keys = users, keys
        for cached in data_dir.glob("legacy-setups.json"):
            cached.unlink()
        emulator.clear()
        first, out, _ = run([cli, "list", "--json"], other)
        first_calls = len(emulator.requests())
        found_first = {s["name"] for s in json.loads(out)}
        steady, found = [], []
        for _ in range(runs):
            emulator.clear()
            elapsed, out, _ = run([cli, "list", "--json"], other)
            steady.append(elapsed)
            found.append({s["name"] for s in json.loads(out)})
        calls = len(emulator.requests())
        rows.append({
            "users": users, "keys": keys, "first": first, "first_calls": first_calls,
            "steady": statistics.median(steady), "calls": calls,
            # The account also holds the setups of the other benchmarks: ours must all be among them.
            "setups": len(found_first),
            "all_found": set(ours) <= found_first and all(set(ours) <= f for f in found),
        })
    emulator.clear_faults()
    return rows


# The key picker is measured as the account grows to PICKER_KEYS.
PICKER_SIZES = [250, 500, 1000, PICKER_KEYS]


def seed_picker_keys(emulator, existing, target=PICKER_KEYS):
    """Adds keys until the account holds `target` (it holds `existing`); returns the new count."""
    emulator.fault({"kind": "paginate"})
    emulator.seed({"keys": max(0, target - existing), "keyPrefix": "picker-"})
    return max(existing, target)


def count_keys(emulator):
    """Every key in the account, as ListKeys pages them (boto3 comes with the emulator)."""
    import boto3

    kms = boto3.client("kms", endpoint_url=emulator.url, region_name="us-east-1",
                       aws_access_key_id="AKIABENCHADMIN000001", aws_secret_access_key="bench")
    return sum(len(page["Keys"]) for page in kms.get_paginator("list_keys").paginate())


# In the page: choose "Use an existing key" and wait until the first key row is laid out and painted.
PICKER_SCRIPT = """
const done = arguments[arguments.length - 1];
const started = performance.now();
document.getElementById('mode-existing').click();
const check = () => {
  const rows = document.querySelectorAll('#existing-key-pane .key-row');
  if (rows.length > 0) {
    requestAnimationFrame(() => requestAnimationFrame(() => done({ms: performance.now() - started, rows: rows.length,
      status: (document.querySelector('#existing-key-pane .key-count') || {}).textContent || ''})));
  } else {
    setTimeout(check, 2);
  }
};
check();
"""

CONNECT_SCRIPT = """
const region = document.getElementById('region');
region.value = arguments[0];
region.dispatchEvent(new Event('change'));
document.getElementById('connect-check').click();
"""
