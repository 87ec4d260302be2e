#!/usr/bin/env node
// tauri.conf.json's beforeBuildCommand: builds what `tauri build` bundles besides the app itself,
// the UI (ui/dist) and the command-line program, which applications run as credential_process.
// The CLI is built for the target tauri builds (TAURI_ENV_TARGET_TRIPLE, profile per TAURI_ENV_DEBUG)
// wherever cargo puts builds (CARGO_TARGET_DIR, a cargo config's target-dir, or target/), then
// staged where the bundle configuration reads it:
//   Linux          binaries/csfle-provisioner-cli             (bundle.linux.deb/rpm "files")
//   macOS, Windows binaries/csfle-provisioner-cli-<triple>[.exe] (externalBin, see
//                  .github/release/tauri.sidecar.conf.json)
// Node rather than a shell script: the same hook runs on Windows.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const windows = process.platform === "win32";

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", shell: windows, ...options });
  if (result.status !== 0) {
    console.error(`bundle-inputs: ${command} ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
  return result;
}

console.error("==> The UI (ui/dist)");
run("npm", ["--prefix", "ui", "run", "build"]);
// What the bundle embeds must carry no test hook (window.__csfleReplyLog): a release fails here.
run("node", ["ui/scripts/no-test-hooks.mjs"]);

const host = spawnSync("rustc", ["-vV"], { encoding: "utf8" })
  .stdout.split("\n")
  .find((line) => line.startsWith("host: "))
  ?.slice("host: ".length);
const triple = process.env.TAURI_ENV_TARGET_TRIPLE || host;
if (!triple) {
  console.error("bundle-inputs: neither TAURI_ENV_TARGET_TRIPLE nor `rustc -vV` names the target");
  process.exit(1);
}
const release = process.env.TAURI_ENV_DEBUG !== "true";
const args = ["build", "-p", "csfle-provisioner-cli", "--message-format=json-render-diagnostics"];
if (release) args.push("--release");
// Only an explicit cross target gets --target: for the host, the CLI lands where a plain
// `cargo build` puts it and shares that build.
if (triple !== host) args.push("--target", triple);
if (process.env.CI) args.push("--locked");

console.error(`==> The command-line program (${triple}, ${release ? "release" : "debug"})`);
const built = run("cargo", args, { stdio: ["inherit", "pipe", "inherit"], encoding: "utf8", maxBuffer: 1 << 28 });
const executable = built.stdout
  .split("\n")
  .filter((line) => line.startsWith("{"))
  .map((line) => JSON.parse(line))
  .filter((m) => m.reason === "compiler-artifact" && m.executable && m.target.name === "csfle-provisioner-cli")
  .map((m) => m.executable)
  .pop();
if (!executable) {
  console.error("bundle-inputs: cargo reported no csfle-provisioner-cli executable");
  process.exit(1);
}

const exe = triple.includes("windows") ? ".exe" : "";
const staged = triple.includes("linux")
  ? join(root, "binaries", "csfle-provisioner-cli")
  : join(root, "binaries", `csfle-provisioner-cli-${triple}${exe}`);
mkdirSync(dirname(staged), { recursive: true });
copyFileSync(executable, staged);
console.error(`==> Staged ${executable} as ${staged}`);
