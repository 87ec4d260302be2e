#!/usr/bin/env python3
"""Measures csfle-provisioner side by side with what an admin would use instead, on one machine
and one emulator in one run, and writes BENCHMARKS.md. Run it through bench/run.sh."""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "10"))
CLI = ROOT / "target/release/csfle-provisioner-cli"
APP = ROOT / "target/release/csfle-provisioner"
HELLO = ROOT / "target/release/hello-tauri"
ACCOUNT = "123456789012"


def http(url, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            text = reply.read()
    except urllib.error.HTTPError as error:
        # WebDriver answers "no such element" with 404 and a JSON body: not a failure here.
        text = error.read()
    return json.loads(text) if text else None


class Emulator:
    def __init__(self):
        self.process = subprocess.Popen([str(ROOT / ".venv/bin/python"), str(ROOT / "tests/emulator/emulator.py")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready, self.url = self.process.stdout.readline().split()
        assert ready == "READY"

    def requests(self):
        return http(f"{self.url}/_requests")

    def clear(self):
        http(f"{self.url}/_requests", "DELETE")

    def stop(self):
        self.process.terminate()
        self.process.wait()


class Keyring:
    def __init__(self, home):
        self.home = home
        for d in [".local/share", ".config", ".cache", "runtime"]:
            (home / d).mkdir(parents=True, exist_ok=True)
        conf = home / "bus.conf"
        conf.write_text(
            '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" '
            '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd"><busconfig><type>session</type>'
            f'<listen>unix:path={home}/bus</listen><policy context="default"><allow send_destination="*" eavesdrop="true"/>'
            '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>'
        )
        self.bus = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True)
        self.address = self.bus.stdout.readline().strip()
        self.daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env({}))
        self.daemon.stdin.write(b"bench-password")
        self.daemon.stdin.close()
        subprocess.run(["gdbus", "wait", "--session", "--timeout", "20", "org.freedesktop.secrets"], env=self.env({}), check=True)

    def env(self, extra):
        home = self.home
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_RUNTIME_DIR": str(home / "runtime"),
        }
        env.update(extra)
        return env

    def stop(self):
        for p in (self.daemon, self.bus):
            p.terminate()
            p.wait()


def median(values):
    return statistics.median(values)


def timed(command, env):
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def waves(requests):
    """Groups of AWS calls that ran at the same time: the number of sequential round trips."""
    count, open_until = 0, float("-inf")
    for r in sorted(requests, key=lambda r: r["start"]):
        end = r["end"] or r["start"]
        if r["start"] >= open_until:
            count += 1
            open_until = end
        else:
            open_until = max(open_until, end)
    return count


def provisioning(emulator, env, bench_env):
    ours, baseline, our_calls, our_waves, our_server, base_calls, base_waves, base_server = [], [], [], [], [], [], [], []
    for i in range(RUNS):
        for which in (("ours", "base") if i % 2 == 0 else ("base", "ours")):
            emulator.clear()
            if which == "ours":
                user = f"ours-{i}"
                ours.append(timed([str(CLI), "provision", "--user", user, "--new-key", f"alias/{user}", "--json"], env))
                calls, w, s = emulator.requests(), None, None
                our_calls.append(len(calls))
                our_waves.append(waves(calls))
                our_server.append(sum((r["end"] or r["start"]) - r["start"] for r in calls))
            else:
                user = f"base-{i}"
                baseline.append(timed(["bash", str(ROOT / "bench/aws_cli_provision.sh"), user], bench_env))
                calls = emulator.requests()
                base_calls.append(len(calls))
                base_waves.append(waves(calls))
                base_server.append(sum((r["end"] or r["start"]) - r["start"] for r in calls))
    return {
        "ours": median(ours), "baseline": median(baseline),
        "our_calls": median(our_calls), "our_waves": median(our_waves), "our_server": median(our_server),
        "base_calls": median(base_calls), "base_waves": median(base_waves), "base_server": median(base_server),
        "ours_all": ours, "baseline_all": baseline,
    }


