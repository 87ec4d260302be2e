#!/usr/bin/env python3
"""The setups view and provisioning where users are: every AWS reply held 0, 20 and 100 ms by the
emulator's standing "latency" rule, with 1, 25 and 100 setups in the account. Writes its table into
BENCHMARKS.md between the latency markers. Run it through `bench/run.sh --latency`.

Figures per cell: `list` wall time on this computer (journal and keychain present), the AWS calls
it made (the emulator's /_requests), sequential round trips (wall time ÷ delay), and the first
`list` of a new admin (another data folder, no journal). Provision and rotate are measured once per
delay. One run, no medians: these are round-trip counts, not microbenchmarks."""

import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import CLI, ROOT, Emulator, Keyring, waves  # noqa: E402
import statistics  # noqa: E402
from scale import run  # noqa: E402

DELAYS = [0.0, 0.02, 0.1]
SIZES = [1, 25, 100]
START, END = "<!-- latency:start -->", "<!-- latency:end -->"


def at(emulator, delay):
    emulator.clear_faults()
    if delay:
        emulator.fault({"kind": "latency", "seconds": delay})


LIST_RUNS = int(os.environ.get("BENCH_LATENCY_RUNS", "3"))


def measured(emulator, command, env):
    """Wall time, AWS calls, and the emulator's count of sequential round trips (groups of calls
    in flight together), which a busy CPU does not inflate the way it inflates wall time."""
    emulator.clear()
    elapsed, out, _ = run(command, env)
    calls = emulator.requests()
    return elapsed, len(calls), out, waves(calls)


def median_of(emulator, command, env, runs):
    results = [measured(emulator, command, env) for _ in range(runs)]
    wall = statistics.median(r[0] for r in results)
    return wall, results[0][1], results[0][2], statistics.median(r[3] for r in results)


def main():
    # A stopped run still stops its emulator and keyring (the `finally` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    home = Path(tempfile.mkdtemp(prefix="csfle-latency-"))
    emulator, keyring = Emulator(), Keyring(home)
    env = keyring.env({
        "AWS_ENDPOINT_URL": emulator.url, "AWS_ACCESS_KEY_ID": "AKIABENCHADMIN000001", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "CSFLE_PROVISIONER_DATA_DIR": str(home / "data"),
    })
    cli = str(CLI)
    rows, writes, made = [], [], 0
    try:
        for size in SIZES:
            at(emulator, 0)
            while made < size:
                run([cli, "provision", "--user", f"lat-{made:03d}", "--new-key", f"alias/lat-{made:03d}"], env)
                made += 1
            # IAM keeps a credential report four hours: the setups just made are newer than the
            # one the last size's lists made, and would be read one by one until it is renewed.
            # Measured as an account is most of the time: its report newer than its setups.
            emulator.drop_credential_report()
            for delay in DELAYS:
                at(emulator, delay)
                wall, calls, out, trips = median_of(emulator, [cli, "list", "--json"], env, LIST_RUNS)
                found = len(json.loads(out))
                other = dict(env, CSFLE_PROVISIONER_DATA_DIR=tempfile.mkdtemp(dir=home))
                first, first_calls, _, _ = measured(emulator, [cli, "list", "--json"], other)
                rows.append({"setups": size, "found": found, "delay": delay, "wall": wall, "calls": calls, "waves": trips, "first": first, "first_calls": first_calls})
                print(f"{size} setups at {delay * 1000:.0f} ms: list {wall:.2f} s, {calls} calls; new admin {first:.2f} s", file=sys.stderr)
        for delay in DELAYS:
            at(emulator, delay)
            user = f"lat-p-{int(delay * 1000)}"
            provision, provision_calls, _, provision_waves = measured(emulator, [cli, "provision", "--user", user, "--new-key", f"alias/{user}"], env)
            rotate, rotate_calls, _, rotate_waves = measured(emulator, [cli, "rotate", "--user", user], env)
            writes.append({"delay": delay, "provision": provision, "provision_calls": provision_calls, "provision_waves": provision_waves, "rotate": rotate, "rotate_calls": rotate_calls, "rotate_waves": rotate_waves})
    finally:
        keyring.stop()
        emulator.stop()
        shutil.rmtree(home, ignore_errors=True)
    (Path(os.environ.get("CSFLE_TARGET_DIR") or ROOT / "target") / "latency-results.json").write_text(json.dumps({"rows": rows, "writes": writes}, indent=1))
    write(rows, writes)


