import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InterruptedRun, SetupSummary } from "../bindings";
import { installAnnouncer } from "../a11y";
import type { Context } from "../components";
import { api } from "../ipc";
import { onBeforeUnload, runInProgress } from "../run-guard";
import { initialWizard } from "../state";
import { rotateConsequences } from "./setup-actions";
import { setupsScreen } from "./setups";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function context(): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

function setup(longLived = false): SetupSummary {
  return {
    kind: "user",
    name: "app",
    principal_arn: "arn:aws:iam::123456789012:user/app",
    key_arn: "arn:aws:kms:us-east-1:123456789012:key/k",
    key_aliases: ["alias/app"],
    key_state: "Enabled",
    key_created_by_app: true,
    policy_name: "csfle-kms-app",
    policy: "least-privilege",
    outside_changes: [],
    access_keys: [{ access_key_id: "AKIAIOSFODNN7KEY0001", status: "Active", age_days: 3, last_used: null, in_keychain: true }],
    keychain_account: "123456789012/app",
    keychain_present: true,
    credential_terms: { allow_long_lived: longLived, max_session_seconds: 900 },
    journal_state: null,
    findings: [],
    key_ages: [],
    ownership: "proven",
    ownership_reason: null,
    deliveries: [],
    rotation_waiting: null,
  };
}

const click = (id: string) => (document.getElementById(id) as HTMLButtonElement).click();
const escape = (id: string) => document.getElementById(id)?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
const announced = () => document.getElementById("announcer")?.textContent ?? "";

type Calls = [string, unknown][];

/** The setups screen over a mock that answers every command the tests below use. */
async function open(summary: SetupSummary, runs: InterruptedRun[] = [], hold?: Promise<void>, previewKeyArn = summary.key_arn): Promise<Calls> {
  const calls: Calls = [];
  mockIPC(async (cmd, args) => {
    calls.push([cmd, args]);
    if (cmd === "interrupted_runs") return runs;
    if (cmd === "list_setups") return [summary];
    if (cmd === "rotate") {
      await hold;
      return { user_name: "app", new_access_key_id: "AKIA…NEW", old_access_key_id: "AKIA…OLD", old_key_deleted: true, deleted_inactive_key: null, old_key_kept: false, copies: [], message: "The keychain now holds the new access key." };
    }
    if (cmd === "teardown_preview") return { outside_changes: [], copies: [], key_arn: previewKeyArn, key_aliases: summary.key_aliases, key: { key_arn: previewKeyArn, deletable: true, used_by: [], reason: "" } };
    if (cmd === "teardown") return { removed: ["IAM user app"], kept: [], failed: [], key_deletion_date: "2026-12-31T09:30:00Z" };
    if (cmd === "clean_up_preview") return { remove: ["IAM user half"], left_alone: [] };
    return null;
  });
  document.body.replaceChildren(setupsScreen(context()));
  installAnnouncer(document);
  await settle();
  return calls;
}

