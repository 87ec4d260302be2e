"""The Windows CLI under Wine against the AWS emulator: provision, credential-process (directly and
through botocore reading a profile whose credential_process runs the .exe), list, rotate, teardown.

The keychain is Wine's Credential Manager (advapi32 CredWrite/CredRead), in a throw-away
WINEPREFIX. Its items are read back with Wine's own `reg.exe`: Wine files each credential under
HKCU\\Software\\Wine\\Credential Manager, named by its target, with the secret encrypted.

Usage: drive.py CLI_EXE   (run by scripts/test-windows.sh, with the project's .venv python)
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "csfle-provisioner"
ACCOUNT = "123456789012"
USER = "winapp"
REGION = "us-east-1"
ADMIN = ("AKIAADMINEXAMPLE0001", "admin-secret-not-used-by-the-emulator")
CRED_KEY = r"HKCU\Software\Wine\Credential Manager"


def step(message):
    print(f"--- {message}", flush=True)


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class Emulator:
    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/emulator/emulator.py")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        check(line.startswith("READY "), f"emulator did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()

    def issued_secret(self, access_key_id):
        with urllib.request.urlopen(f"{self.url}/moto-api/data.json") as reply:
            state = json.load(reply)
        for key in state["iam"]["AccessKey"]:
            if key["access_key_id"] == access_key_id:
                return key["secret_access_key"]
        return None

    def signed_by(self, action, access_key_id):
        """Whether the emulator saw `action` signed with `access_key_id`."""
        with urllib.request.urlopen(f"{self.url}/_requests") as reply:
            return any(r["action"] == action and r["accessKey"] == access_key_id for r in json.load(reply))

    def stop(self):
        self.process.terminate()
        self.process.wait()


def windows_path(path):
    return "Z:" + str(path).replace("/", "\\")


# Wine's loader now and then fails to map kernel32.dll at start (exit 53, "could not load
# kernel32.dll"; winehq bug 51086; seen once in CI): then no Windows code ran at all, so starting
# again is safe. wineboot may be started again whatever it printed: it only completes a prefix.
WINE_LOADER_FAILED = "could not load kernel32.dll"


def wine_run(argv, env, timeout, idempotent=False):
    for attempt in range(3):
        try:
            run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as stuck:
            # A Windows program that overflows its stack hangs under Wine instead of exiting.
            tail = (stuck.stderr or b"")[-4000:]
            check(False, f"{' '.join(argv[:3])} still running after {timeout} s; its stderr ended with:\n{tail.decode(errors='replace') if isinstance(tail, bytes) else tail}")
        loader_failed = run.returncode == 53 and (idempotent or WINE_LOADER_FAILED in run.stderr)
        if not loader_failed:
            return run
        print(f"    Wine's loader failed to start {argv[0]} (attempt {attempt + 1}); starting again", flush=True)
    return run


class Wine:
    """One throw-away Windows user: prefix, AppData (the journal) and AWS config files."""

    def __init__(self, work, exe, emulator_url):
        self.exe = exe
        self.prefix = work / "prefix"
        self.aws = work / "aws"
        self.aws.mkdir()
        self.outputs = []
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(work),
            "WINEPREFIX": str(self.prefix),
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "winemenubuilder.exe=d;mscoree=d;mshtml=d",
            "AWS_ENDPOINT_URL": emulator_url,
            "AWS_ACCESS_KEY_ID": ADMIN[0],
            "AWS_SECRET_ACCESS_KEY": ADMIN[1],
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": windows_path(self.aws / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": windows_path(self.aws / "credentials"),
        }
        started = time.monotonic()
        boot = wine_run(["wineboot", "-i"], self.env, timeout=300, idempotent=True)
        check(boot.returncode == 0, f"wineboot -i exited {boot.returncode}\n{boot.stderr}")
        print(f"    wine prefix ready in {time.monotonic() - started:.1f} s", flush=True)

    def cli(self, *args, env=None):
        run = wine_run(["wine", str(self.exe), *args], env or self.env, timeout=300)
        # Only credential-process may print a secret, and only on stdout, for the SDK's pipe.
        self.outputs.append(run.stderr if args[0] == "credential-process" else run.stdout + run.stderr)
        return run

    def ok(self, *args):
        run = self.cli(*args)
        check(run.returncode == 0,
              f"{' '.join(args)} exited {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}")
        return run

    def credentials(self):
        """The targets of every credential in Wine's Credential Manager."""
        run = subprocess.run(["wine", "reg", "query", CRED_KEY], env=self.env,
                             capture_output=True, text=True)
        prefix = CRED_KEY.replace("HKCU", "HKEY_CURRENT_USER") + "\\"
        return [line.strip()[len(prefix):] for line in run.stdout.splitlines()
                if line.strip().startswith(prefix)]

    def stop(self):
        """Waits for the wineserver to exit, which is when it writes the registry to disk."""
        subprocess.run(["wineserver", "-w"], env=self.env, stderr=subprocess.DEVNULL, timeout=60)