def goals(rows, writes):
    """Issue 20's goals, judged on this run."""
    cell = {(r["setups"], r["delay"]): r for r in rows}
    extra = lambda n: (cell[(n, 0.1)]["wall"] - cell[(n, 0.0)]["wall"]) / 0.1
    worst_calls = max(r["calls"] / r["setups"] for r in rows if r["setups"] > 1)
    first = max(r["first"] / r["wall"] for r in rows)
    provision = next(w for w in writes if w["delay"] == 0.1)
    table = [
        ("`list` of 25 setups at 100 ms: round trips more than at 0 ms", "≤ 10", f"{extra(25):.1f}", "≈ 440 (+44 s)", extra(25) <= 10),
        ("`list` of 100 setups at 100 ms: round trips more than at 0 ms", "≤ 15", f"{extra(100):.1f}", "", extra(100) <= 15),
        ("AWS calls per setup", "≤ 6", f"{worst_calls:.1f}", "21", worst_calls <= 6),
        ("a new admin's first `list` ÷ a later one (worst cell)", "≤ 1.5×", f"{first:.2f}×", "10.6× with 3,000 other users", first <= 1.5),
        ("provision at 100 ms: round trips of wall time", "≤ 10", f"{provision['provision'] / 0.1:.1f}", "9.5", provision["provision"] / 0.1 <= 10),
    ]
    lines = ["| goal (issue 20) | goal | now | before | |", "|---|---|---|---|---|"]
    lines += [f"| {what} | {goal} | {now} | {before} | {'met' if met else 'not met'} |" for what, goal, now, before, met in table]
    return lines


def trips(wall, delay):
    return "—" if not delay else f"{wall / delay:.1f}"


def write(rows, writes):
    base = {(r["setups"]): r for r in rows if r["delay"] == 0}
    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `bench/run.sh --latency` "
        f"({os.environ.get('BENCH_PROFILE', 'release')} build): every AWS reply held by the emulator's "
        f"standing `latency` rule; `list` is the median of {LIST_RUNS} runs. Round trips = wall time ÷ delay; "
        "\"+RT vs 0 ms\" = (wall − wall at 0 ms) ÷ delay; \"sequential calls\" = the emulator's count of groups of "
        "calls in flight together (the round trips a far endpoint adds, whatever the CPU does).",
        "",
        "| setups | delay | `list` wall | AWS calls | calls/setup | round trips | +RT vs 0 ms | sequential calls | new admin's first `list` | its calls | first ÷ later |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        extra = "—" if not r["delay"] else f"{(r['wall'] - base[r['setups']]['wall']) / r['delay']:.1f}"
        lines.append(
            f"| {r['setups']} | {r['delay'] * 1000:.0f} ms | {r['wall']:.2f} s | {r['calls']} | {r['calls'] / r['setups']:.1f} | "
            f"{trips(r['wall'], r['delay'])} | {extra} | {r['waves']:.0f} | {r['first']:.2f} s | {r['first_calls']} | {r['first'] / r['wall']:.2f}× |"
        )
    lines += ["", "| delay | provision wall | its calls | round trips | sequential calls | rotate wall | its calls | round trips | sequential calls |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in writes:
        lines.append(
            f"| {w['delay'] * 1000:.0f} ms | {w['provision']:.2f} s | {w['provision_calls']} | {trips(w['provision'], w['delay'])} | {w['provision_waves']} | "
            f"{w['rotate']:.2f} s | {w['rotate_calls']} | {trips(w['rotate'], w['delay'])} | {w['rotate_waves']} |"
        )
    lines += [""] + goals(rows, writes)
    lines.append(END)
    target = ROOT / "BENCHMARKS.md"
    text = target.read_text()
    table = "\n".join(lines)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: table, text, flags=re.S)
    else:
        text += "\n## Where users are: latency per round trip (issue 20)\n\n" + table + "\n"
    target.write_text(text)
    print(table)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-only"]:
        saved = json.loads((Path(os.environ.get("CSFLE_TARGET_DIR") or ROOT / "target") / "latency-results.json").read_text())
        write(saved["rows"], saved["writes"])
    else:
        main()
