#!/usr/bin/env python3
"""Checks the shape of the code that no compiler checks (issue 15):

- the engine's folders are its module paths: no module re-exported at the crate root, and no
  caller anywhere names a module by a flat path (`csfle_core::apply`, `crate::journal`);
- its layers run one way: session > lifecycle > setup > aws, local, store > model, error, validate, ...
  (a module may name its own folder, and folders below it, never one above or beside it the wrong way);
- every AWS SDK call of the engine is in aws/;
- no source file over 500 lines of code and no function over 80 lines, Rust and TypeScript
  (tests apart).

Prints each finding and exits 1 if there is any; `--report` prints the measurements too.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = ROOT / "src-tauri/core/src"
MAX_FILE_LINES = 500
MAX_FN_LINES = 80

# Lower number = lower layer. A module may use its own folder and anything strictly lower.
# setup sits below lifecycle: lifecycle (rotate, recovery) reuses setup's steps, never the reverse.
RANK = {
    "session": 5,
    "lifecycle": 4,
    "setup": 3,
    "aws": 2,
    "local": 2,
    "store": 2,
    "model": 1,
    "error": 1,
    "validate": 1,
    "cancel": 0,
    "secret": 0,
}
# aws and local share a rank; local may use aws (a session-credentials call), not the reverse.
SAME_RANK_ALLOWED = {("local", "aws"), ("model", "validate"), ("error", "validate")}
FOLDERS = ("aws", "lifecycle", "local", "setup", "session", "store", "validate")


def rust_sources():
    for base in ("src-tauri", "tests", "bench"):
        for path in (ROOT / base).rglob("*.rs"):
            if "/target/" not in str(path) and "/gen/" not in str(path):
                yield path


def core_module(path):
    """`setup::apply` for src-tauri/core/src/setup/apply.rs; the top folder decides the layer."""
    rel = path.relative_to(CORE).with_suffix("")
    parts = [p for p in rel.parts if p not in ("mod", "lib")]
    return parts


def leaf_modules():
    leaves = {}
    for folder in FOLDERS:
        for path in (CORE / folder).glob("*.rs"):
            if path.stem not in ("mod", "tests"):
                leaves[path.stem] = folder
    return leaves


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*$", "", line) for line in text.splitlines())


def referenced_tops(text):
    """Top-level core modules a Rust file names through `crate::`, including `use crate::{a, b}`."""
    tops = set(re.findall(r"\bcrate::([a-z_]+)\b", text))
    for group in re.findall(r"\bcrate::\{([^;]*?)\};", text, flags=re.S):
        depth, item = 0, ""
        for ch in group + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                name = re.match(r"\s*([a-z_]+)", item)
                if name:
                    tops.add(name.group(1))
                item = ""
            else:
                item += ch
    return tops


def check_paths(findings):
    leaves = leaf_modules()
    lib = (CORE / "lib.rs").read_text()
    for line in lib.splitlines():
        if re.match(r"\s*pub use (aws|lifecycle|local|setup|session)::", line):
            findings.append(f"src-tauri/core/src/lib.rs: re-export at the crate root: {line.strip()}")
    for path in rust_sources():
        text = strip_comments(path.read_text())
        in_core = CORE in path.parents
        root = "crate" if in_core else "csfle_core"
        if "/keystore/" in str(path) or (not in_core and "csfle_core" not in text):
            continue
        names = set(re.findall(rf"\b{root}::([a-z_]+)\b", text))
        for group in re.findall(rf"\b{root}::\{{([^;]*?)\}};", text, flags=re.S):
            names |= set(re.findall(r"(?:^|,)\s*([a-z_]+)\b", group))
        for name in sorted(names & set(leaves)):
            rel = path.relative_to(ROOT)
            findings.append(f"{rel}: flat path {root}::{name} (say {root}::{leaves[name]}::{name})")


def check_layers(findings, report):
    edges = {}
    for path in CORE.rglob("*.rs"):
        parts = core_module(path)
        if not parts or path.name == "tests.rs":
            continue
        top = parts[0]
        text = strip_comments(path.read_text())
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        for used in referenced_tops(text):
            if used == top or used not in RANK or top not in RANK:
                continue
            edges.setdefault((top, used), []).append(str(path.relative_to(ROOT)))
    for (top, used), files in sorted(edges.items()):
        ok = RANK[used] < RANK[top] or (top, used) in SAME_RANK_ALLOWED
        if report:
            print(f"  {top} -> {used}: {'ok' if ok else 'AGAINST THE LAYERS'} ({len(files)} files)")
        if not ok:
            for f in files:
                findings.append(f"{f}: {top} uses {used}, a layer it must not name")


def module_of(path):
    parts = core_module(path)
    return "::".join(parts) if parts else "lib"


def referenced_modules(text, known):
    """Core modules (`setup::apply`, `model`) a file names, through `crate::` paths and groups."""
    found = set()
    for path in re.findall(r"\bcrate::((?:[a-z_]+::)*[a-z_]+)", text):
        parts = path.split("::")
        for n in (2, 1):
            candidate = "::".join(parts[:n])
            if candidate in known:
                found.add(candidate)
                break
    for group in re.findall(r"\bcrate::\{([^;]*?)\};", text, flags=re.S):
        for item in re.findall(r"([a-z_]+(?:::[a-z_]+)?)", group):
            if item in known:
                found.add(item)
    return found


def check_cycles(findings, report):
    """No two modules of the engine name each other: a two-way pair hides which way layers run."""
    files = {module_of(p): p for p in CORE.rglob("*.rs") if p.name != "tests.rs"}
    uses = {}
    for module, path in files.items():
        text = strip_comments(path.read_text())
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        uses[module] = referenced_modules(text, files) - {module}
    pairs = sorted({tuple(sorted((a, b))) for a in uses for b in uses[a] if a in uses.get(b, set())})
    for a, b in pairs:
        findings.append(f"two-way pair: {a} and {b} name each other")


def check_sdk_calls(findings):
    """Every AWS call (`.send()` on an SDK request) of the engine is a small function in aws/."""
    for path in CORE.rglob("*.rs"):
        if CORE / "aws" in path.parents or path.name == "tests.rs":
            continue
        text = strip_comments(path.read_text())
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        for number, line in enumerate(text.splitlines(), 1):
            if ".send()" in line:
                rel = path.relative_to(ROOT)
                findings.append(f"{rel}:{number}: an AWS call outside aws/")


def rust_functions(text):
    """(name, line count) for each `fn` with a body, by brace matching."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\s*(?:pub(?:\([a-z]+\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)", line)
        if not m:
            continue
        depth, started = 0, False
        for j in range(i, len(lines)):
            code = re.sub(r"//.*$", "", lines[j])
            code = re.sub(r"'(?:\\.|[^'\\])'", "", re.sub(r'"(?:\\.|[^"\\])*"', '""', code))
            if not started and ";" in code and "{" not in code:
                break
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                yield m.group(1), j - i + 1
                break