def credential_process(env):
    account = f"{ACCOUNT}/ours-0"
    ours = [timed([str(CLI), "credential-process", "--user", "ours-0", "--account", ACCOUNT], env) for _ in range(30)]
    floor = [timed(["secret-tool", "lookup", "service", "csfle-provisioner", "username", account], env) for _ in range(30)]
    return {"ours": median(ours), "floor": median(floor)}


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree_rss(root_pid):
    """Resident memory of a process and all its descendants (WebKit's web and network processes)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = (Path("/proc") / entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total  # KiB


def startup(env, targets, runs=5):
    """One virtual display and one tauri-driver; each target is opened `runs` times, alternating."""
    display = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    name = ":" + display.stdout.readline().strip()
    port, native = free_port(), free_port()
    driver_env = dict(env, DISPLAY=name, GDK_BACKEND="x11", NO_AT_BRIDGE="1")
    log = open(os.environ.get("BENCH_DRIVER_LOG", "/tmp/csfle-bench-driver.log"), "w")
    driver = subprocess.Popen([str(ROOT / ".tools/bin/tauri-driver"), "--port", str(port), "--native-port", str(native)], env=driver_env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            http(f"{base}/status")
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    results = {label: ([], []) for label in targets}
    try:
        for _ in range(runs):
            for label, (binary, css) in targets.items():
                session, started = None, 0.0
                for _attempt in range(3):
                    # WebKitWebDriver now and then drops a new-session request under load; the clock
                    # restarts with each attempt, so a retry does not count against the app.
                    started = time.perf_counter()
                    try:
                        session = http(f"{base}/session", "POST", {"capabilities": {"alwaysMatch": {"tauri:options": {"application": str(binary)}}}})["value"]["sessionId"]
                        break
                    except (OSError, KeyError, TypeError):
                        time.sleep(1)
                if session is None:
                    raise RuntimeError(f"tauri-driver could not open {binary}")
                while True:
                    found = http(f"{base}/session/{session}/element", "POST", {"using": "css selector", "value": css})
                    if "element-6066-11e4-a52e-4f735466cecf" in (found.get("value") or {}):
                        break
                    time.sleep(0.02)
                results[label][0].append(time.perf_counter() - started)
                pid = int(subprocess.run(["pgrep", "-n", "-f", str(binary)], capture_output=True, text=True).stdout.split()[0])
                results[label][1].append(process_tree_rss(pid))
                http(f"{base}/session/{session}", "DELETE")
    finally:
        driver.send_signal(15)
        driver.wait()
        display.terminate()
        display.wait()
    return {label: {"start": median(t), "rss_mib": median(m) / 1024} for label, (t, m) in results.items()}


def deb():
    env = dict(os.environ, TAURI_FRONTEND_PATH="ui")
    subprocess.run([str(ROOT / "ui/node_modules/.bin/tauri"), "build", "--bundles", "deb"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    package = next((ROOT / "target/release/bundle/deb").glob("*.deb"))
    installed = int(subprocess.run(["dpkg-deb", "-f", str(package), "Installed-Size"], capture_output=True, text=True, check=True).stdout.strip())
    return {"name": package.name, "deb_mib": package.stat().st_size / 2**20, "installed_mib": installed / 1024}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), platform.processor())
    memory = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    os_name = next((l.split("=", 1)[1].strip('"') for l in Path("/etc/os-release").read_text().splitlines() if l.startswith("PRETTY_NAME")), "Linux")
    return f"{cpu}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB RAM, {os_name}, kernel {platform.release()}"


def main():
    home = Path(tempfile.mkdtemp(prefix="csfle-bench-"))
    emulator = Emulator()
    keyring = Keyring(home)
    aws = {
        "AWS_ENDPOINT_URL": emulator.url, "AWS_ACCESS_KEY_ID": "AKIABENCHADMIN000001", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_PAGER": "",
    }
    env = keyring.env(aws)
    bench_env = dict(env, PATH=f"{ROOT / '.venv-bench/bin'}:{env['PATH']}")
    try:
        print("provisioning …", file=sys.stderr)
        p = provisioning(emulator, env, bench_env)
        print("credential_process …", file=sys.stderr)
        c = credential_process(env)
        print("start-up and memory …", file=sys.stderr)
        measured = startup(env, {"app": (APP, "#screen[data-screen=connect] h1"), "hello": (HELLO, "#hello")})
        app, hello = measured["app"], measured["hello"]
    finally:
        keyring.stop()
        emulator.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(".deb …", file=sys.stderr)
    d = deb()
    write(p, c, app, hello, d)


def write(p, c, app, hello, d):
    ms = lambda s: f"{s * 1000:.0f} ms"
    text = f"""# Benchmarks

