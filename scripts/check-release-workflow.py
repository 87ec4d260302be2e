#!/usr/bin/env python3
"""The release pipeline's supply-chain rules (issue 16 item 8), checked on the parsed workflows.

- every remote `uses:` (steps and reusable-workflow jobs, in every workflow file) by a 40-hex
  commit SHA; a docker image only by digest;
- every workflow's top-level token is `contents: read`; a job may ask for `write` only in
  release.yml's `publish` job, which checks nothing out (it runs no repository code);
- a reusable workflow is called without `secrets: inherit` or any secret;
- every actions/checkout has `persist-credentials: false`;
- a secret other than GITHUB_TOKEN appears only in the env of the step that builds and signs, and
  GITHUB_TOKEN only in the publish job's steps; never in a `run:` script, a job's or the
  workflow's env;
- the publish job writes SHA256SUMS of the bundles (sha256sum) and uploads it with them.

`--self-test` breaks release.yml in memory, once per rule, and fails unless each break is found:
the check itself can fail.
"""

import copy
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
SIGNING_STEP = "tauri.js build"  # what the signing step runs
PUBLISH_JOB = "publish"
SECRET = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")


def text(value):
    return yaml.safe_dump(value) if not isinstance(value, str) else value


def pinned(ref):
    if ref.startswith("./"):
        return True
    if ref.startswith("docker://"):
        return "@sha256:" in ref
    _, _, version = ref.partition("@")
    return re.fullmatch(r"[0-9a-f]{40}", version) is not None


def has_write(permissions):
    if isinstance(permissions, str):
        return permissions != "read-all"
    return isinstance(permissions, dict) and "write" in permissions.values()


def check(name, workflow):
    bad = []
    release = name == "release.yml"
    if workflow.get("permissions") != {"contents": "read"}:
        bad.append(f"{name}: top-level permissions must be exactly contents: read")
    if SECRET.search(text(workflow.get("env", {}))):
        bad.append(f"{name}: a secret in the workflow's env")
    for job_name, job in (workflow.get("jobs") or {}).items():
        where = f"{name}: job {job_name}"
        steps = job.get("steps") or []
        if "permissions" in job and has_write(job["permissions"]):
            if not (release and job_name == PUBLISH_JOB):
                bad.append(f"{where}: asks for write permissions")
            if any(str(s.get("uses", "")).startswith("actions/checkout") for s in steps):
                bad.append(f"{where}: writes and checks out repository code")
        if "uses" in job:
            if not pinned(job["uses"]):
                bad.append(f"{where}: {job['uses']} is not pinned by a full commit SHA")
            if "secrets" in job:
                bad.append(f"{where}: passes secrets to a reusable workflow")
        if SECRET.search(text(job.get("env", {}))):
            bad.append(f"{where}: a secret in the job's env")
        for number, step in enumerate(steps, 1):
            label = f"{where} step {step.get('name') or number}"
            uses = str(step.get("uses", ""))
            if uses and not pinned(uses):
                bad.append(f"{label}: {uses} is not pinned by a full commit SHA")
            if uses.startswith("actions/checkout"):
                if (step.get("with") or {}).get("persist-credentials") is not False:
                    bad.append(f"{label}: actions/checkout without persist-credentials: false")
            if SECRET.search(text(step.get("run", ""))) or SECRET.search(text(step.get("with", {}))):
                bad.append(f"{label}: a secret outside the step's env")
            for secret in SECRET.findall(text(step.get("env", {}))):
                signing = SIGNING_STEP in str(step.get("run", ""))
                publishing = release and job_name == PUBLISH_JOB
                if secret == "GITHUB_TOKEN" and not publishing:
                    bad.append(f"{label}: the token outside the publish job")
                if secret != "GITHUB_TOKEN" and not signing:
                    bad.append(f"{label}: secret {secret} outside the signing step")
    if release:
        publish = (workflow.get("jobs") or {}).get(PUBLISH_JOB) or {}
        runs = [str(s.get("run", "")) for s in publish.get("steps") or []]
        summed = any("sha256sum" in r and "SHA256SUMS" in r for r in runs)
        uploaded = any("gh release create" in r and ("SHA256SUMS" in r or "-- *" in r) for r in runs)
        if not (summed and uploaded):
            bad.append(f"{name}: the publish job does not write and upload SHA256SUMS")
        if (publish.get("permissions") or {}).get("contents") != "write":
            bad.append(f"{name}: the publish job cannot write the release")
    return bad


def load(path):
    return yaml.safe_load(path.read_text())


def all_findings():
    found = []
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        found += check(path.name, load(path))
    return found


def self_test():
    release = load(WORKFLOWS / "release.yml")
    assert check("release.yml", release) == [], check("release.yml", release)
    bundle_steps = lambda w: w["jobs"]["bundle"]["steps"]
    signing = lambda w: next(s for s in bundle_steps(w) if SIGNING_STEP in str(s.get("run", "")))

    def unpin(w):
        bundle_steps(w)[1]["uses"] = "actions/setup-node@v4"

    def keep_token(w):
        bundle_steps(w)[0]["with"]["persist-credentials"] = True

    def write_all(w):
        w["permissions"] = {"contents": "write"}

    def bundle_writes(w):
        w["jobs"]["bundle"]["permissions"] = {"contents": "write"}

    def secret_in_job_env(w):
        w["jobs"]["bundle"]["env"]["CERT"] = "${{ secrets.APPLE_CERTIFICATE }}"

    def secret_in_other_step(w):
        bundle_steps(w)[-1].setdefault("env", {})["CERT"] = "${{ secrets.APPLE_CERTIFICATE }}"

    def secret_in_run(w):
        signing(w)["run"] += "\necho ${{ secrets.APPLE_PASSWORD }}\n"

    def inherit(w):
        w["jobs"]["keystore"]["secrets"] = "inherit"

    def no_sums(w):
        for step in w["jobs"][PUBLISH_JOB]["steps"]:
            if "sha256sum" in str(step.get("run", "")):
                step["run"] = "ls"

    def publish_checks_out(w):
        w["jobs"][PUBLISH_JOB]["steps"].insert(0, {"uses": "actions/checkout@" + "a" * 40,
                                                    "with": {"persist-credentials": False}})

    breaks = [unpin, keep_token, write_all, bundle_writes, secret_in_job_env, secret_in_other_step,
              secret_in_run, inherit, no_sums, publish_checks_out]
    missed = []
    for breaking in breaks:
        broken = copy.deepcopy(release)
        breaking(broken)
        if not check("release.yml", broken):
            missed.append(breaking.__name__)
    if missed:
        print(f"check-release-workflow self-test: not caught: {missed}", file=sys.stderr)
        return 1
    print(f"check-release-workflow self-test: all {len(breaks)} breaks caught")
    return 0


def main():
    if "--self-test" in sys.argv[1:]:
        return self_test()
    found = all_findings()
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    print("release pipeline: pinned, read-only token but for publish, no stored credentials, "
          "secrets only where they sign, SHA256SUMS published")
    return 0


if __name__ == "__main__":
    sys.exit(main())