def caller(access_key, secret, token, url):
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION, aws_access_key_id=access_key,
                       aws_secret_access_key=secret, aws_session_token=token)
    return sts.get_caller_identity()["Arn"]


def signs_in_as_user(answer, key_id, secret, emulator):
    """`answer` is credential_process output that works as USER: the stored access key itself, or
    session credentials that STS issued to that key (moto names no user for session credentials,
    so the emulator's request log shows who asked for them)."""
    check(answer.get("Version") == 1, f"not credential_process output: {sorted(answer)}")
    arn = caller(answer["AccessKeyId"], answer["SecretAccessKey"], answer.get("SessionToken"), emulator.url)
    if answer.get("SessionToken"):
        check(answer["AccessKeyId"] != key_id, "a session token with the long-lived key id")
        check(emulator.signed_by("GetSessionToken", key_id),
              f"no GetSessionToken signed with {USER}'s stored key {key_id}")
    else:
        check(arn.endswith(f"/{USER}"), f"signed in as {arn}, not as {USER}")
        check(answer["AccessKeyId"] == key_id and answer["SecretAccessKey"] == secret,
              "credential-process printed a key other than the one in Credential Manager")


def files_containing(root, needle):
    hits = []
    for path in Path(root).rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and needle.encode() in path.read_bytes():
                hits.append(path)
        except OSError:
            pass
    return hits


