#!/usr/bin/env node
// Fails when the production build in ui/dist carries a test hook (window.__csfleReplyLog): release
// bundles embed that folder. Run after `vite build` (production mode), before the e2e build.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const hooks = ["__csfleReplyLog"];
const found = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (hooks.some((hook) => readFileSync(path, "utf8").includes(hook))) found.push(path);
  }
}
walk(dist);
if (found.length) {
  console.error(`no-test-hooks: the production build contains a test hook: ${found.join(", ")}`);
  process.exit(1);
}
console.error("no-test-hooks: the production build has no test hook");
