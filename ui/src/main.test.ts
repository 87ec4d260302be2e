import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppInfo, Identity } from "./bindings";
import { api } from "./ipc";
import { start } from "./main";
import { endpointBanner, maskAccessKeyId } from "./state";

const info: AppInfo = {
  version: "0.1.0",
  store_name: "Secret Service keyring",
  endpoint_override: "http://127.0.0.1:4566",
  regions: ["eu-west-1", "us-east-1"],
  default_region: "us-east-1",
  profiles: [{ name: "default", region: "us-east-1" }, { name: "admin", region: "eu-west-1" }],
};
const identity: Identity = { account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", region: "eu-west-1", endpoint_override: "http://127.0.0.1:4566" };

function page(): void {
  document.body.innerHTML = `<p id="banner"></p><p id="context-facts"></p><ol id="stepper"></ol><main id="screen"></main>`;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe("wizard", () => {
  beforeEach(page);
  afterEach(() => clearMocks());

  it("opens on Connect with the sandbox banner and nothing else possible", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? info : null));
    await start(document, api);
    expect(document.getElementById("banner")?.textContent).toContain("SANDBOX");
    expect(document.getElementById("banner")?.hidden).toBe(false);
    expect(document.querySelector("h1")?.textContent).toBe("Connect to AWS");
    expect((document.getElementById("connect-continue") as HTMLButtonElement).disabled).toBe(true);
    expect(document.querySelector("[aria-current=step]")?.textContent).toContain("Connect");
  });

  it("shows who is acting after the check and only then allows Continue", async () => {
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return cmd === "app_info" ? info : identity;
    });
    await start(document, api);
    (document.getElementById("profile") as HTMLSelectElement).value = "admin";
    document.getElementById("profile")?.dispatchEvent(new Event("change"));
    expect((document.getElementById("region") as HTMLSelectElement).value).toBe("eu-west-1");
    (document.getElementById("connect-check") as HTMLButtonElement).click();
    await settle();
    expect(calls).toContainEqual(["connect", { options: { profile: "admin", region: "eu-west-1" } }]);
    expect(document.getElementById("identity")?.textContent).toContain("arn:aws:iam::123456789012:user/admin");
    expect((document.getElementById("connect-continue") as HTMLButtonElement).disabled).toBe(false);
  });

  it("keeps the mode, account, identity and region in the context bar, and starts with an empty announcer", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? info : cmd === "interrupted_runs" ? [] : identity));
    await start(document, api);
    expect(document.getElementById("announcer")?.textContent).toBe("");
    expect(document.getElementById("announcer")?.getAttribute("aria-live")).toBe("polite");
    expect(document.getElementById("context-facts")?.textContent).toContain("Not connected");
    (document.getElementById("connect-check") as HTMLButtonElement).click();
    await settle();
    expect(document.getElementById("context-account")?.textContent).toBe("123456789012");
    expect(document.getElementById("context-identity")?.textContent).toBe("arn:aws:iam::123456789012:user/admin");
    expect(document.getElementById("context-region")?.textContent).toBe("eu-west-1");
    expect(document.getElementById("banner")?.dataset.mode).toBe("sandbox");
    expect(document.getElementById("announcer")?.textContent).toContain("Connected as arn:aws:iam::123456789012:user/admin");
  });

  it("says REAL AWS when requests go to AWS itself", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? { ...info, endpoint_override: null } : null));
    await start(document, api);
    const banner = document.getElementById("banner");
    expect(banner?.hidden).toBe(false);
    expect(banner?.dataset.mode).toBe("real");
    expect(banner?.textContent).toMatch(/^REAL AWS/);
  });

  for (const control of ["profile", "region"]) {
    it(`forgets the checked identity when the ${control} changes, and Continue waits for a new check`, async () => {
      const calls: [string, unknown][] = [];
      mockIPC((cmd, args) => {
        calls.push([cmd, args]);
        return cmd === "app_info" ? info : cmd === "interrupted_runs" ? [] : identity;
      });
      await start(document, api);
      (document.getElementById("connect-check") as HTMLButtonElement).click();
      await settle();
      const next = document.getElementById("connect-continue") as HTMLButtonElement;
      expect(next.disabled).toBe(false);
      const select = document.getElementById(control) as HTMLSelectElement;
      select.value = control === "profile" ? "admin" : "us-east-1";
      select.dispatchEvent(new Event("change"));
      expect(next.disabled).toBe(true);
      expect((document.getElementById("connect-setups") as HTMLButtonElement).disabled).toBe(true);
      expect(document.getElementById(next.getAttribute("aria-describedby") ?? "")?.textContent).toContain("check the connection again");
      expect(next.title).toContain("check the connection again");
      expect(document.getElementById("identity")).toBeNull();
      expect(document.getElementById("context-facts")?.textContent).toContain("Not connected");
      // A new check with the new choice enables it again.
      (document.getElementById("connect-check") as HTMLButtonElement).click();
      await settle();
      expect(next.disabled).toBe(false);
      expect(next.hasAttribute("aria-describedby")).toBe(false);
      expect(calls.filter(([cmd]) => cmd === "connect")).toHaveLength(2);
    });
  }

  it("does not take an identity checked for a profile that was changed while the check ran", async () => {
    let answer: (who: Identity) => void = () => undefined;
    mockIPC((cmd) => (cmd === "app_info" ? info : cmd === "interrupted_runs" ? [] : new Promise((resolve) => (answer = resolve))));
    await start(document, api);
    (document.getElementById("connect-check") as HTMLButtonElement).click();
    await settle();
    const select = document.getElementById("profile") as HTMLSelectElement;
    select.value = "admin";
    select.dispatchEvent(new Event("change"));
    answer(identity);
    await settle();
    expect((document.getElementById("connect-continue") as HTMLButtonElement).disabled).toBe(true);
    expect(document.getElementById("identity")).toBeNull();
    expect(document.getElementById("context-facts")?.textContent).toContain("Not connected");
  });

  it("shows the wizard's stepper on its screens only, not on Setups", async () => {
    mockIPC((cmd) => (cmd === "app_info" ? info : cmd === "interrupted_runs" || cmd === "list_setups" ? [] : null));
    const ctx = await start(document, api);
    expect(document.getElementById("stepper")?.hidden).toBe(false);
    ctx?.go("setups");
    expect(document.getElementById("stepper")?.hidden).toBe(true);
    ctx?.go("connect");
    expect(document.getElementById("stepper")?.hidden).toBe(false);
    await settle();
  });

  it("explains a failed connection with its hint", async () => {
    mockIPC((cmd) => {
      if (cmd === "app_info") return info;
      throw { code: "no-credentials", message: "No AWS credentials could be loaded", hint: "Choose an AWS profile that has credentials", rollback: null };
    });
    await start(document, api);
    (document.getElementById("connect-check") as HTMLButtonElement).click();
    await settle();
    const alert = document.querySelector("[role=alert]");
    expect(alert?.getAttribute("data-error-code")).toBe("no-credentials");
    expect(alert?.textContent).toContain("What to do: Choose an AWS profile");
  });
});

describe("helpers", () => {
  it("name the endpoint in the banner", () => {
    expect(endpointBanner(null)).toBeNull();
    expect(endpointBanner("http://localhost:5000")).toMatch(/^SANDBOX/);
    expect(endpointBanner("https://kms.internal.example")).toMatch(/^CUSTOM ENDPOINT — requests go to kms.internal.example/);
  });

  it("mask access key ids to four and four", () => {
    expect(maskAccessKeyId("AKIAIOSFODNN7EXAMPLE")).toBe("AKIA…MPLE");
  });
});
