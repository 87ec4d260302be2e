import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Identity } from "../bindings";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard, type ScreenName } from "../state";
import { connectScreen } from "./connect";
import { keyScreen } from "./key";

const IDENTITY: Identity = { account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", region: "us-east-1", endpoint_override: null };

function context(went: ScreenName[]): Context {
  const wizard = initialWizard({
    version: "0",
    store_name: "",
    endpoint_override: null,
    regions: ["us-east-1"],
    default_region: "us-east-1",
    profiles: [{ name: "default", region: "us-east-1" }],
  });
  return { wizard, api, go: (name) => went.push(name), setIdentity: (who) => (wizard.identity = who) };
}

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const enter = (id: string) => $(id).dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
const announced = () => document.getElementById("announcer")?.textContent?.trim() ?? "";

describe("Enter submits each screen", () => {
  afterEach(() => {
    clearMocks();
    vi.useRealTimers();
  });

  it("on Connect checks the connection first, then continues", async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === "connect") return IDENTITY;
      if (cmd === "interrupted_runs") return [];
      return null;
    });
    const went: ScreenName[] = [];
    const ctx = context(went);
    document.body.replaceChildren(connectScreen(ctx));
    enter("profile");
    await vi.waitFor(() => expect(($("connect-continue") as HTMLButtonElement).disabled).toBe(false));
    expect(asked).toContain("connect");
    expect(went).toEqual([]);

    enter("region");
    expect(went).toEqual(["app"]);
  });

  it("on Master key continues only once the alias is known to be free, and says why before", async () => {
    let free = false;
    mockIPC((cmd) => (cmd === "check_alias" ? { ok: free, message: free ? null : "That alias is taken in this account." } : null));
    const went: ScreenName[] = [];
    const ctx = context(went);
    ctx.wizard.identity = IDENTITY;
    ctx.wizard.keyMode = "new";
    ctx.wizard.alias = "alias/orders-csfle";
    document.body.replaceChildren(keyScreen(ctx));
    const next = $("key-continue") as HTMLButtonElement;
    await vi.waitFor(() => expect(next.title).toBe("Choose an alias that is free in this account first."));

    enter("alias");
    expect(went).toEqual([]);
    expect(announced()).toBe("Choose an alias that is free in this account first.");

    free = true;
    ($("alias") as HTMLInputElement).dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(next.disabled).toBe(false));
    enter("alias");
    expect(went).toEqual(["account"]);
  });
});