Measured side by side in one run on one machine and one emulator (moto, on 127.0.0.1), medians of
repeated runs. Regenerate with `bench/run.sh` (it sets everything up, builds release binaries and
rewrites this file); `BENCH_RUNS` sets the repetitions ({RUNS} here). Benchmarks are not part of
the test command's pass/fail.

Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.

## End-to-end provisioning

Key, alias, user, least-privilege policy, access key, keychain, and the Encrypt/Decrypt proof with
the new key. Baseline: `bench/aws_cli_provision.sh`, the same calls with the AWS CLI (`awscli` from
PyPI) and `secret-tool`, without plan checks or rollback.

| | median wall time | AWS calls | sequential round trips | emulator's own time |
|---|---|---|---|---|
| `csfle-provisioner-cli provision` | {ms(p['ours'])} | {p['our_calls']:.0f} | {p['our_waves']:.0f} | {ms(p['our_server'])} |
| AWS CLI script | {ms(p['baseline'])} | {p['base_calls']:.0f} | {p['base_waves']:.0f} | {ms(p['base_server'])} |
| ratio (script ÷ ours) | **{p['baseline'] / p['ours']:.1f}×** | | | |

The minimal chain for this job is 7 sequential round trips: who am I → (does the user exist ∥ is
the alias free) before any change, then (CreateKey ∥ CreateUser) → (CreateAlias ∥ PutUserPolicy ∥
CreateAccessKey) → the new key's GetCallerIdentity → Encrypt → Decrypt. Ours made
{p['our_waves']:.0f}. Our wall time is {p['ours'] / p['our_server']:.1f}× the sum of the emulator's own
per-call times ({ms(p['our_server'])}); the rest is process start, TLS-free HTTP on loopback, SigV4
signing and the keychain write.

## `credential_process` latency

What an application pays each time its AWS SDK fetches the credentials from the keychain.

| | median |
|---|---|
| `csfle-provisioner-cli credential-process` | {ms(c['ours'])} |
| `secret-tool lookup` of the same item (the C libsecret floor) | {ms(c['floor'])} |
| ratio | {c['ours'] / c['floor']:.1f}× |

## The desktop app

Release builds, each started 5 times under Xvfb through tauri-driver; time from the WebDriver
"new session" request until the first screen's heading exists (for the baseline, its `<h1>`), and
the resident memory of the whole process tree (app, WebKit web and network processes) at that point.

| | start to first screen | resident memory |
|---|---|---|
| csfle-provisioner | {ms(app['start'])} | {app['rss_mib']:.0f} MiB |
| hello-world Tauri window (`bench/hello-tauri`, same Tauri, same profile) | {ms(hello['start'])} | {hello['rss_mib']:.0f} MiB |
| ratio | {app['start'] / hello['start']:.2f}× | {app['rss_mib'] / hello['rss_mib']:.2f}× |

## Package size

`tauri build --bundles deb`: `{d['name']}` is {d['deb_mib']:.1f} MiB; installed, {d['installed_mib']:.1f} MiB.
"""
    (ROOT / "BENCHMARKS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
