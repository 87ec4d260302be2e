import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { api } from "../ipc";
import type { Context } from "../components";
import { initialWizard } from "../state";
import { pendingDeletionsPanel } from "./pending-deletions";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function context(): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

describe("keys waiting for deletion", () => {
  afterEach(() => clearMocks());

  it("lists each with its date in words and cancels exactly the key shown", async () => {
    const calls: [string, unknown][] = [];
    let reloaded = 0;
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "pending_deletions") return [{ key_arn: KEY, description: "MongoDB CSFLE master key", deletion_date: Date.now() / 1000 + 7 * 86400 }];
      if (cmd === "cancel_key_deletion") return "cancelled";
      return null;
    });
    const panel = await pendingDeletionsPanel(context(), () => (reloaded += 1));
    expect(panel?.textContent).toContain(KEY);
    expect(panel?.querySelector("time")?.getAttribute("title")).toBeTruthy();
    const copy = panel?.querySelector<HTMLButtonElement>("#pending-key-1234abcd-12ab-34cd-56ef-1234567890ab-copy");
    expect(copy?.getAttribute("aria-label")).toBe("Copy key ARN of the key waiting for deletion");
    (panel?.querySelector("#cancel-deletion-1234abcd-12ab-34cd-56ef-1234567890ab") as HTMLButtonElement).click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toContainEqual(["cancel_key_deletion", { keyArn: KEY }]);
    expect(reloaded).toBe(1);
  });

  it("says nothing when there is nothing, or the list cannot be read", async () => {
    mockIPC(() => []);
    expect(await pendingDeletionsPanel(context(), () => undefined)).toBeNull();
    mockIPC(() => {
      throw { code: "aws-error", message: "denied", hint: "" };
    });
    expect(await pendingDeletionsPanel(context(), () => undefined)).toBeNull();
  });
});
