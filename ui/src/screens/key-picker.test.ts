import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { KeySummary } from "../bindings";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard } from "../state";
import { keyPicker, looksLikeKeyRef, matching, PAGE } from "./key-picker";

const listed = (i: number): KeySummary => ({
  key_id: `0000${i}`.slice(-5),
  arn: `arn:aws:kms:us-east-1:123456789012:key/${i}`,
  aliases: [`alias/team-${`0000${i}`.slice(-5)}`],
  description: "",
  state: "",
  described: false,
  usable: false,
  reason: null,
});

/** What the Rust side does with the picker's channel: one message per page, in order. */
function sendPages(args: unknown, pages: KeySummary[][]): number {
  const channel = (args as { onPage: { id: number } }).onPage;
  const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } }).__TAURI_INTERNALS__;
  pages.forEach((message, index) => internals.runCallback(channel.id, { index, message }));
  return pages.reduce((n, page) => n + page.length, 0);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function context(): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

describe("key picker", () => {
  afterEach(() => clearMocks());

  it("tells a typed key reference from a search word", () => {
    expect(looksLikeKeyRef("alias/team")).toBe(true);
    expect(looksLikeKeyRef("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")).toBe(true);
    expect(looksLikeKeyRef("1234abcd-12ab-34cd-56ef-1234567890ab")).toBe(true);
    expect(looksLikeKeyRef("team")).toBe(false);
  });

  it("searches aliases and ids, and descriptions once known", () => {
    const keys = [listed(1), { ...listed(2), described: true, description: "Billing data" }];
    expect(matching(keys, "TEAM-00001").map((k) => k.key_id)).toEqual(["00001"]);
    expect(matching(keys, "billing").map((k) => k.key_id)).toEqual(["00002"]);
    expect(matching(keys, "")).toHaveLength(2);
  });

  it("describes only the first screenful of a big account, and says how many are not shown", async () => {
    const all = Array.from({ length: 2000 }, (_, i) => listed(i));
    const asked: string[][] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_keys") return sendPages(args, [all.slice(0, 100), all.slice(100, 1000), all.slice(1000)]);
      if (cmd === "describe_keys") {
        const refs = (args as { refs: string[] }).refs;
        asked.push(refs);
        return refs.map((ref) =>
          ref === "00003"
            ? { ...listed(3), described: true, usable: false, reason: "you may not describe it (kms:DescribeKey is denied)" }
            : { ...listed(Number(ref)), described: true, usable: true, state: "Enabled" },
        );
      }
      return null;
    });
    const pane = document.createElement("div");
    await keyPicker(context(), pane, () => undefined)();
    await settle();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(PAGE);
    expect(pane.querySelectorAll(".key-row")).toHaveLength(PAGE);
    expect(pane.textContent).toContain("2,000 keys");
    expect(pane.querySelector("#key-show-more")?.textContent).toContain("1,950 not shown");
    const denied = pane.querySelector<HTMLInputElement>("#key-00003");
    expect(denied?.disabled).toBe(true);
    expect(denied?.closest("li")?.textContent).toContain("Cannot be used: you may not describe it");
  });

  it("describes a typed alias that the listing does not hold", async () => {
    const asked: string[][] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_keys") return sendPages(args, [[listed(1)], []]);
      if (cmd === "describe_keys") {
        const refs = (args as { refs: string[] }).refs;
        asked.push(refs);
        return refs.map((ref) =>
          ref.startsWith("alias/")
            ? { ...listed(9), key_id: "elsewhere", arn: "arn:aws:kms:us-east-1:123456789012:key/elsewhere", aliases: [ref], described: true, usable: true, state: "Enabled" }
            : { ...listed(1), described: true, usable: true, state: "Enabled" },
        );
      }
      return null;
    });
    const ctx = context();
    const pane = document.createElement("div");
    document.body.replaceChildren(pane);
    await keyPicker(ctx, pane, () => undefined)();
    const search = pane.querySelector<HTMLInputElement>("#key-search");
    if (!search) throw new Error("no search box");
    search.value = "alias/shared-by-another-team";
    search.dispatchEvent(new Event("input"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await settle();
    expect(asked).toContainEqual(["alias/shared-by-another-team"]);
    const typed = pane.querySelector<HTMLInputElement>("#key-elsewhere");
    expect(typed?.disabled).toBe(false);
    typed?.click();
    expect(ctx.wizard.existingKeyArn).toBe("arn:aws:kms:us-east-1:123456789012:key/elsewhere");
  });

  it("shows a key whose aliases span two pages once, with both aliases", async () => {
    mockIPC((cmd, args) => {
      if (cmd === "list_keys") return sendPages(args, [[{ ...listed(7), aliases: ["alias/b"] }], [{ ...listed(7), aliases: ["alias/a"] }], []]);
      if (cmd === "describe_keys") return (args as { refs: string[] }).refs.map(() => ({ ...listed(7), aliases: [], described: true, usable: true, state: "Enabled" }));
      return null;
    });
    const pane = document.createElement("div");
    await keyPicker(context(), pane, () => undefined)();
    await settle();
    expect(pane.querySelectorAll(".key-row")).toHaveLength(1);
    expect(pane.querySelector(".key-name")?.textContent).toBe("alias/a, alias/b");
    // Copy sits beside the radio's label, not inside it: pressing it must not choose the key.
    const copy = pane.querySelector<HTMLButtonElement>(".key-row > button");
    expect(copy?.getAttribute("aria-label")).toBe("Copy key ARN of alias/a, alias/b");
    expect(copy?.closest("label")).toBeNull();
  });
});
