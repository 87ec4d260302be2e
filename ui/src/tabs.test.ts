import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppInfo, Identity } from "./bindings";
import { api } from "./ipc";
import { start } from "./main";

const info: AppInfo = {
  version: "0.1.0",
  store_name: "Secret Service keyring",
  endpoint_override: "http://127.0.0.1:4566",
  regions: ["us-east-1"],
  default_region: "us-east-1",
  profiles: [],
};
const identity: Identity = { account_id: "123456789012", account_alias: "acme-prod", arn: "arn:aws:iam::123456789012:user/admin", region: "us-east-1", endpoint_override: "http://127.0.0.1:4566" };

function page(): void {
  document.body.innerHTML = `<p id="banner"></p><p id="context-facts"></p>
    <div role="tablist"><button type="button" role="tab" id="tab-new" aria-selected="true">New setup</button><button type="button" role="tab" id="tab-setups" aria-selected="false" tabindex="-1">Setups</button></div>
    <span id="tabs-why"></span><div id="tab-panel" role="tabpanel"><nav><ol id="stepper"></ol></nav><main id="screen"></main></div>`;
}

const tab = (id: string) => document.getElementById(id) as HTMLButtonElement;
const key = (name: string) => document.activeElement?.dispatchEvent(new KeyboardEvent("keydown", { key: name, bubbles: true }));

describe("tabs", () => {
  beforeEach(page);
  afterEach(() => clearMocks());

  it("keeps Setups closed, and says why, until the connection is checked", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? info : null));
    await start(document, api);
    expect(tab("tab-setups").getAttribute("aria-disabled")).toBe("true");
    expect(document.getElementById("tabs-why")?.textContent).toContain("Check the connection first");
    tab("tab-setups").click();
    expect(document.getElementById("screen")?.dataset.screen).toBe("connect");
  });

  it("moves between the tabs with the arrow keys and comes back to the step it left", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? info : cmd === "list_setups" || cmd === "interrupted_runs" || cmd === "pending_deletions" || cmd === "legacy_scan" ? [] : null));
    const ctx = await start(document, api);
    ctx?.setIdentity(identity);
    expect(document.getElementById("context-account")?.textContent).toBe("123456789012 (acme-prod)");
    ctx?.go("key");
    expect(document.querySelector("[aria-current=step]")?.textContent).toContain("Master key");
    expect(document.querySelector(".step-done")?.textContent).toContain("✓");
    tab("tab-new").focus();
    key("ArrowRight");
    expect(document.activeElement?.id).toBe("tab-setups");
    tab("tab-setups").click();
    expect(document.getElementById("screen")?.dataset.screen).toBe("setups");
    expect(tab("tab-setups").getAttribute("aria-selected")).toBe("true");
    expect(tab("tab-setups").tabIndex).toBe(0);
    expect(tab("tab-new").tabIndex).toBe(-1);
    expect(document.getElementById("tab-panel")?.getAttribute("aria-labelledby")).toBe("tab-setups");
    key("Home");
    expect(document.activeElement?.id).toBe("tab-new");
    tab("tab-new").click();
    expect(document.getElementById("screen")?.dataset.screen).toBe("key");
  });
});
