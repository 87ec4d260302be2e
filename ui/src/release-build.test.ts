// @vitest-environment node
import { describe, expect, it } from "vitest";
import { build } from "vite";

// The UI is built here as `npm run build` builds it for a release bundle (vite.config.ts, the
// production mode), in memory, and as the e2e build is made: the reply-log hook must be in the
// second and nowhere in the first. MODE is replaced at build time, so the hook's code is not
// merely switched off in a release: it is not there.
const root = new URL("..", import.meta.url).pathname;

async function builtText(mode: string): Promise<string> {
  const result = await build({ root, mode, logLevel: "silent", build: { write: false } });
  const outputs = [result].flat().filter((o) => "output" in o);
  return outputs
    .flatMap((o) => o.output)
    .map((file) => ("code" in file ? file.code : typeof file.source === "string" ? file.source : new TextDecoder().decode(file.source)))
    .join("\n");
}

describe("the release build", () => {
  it("has no test hook, while the e2e build has it", async () => {
    const release = await builtText("production");
    expect(release).toContain("csfle"); // the app itself was built
    expect(release).not.toContain("__csfleReplyLog");
    const e2e = await builtText("e2e");
    expect(e2e).toContain("__csfleReplyLog");
  }, 60_000);
});
