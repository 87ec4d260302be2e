import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KeyAccountAccess, SetupSummary, TeardownPreview } from "../bindings";
import { installAnnouncer } from "../a11y";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard } from "../state";
import { setupsScreen } from "./setups";

const KEY_ARN = "arn:aws:kms:us-east-1:222233334444:key/1234abcd-12ab-34cd-56ef-1234567890ab";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function context(): Context {
  const profiles = [{ name: "workload", region: null }, { name: "security", region: null }, { name: "sandbox", region: null }];
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

function role(): SetupSummary {
  return {
    kind: "role", name: "app", principal_arn: "arn:aws:iam::123456789012:role/csfle-provisioner/app", key_arn: KEY_ARN, key_aliases: [], key_state: "Enabled",
    key_created_by_app: false, policy_name: "csfle-kms-app", policy: "least-privilege", outside_changes: [], access_keys: [], keychain_account: "", keychain_present: false,
    credential_terms: null, journal_state: "complete", findings: [], key_ages: [], ownership: "proven", ownership_reason: null, deliveries: [], rotation_waiting: null,
  };
}

function preview(access: KeyAccountAccess): TeardownPreview {
  return {
    kind: "role", name: "app", principal_exists: true, outside_changes: [], key_arn: KEY_ARN, key_aliases: [], key: null,
    key_grant: "statement CsfleProvisionerRole123456789012app in the key policy of " + KEY_ARN, copies: [], key_account: access,
  };
}

type Calls = [string, Record<string, unknown>][];

/** `answer` stands for the server's check of a profile: which profile signs in to the key's account. */
async function open(answer: (profile: string | null) => KeyAccountAccess): Promise<Calls> {
  const calls: Calls = [];
  mockIPC((cmd, args) => {
    const given = (args ?? {}) as Record<string, unknown>;
    calls.push([cmd, given]);
    if (cmd === "interrupted_runs") return [];
    if (cmd === "list_setups") return [role()];
    if (cmd === "teardown_preview") return preview(answer((given.keyProfile as string | null) ?? null));
    if (cmd === "teardown") return { removed: ["statement CsfleProvisionerRole123456789012app", "IAM role app"], kept: [], failed: [], key_deletion_date: null };
    return null;
  });
  document.body.replaceChildren(setupsScreen(context()));
  installAnnouncer(document);
  await settle();
  return calls;
}

const go = () => document.getElementById("teardown-go-app") as HTMLButtonElement;
function type(id: string, value: string): void {
  const input = document.getElementById(id) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

describe("tearing down a setup whose key is in another account", () => {
  beforeEach(() => document.body.replaceChildren());
  afterEach(() => clearMocks());

  it("uses the profile recorded at provision without asking, and passes it on", async () => {
    const calls = await open(() => ({ account_id: "222233334444", profile: "security", problem: null }));
    (document.getElementById("teardown-app-open") as HTMLButtonElement).click();
    await settle();
    expect(document.getElementById("teardown-key-account-app")?.textContent).toContain("with the profile security, which signs in to that account (checked)");
    expect(document.getElementById("teardown-key-profile-app")).toBeNull();
    type("confirm-app", "app");
    expect(go().disabled).toBe(false);
    go().click();
    await settle();
    const teardown = calls.find(([cmd]) => cmd === "teardown");
    expect(teardown?.[1].keyProfile).toBe("security");
  });

  it("asks for the key's account profile when none is known, checks the one chosen, and waits until it signs in there", async () => {
    const calls = await open((profile) =>
      profile === "security"
        ? { account_id: "222233334444", profile, problem: null }
        : profile === null
          ? { account_id: "222233334444", profile: null, problem: "This computer has no record of a profile for account 222233334444, which holds the key." }
          : { account_id: "222233334444", profile, problem: `The profile ${profile} signs in to account 999988887777, not to account 222233334444, which holds the key.` },
    );
    (document.getElementById("teardown-app-open") as HTMLButtonElement).click();
    await settle();
    const panel = document.getElementById("teardown-app");
    expect(panel?.textContent).toContain("no record of a profile for account 222233334444");
    expect(panel?.textContent).toContain("Key's account profile");
    expect(panel?.textContent).not.toContain("--key-profile");
    // Focus is on the question the admin must answer; the name alone does not let the teardown go.
    expect(document.activeElement?.id).toBe("teardown-key-profile-app");
    type("confirm-app", "app");
    expect(go().disabled).toBe(true);
    expect(go().title).toContain("Choose the profile of account 222233334444");

    const pick = (name: string) => {
      const select = document.getElementById("teardown-key-profile-app") as HTMLSelectElement;
      select.value = name;
      select.dispatchEvent(new Event("change"));
    };
    pick("sandbox");
    await settle();
    expect(document.getElementById("teardown-app")?.textContent).toContain("signs in to account 999988887777");
    type("confirm-app", "app");
    expect(go().disabled).toBe(true);

    pick("security");
    await settle();
    expect(calls.filter(([cmd]) => cmd === "teardown_preview").map(([, a]) => a.keyProfile)).toEqual([null, "sandbox", "security"]);
    expect(document.getElementById("teardown-key-account-app")?.textContent).toContain("with the profile security");
    expect(document.getElementById("teardown-key-profile-app")).toBeNull();
    expect(calls.some(([cmd]) => cmd === "teardown")).toBe(false);
    type("confirm-app", "app");
    expect(go().disabled).toBe(false);
    go().click();
    await settle();
    expect(calls.find(([cmd]) => cmd === "teardown")?.[1].keyProfile).toBe("security");
    expect(document.getElementById("teardown-result")?.textContent).toContain("Removed statement CsfleProvisionerRole123456789012app");
  });
});