describe("destructive actions on the setups screen", () => {
  beforeEach(() => document.body.replaceChildren());
  afterEach(() => clearMocks());

  it("asks before rotating, says what happens to running applications, and Escape leaves everything as it was", async () => {
    const calls = await open(setup());
    click("rotate-app");
    const panel = document.getElementById("rotate-confirm-app");
    expect(panel?.textContent).toContain("at most 15 minutes, this setup's session duration");
    expect(panel?.textContent).toContain("through credential-process");
    expect(panel?.textContent).not.toContain("Restart it");
    expect(document.activeElement?.id).toBe("rotate-cancel-app");
    escape("rotate-cancel-app");
    expect(document.getElementById("rotate-confirm-app")).toBeNull();
    expect(document.activeElement?.id).toBe("rotate-app");
    click("rotate-app");
    click("rotate-cancel-app");
    expect(document.getElementById("rotate-confirm-app")).toBeNull();
    expect(calls.filter(([cmd]) => cmd === "rotate")).toHaveLength(0);
  });

  it("rotates only when confirmed, warns before the window closes meanwhile, and puts focus on the result", async () => {
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const calls = await open(setup(), [], hold);
    click("rotate-app");
    click("rotate-go-app");
    await settle();
    expect(calls.filter(([cmd]) => cmd === "rotate")).toHaveLength(1);
    expect(runInProgress()).toBe(true);
    const event = new Event("beforeunload", { cancelable: true }) as BeforeUnloadEvent;
    expect(onBeforeUnload(event)).toContain("still running");
    expect(event.defaultPrevented).toBe(true);
    release();
    await settle();
    expect(runInProgress()).toBe(false);
    expect(onBeforeUnload(new Event("beforeunload") as BeforeUnloadEvent)).toBeUndefined();
    // The list was rebuilt: focus is on the fresh card's note, not on the page body.
    expect(document.activeElement?.textContent).toContain("The keychain now holds the new access key");
    expect(document.activeElement?.closest("[data-setup=app]")).not.toBeNull();
    expect(announced()).toContain("The keychain now holds the new access key");
  });

  it("tells a setup that allows the long-lived key that its application must be restarted", () => {
    expect(rotateConsequences(setup(true)).join(" ")).toContain("fails as soon as the old key is deleted. Restart it");
    expect(rotateConsequences(setup(false)).join(" ")).not.toContain("Restart it");
  });

  it("sends the key ARN the teardown question showed, with the typed name, when the key is to be deleted", async () => {
    const shownArn = "arn:aws:kms:us-east-1:123456789012:key/shown-in-the-preview";
    const calls = await open(setup(), [], undefined, shownArn);
    click("teardown-app-open");
    await settle();
    const deleteKey = document.getElementById("delete-key-app") as HTMLInputElement;
    deleteKey.checked = true;
    deleteKey.dispatchEvent(new Event("change"));
    const confirm = document.getElementById("confirm-app") as HTMLInputElement;
    confirm.value = "app";
    confirm.dispatchEvent(new Event("input"));
    click("teardown-go-app");
    await settle();
    const sent = calls.filter(([cmd]) => cmd === "teardown").map(([, args]) => args);
    expect(sent).toEqual([{ name: "app", role: false, deleteKeyDays: 30, keyArn: shownArn, confirmation: "app", keyProfile: null, vaultLogins: [] }]);
  });

  it("opens the teardown question on its first field, cancels with Escape or Cancel, and dates the key's deletion in words", async () => {
    const calls = await open(setup());
    click("teardown-app-open");
    await settle();
    expect(document.activeElement?.id).toBe("confirm-app");
    const go = document.getElementById("teardown-go-app") as HTMLButtonElement;
    expect(go.disabled).toBe(true);
    expect(document.getElementById(go.getAttribute("aria-describedby") ?? "")?.textContent).toBe("Type app above to confirm.");
    escape("confirm-app");
    expect(document.getElementById("teardown-app")).toBeNull();
    expect(document.activeElement?.id).toBe("teardown-app-open");
    click("teardown-app-open");
    await settle();
    click("teardown-cancel-app");
    expect(document.getElementById("teardown-app")).toBeNull();
    click("teardown-app-open");
    await settle();
    const confirm = document.getElementById("confirm-app") as HTMLInputElement;
    confirm.value = "app";
    confirm.dispatchEvent(new Event("input"));
    expect(go.isConnected ? go.disabled : (document.getElementById("teardown-go-app") as HTMLButtonElement).disabled).toBe(false);
    click("teardown-go-app");
    await settle();
    expect(calls.filter(([cmd]) => cmd === "teardown")).toHaveLength(1);
    const shown = document.getElementById("teardown-result");
    expect(document.activeElement).toBe(shown);
    const time = shown?.querySelector("time");
    expect(time?.getAttribute("datetime")).toBe("2026-12-31T09:30:00.000Z");
    expect(time?.textContent).toMatch(/December 2026/);
    expect(time?.textContent).not.toContain("2026-12-31T");
    expect(time?.getAttribute("title")).toMatch(/2026/);
    expect(shown?.textContent).toContain("cancel the deletion");
    expect(announced()).toBe("app torn down.");
  });

  it("asks before cleaning up an interrupted run, with Keep them focused and Escape to leave", async () => {
    const run: InterruptedRun = { run_id: "r1", kind: "user", user_name: "half", region: "us-east-1", started_at: 1_790_000_000, created: ["IAM user half"] };
    const calls = await open(setup(), [run]);
    expect(document.querySelector("#interrupted time")?.getAttribute("title")).toBeTruthy();
    click("clean-up-half");
    await settle();
    expect(document.getElementById("clean-up-question-half")?.textContent).toContain("IAM user half");
    expect(document.activeElement?.id).toBe("clean-up-keep-half");
    escape("clean-up-keep-half");
    expect(document.getElementById("clean-up-question-half")).toBeNull();
    expect(document.activeElement?.id).toBe("clean-up-half");
    expect(calls.filter(([cmd]) => cmd === "clean_up_run")).toHaveLength(0);
  });

  it("is no live region as a whole: a reload does not read every card", async () => {
    await open(setup());
    expect(document.getElementById("setups")?.hasAttribute("aria-live")).toBe(false);
    expect(document.querySelectorAll("[data-setup] [aria-live], #setups[aria-live]")).toHaveLength(0);
    expect(announced()).toBe("1 setup loaded.");
  });
});