def ts_functions(text):
    lines = text.splitlines()
    starts = re.compile(
        r"\s*(?:export\s+)?(?:async\s+)?function\s+(\w+)|\s*(?:export\s+)?const\s+(\w+)\s*=\s*(?:async\s*)?\([^)]*\)\s*(?::[^=]*)?=>\s*\{"
    )
    for i, line in enumerate(lines):
        m = starts.match(line)
        if not m:
            continue
        depth, started = 0, False
        for j in range(i, len(lines)):
            code = re.sub(r"//.*$", "", lines[j])
            code = re.sub(r"`[^`]*`|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', code)
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                yield m.group(1) or m.group(2), j - i + 1
                break


def code_lines(text, rust):
    if rust:
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests\s*\{", text)[0]
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("//"))


def check_sizes(findings, report):
    sources = [p for p in (ROOT / "src-tauri").rglob("*.rs") if "/tests/" not in str(p) and p.name != "tests.rs"]
    sources += [p for p in (ROOT / "ui/src").rglob("*.ts") if not p.name.endswith(".test.ts")]
    sizes = []
    for path in sorted(sources):
        rust = path.suffix == ".rs"
        text = path.read_text()
        rel = path.relative_to(ROOT)
        loc = code_lines(text, rust)
        sizes.append((loc, str(rel)))
        if loc > MAX_FILE_LINES:
            findings.append(f"{rel}: {loc} lines of code (at most {MAX_FILE_LINES})")
        body = re.split(r"#\[cfg\(test\)\]\s*mod tests\s*\{", text)[0] if rust else text
        for name, length in (rust_functions(body) if rust else ts_functions(body)):
            if length > MAX_FN_LINES:
                findings.append(f"{rel}: function {name} is {length} lines (at most {MAX_FN_LINES})")
    if report:
        for loc, rel in sorted(sizes)[-8:]:
            print(f"  {loc:4} lines of code  {rel}")


def main():
    report = "--report" in sys.argv
    findings = []
    check_paths(findings)
    check_layers(findings, report)
    check_cycles(findings, report)
    check_sdk_calls(findings)
    check_sizes(findings, report)
    for finding in findings:
        print(finding)
    print(f"structure: {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
