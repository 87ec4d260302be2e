import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { SetupSummary } from "../bindings";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard } from "../state";
import { installAnnouncer } from "../a11y";
import { isAgeRecipient, openSendPanel } from "./send-sealed";

/** Made by Debian's age-keygen. */
const RECIPIENT = "age1hxv6c9raczkzd9kehfesrpgfz7raphvd0727s23zc8pmn6u7v9tsd4gu6t";
const SAVED = "/home/admin/Downloads/app.age";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function context(): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

const setup = { kind: "user", name: "app", keychain_present: true } as SetupSummary;

function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

/** The card's opener and area, with the panel open in the area. */
async function opened(): Promise<{ area: HTMLElement; opener: HTMLButtonElement }> {
  document.body.replaceChildren();
  installAnnouncer();
  const opener = document.createElement("button");
  opener.id = "send-app-open";
  const area = document.createElement("div");
  document.body.append(opener, area);
  openSendPanel(context(), setup, area, opener);
  await settle();
  return { area, opener };
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

describe("age recipients", () => {
  it("accepts what age-keygen prints and nothing near it", () => {
    expect(isAgeRecipient(RECIPIENT)).toBe(true);
    expect(isAgeRecipient(`  ${RECIPIENT}\n`)).toBe(true);
    // One character changed: the Bech32 checksum catches it.
    expect(isAgeRecipient(RECIPIENT.replace("hxv6", "hxv7"))).toBe(false);
    expect(isAgeRecipient(RECIPIENT.toUpperCase())).toBe(false);
    expect(isAgeRecipient(RECIPIENT.slice(0, -1))).toBe(false);
    expect(isAgeRecipient("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ")).toBe(false);
    expect(isAgeRecipient("age1")).toBe(false);
  });
});

describe("send to another computer", () => {
  afterEach(() => clearMocks());

  it("focuses the recipient, suggests a file, and seals only a valid recipient", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "suggest_delivery_path") return SAVED;
      if (cmd === "deliver_sealed") return { user: "app", recipient: RECIPIENT, file: SAVED };
      return null;
    });
    const { area } = await opened();
    const recipient = byId<HTMLInputElement>("send-recipient-app");
    expect(document.activeElement).toBe(recipient);
    expect(byId<HTMLInputElement>("send-path-app").value).toBe(SAVED);
    const go = byId<HTMLButtonElement>("send-go-app");
    expect(go.disabled).toBe(true);
    expect(go.title).toContain("Paste the recipient");

    type(recipient, "AGE-SECRET-KEY-1ABC");
    expect(go.disabled).toBe(true);
    expect(recipient.getAttribute("aria-invalid")).toBe("true");
    expect(area.textContent).toContain("secret identity");
    type(recipient, RECIPIENT.replace("hxv6", "hxv7"));
    expect(go.disabled).toBe(true);

    type(recipient, ` ${RECIPIENT} `);
    expect(go.disabled).toBe(false);
    go.click();
    await settle();
    expect(calls).toContainEqual(["deliver_sealed", { user: "app", recipient: RECIPIENT, out: SAVED }]);
    const result = byId("send-result-app");
    expect(document.activeElement).toBe(result);
    expect(byId("send-import-app").textContent).toBe(`csfle-provisioner-cli import ${SAVED}`);
    expect(document.getElementById("announcer")?.textContent).toContain(SAVED);
  });

  it("does not call without a file name, and shows the engine's refusal", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "suggest_delivery_path") return SAVED;
      if (cmd === "deliver_sealed") throw { code: "delivery-failed", message: `${SAVED} could not be written: File exists`, hint: "Choose another file.", rollback: null };
      return null;
    });
    const { area } = await opened();
    type(byId<HTMLInputElement>("send-recipient-app"), RECIPIENT);
    type(byId<HTMLInputElement>("send-path-app"), "  ");
    const go = byId<HTMLButtonElement>("send-go-app");
    expect(go.disabled).toBe(true);
    expect(go.title).toContain("where to save");
    type(byId<HTMLInputElement>("send-path-app"), SAVED);
    go.click();
    await settle();
    expect(area.querySelector("[data-error-code=delivery-failed]")?.textContent).toContain("File exists");
    expect(calls.filter((c) => c === "deliver_sealed")).toHaveLength(1);
  });

  it("closes on Escape and on Cancel, giving focus back to the button that opened it", async () => {
    mockIPC((cmd) => (cmd === "suggest_delivery_path" ? SAVED : null));
    let { area, opener } = await opened();
    byId("send-recipient-app").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(area.childElementCount).toBe(0);
    expect(document.activeElement).toBe(opener);
    ({ area, opener } = await opened());
    byId<HTMLButtonElement>("send-cancel-app").click();
    expect(area.childElementCount).toBe(0);
    expect(document.activeElement).toBe(opener);
  });
});