def main():
    exe = Path(sys.argv[1]).resolve()
    check(exe.exists(), f"{exe} does not exist: build it first")
    timings = {}
    work = Path(tempfile.mkdtemp(prefix="csfle-wine-"))
    emulator = Emulator()
    wine = None
    try:
        started = time.monotonic()
        wine = Wine(work, exe, emulator.url)
        target = f"{SERVICE}:{ACCOUNT}/{USER}"

        step("provision under Wine")
        t = time.monotonic()
        result = json.loads(wine.ok("provision", "--user", USER, "--new-key", f"alias/{USER}", "--allow-long-lived", "--json").stdout)
        timings["provision"] = time.monotonic() - t
        key_id, key_arn = result["access_key_id"], result["key_arn"]
        secret = emulator.issued_secret(key_id)
        check(secret, "the emulator issued no secret for the new key")
        stored = wine.credentials()
        check(any(name.endswith(f": {target}") for name in stored),
              f"Credential Manager has no item {target}: {stored}")
        print(f"    Credential Manager: {stored}", flush=True)

        step("credential-process under Wine signs in as the new user")
        t = time.monotonic()
        run = wine.ok("credential-process", "--user", USER)
        timings["credential-process"] = time.monotonic() - t
        check(secret not in run.stderr, "the secret appeared on stderr")
        answer = json.loads(run.stdout)
        signs_in_as_user(answer, key_id, secret, emulator)
        secrets = [secret, answer["SecretAccessKey"]]
        print(f"    Credential Manager: {wine.credentials()}", flush=True)
        long_lived = wine.cli("credential-process", "--user", USER, "--long-lived")
        if "--long-lived" not in long_lived.stderr:
            check(long_lived.returncode == 0, f"--long-lived failed: {long_lived.stderr}")
            answer = json.loads(long_lived.stdout)
            check(answer["AccessKeyId"] == key_id and answer["SecretAccessKey"] == secret,
                  "credential-process --long-lived printed a key other than the one in Credential Manager")

        step("botocore reads a profile whose credential_process runs the Windows program")
        config = work / "botocore-config"
        command = shlex.join(["wine", str(exe), "credential-process", "--user", USER, "--account", ACCOUNT])
        config.write_text(f"[profile {USER}]\nregion = {REGION}\ncredential_process = {command}\n")
        sdk_env = {k: v for k, v in wine.env.items() if not k.startswith("AWS_")}
        sdk_env.update({"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(work / "none"),
                        "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": emulator.url, "KEY_ARN": key_arn})
        script = """
import boto3, json, os
session = boto3.Session(profile_name=%r)
kms = session.client("kms")
blob = kms.encrypt(KeyId=os.environ["KEY_ARN"], Plaintext=b"hello")["CiphertextBlob"]
print(json.dumps({"access_key": session.get_credentials().get_frozen_credentials().access_key,
                  "round_trip": kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"}))
""" % USER
        t = time.monotonic()
        sdk = subprocess.run([sys.executable, "-c", script], env=sdk_env, capture_output=True, text=True, timeout=300)
        timings["botocore via credential_process"] = time.monotonic() - t
        check(sdk.returncode == 0, f"botocore failed:\n{sdk.stderr}")
        seen = json.loads(sdk.stdout)
        check(seen["round_trip"], "botocore's KMS round trip failed")
        check(seen["access_key"] != ADMIN[0], "botocore used the admin key, not the profile")
        check(emulator.signed_by("Encrypt", seen["access_key"]), "botocore's Encrypt was not signed with the profile's key")
        if seen["access_key"] != key_id:
            check(emulator.signed_by("GetSessionToken", key_id), "the profile's session was not made from the stored key")

        step("list under Wine sees the keychain item")
        setups = json.loads(wine.ok("list", "--json").stdout)
        ours = [s for s in setups if s.get("name") == USER]
        check(len(ours) == 1, f"list: {setups}")
        check(ours[0]["keychain_present"] is True, f"keychain_present: {ours[0]}")

        step("rotate under Wine")
        t = time.monotonic()
        rotated = json.loads(wine.ok("rotate", "--user", USER, "--json").stdout)
        timings["rotate"] = time.monotonic() - t
        new_id = rotated["new_access_key_id"]
        check(new_id != key_id, "rotation kept the old key id")
        new_secret = emulator.issued_secret(new_id)
        answer = json.loads(wine.ok("credential-process", "--user", USER).stdout)
        signs_in_as_user(answer, new_id, new_secret, emulator)
        secrets += [new_secret, answer["SecretAccessKey"]]

        step("teardown under Wine removes the Credential Manager item")
        t = time.monotonic()
        wine.ok("teardown", "--user", USER, "--yes")
        timings["teardown"] = time.monotonic() - t
        stored = wine.credentials()
        # The setup's items: its credentials and any other item stored under its account + suffix.
        check(not any(target in name for name in stored),
              f"an item of the setup is still in Credential Manager: {stored}")
        print(f"    Credential Manager: {stored}", flush=True)
        gone = wine.cli("credential-process", "--user", USER, "--account", ACCOUNT)
        check(gone.returncode != 0 and gone.stdout == "", "credential-process still answers after teardown")

        step("the secrets are in no file (the Credential Manager keeps them encrypted) and no output")
        wine.stop()
        for value in set(secrets):
            hits = files_containing(work, value)
            check(not hits, f"a secret is in plain text in {hits}")
            check(not any(value in output for output in wine.outputs),
                  "a secret appeared in the CLI's output")
        timings["total"] = time.monotonic() - started
        print("Windows CLI under Wine: all steps passed. Times (s): "
              + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()), flush=True)
    finally:
        if wine:
            wine.stop()
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
