import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { SetupSummary } from "../bindings";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard } from "../state";
import { setupsScreen } from "./setups";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function context(): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

const KEY = "AKIAIOSFODNN7OLDKEY1";

/** A user setup whose only key is 120 days old and unused for 50: IAM.3 and IAM.22 fail. */
function agedSetup(): SetupSummary {
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
    access_keys: [{ access_key_id: KEY, status: "Active", age_days: 120, last_used: "2026-10-09T10:00:00Z", in_keychain: true }],
    keychain_account: "123456789012/app",
    keychain_present: true,
    credential_terms: { allow_long_lived: false, max_session_seconds: 3600 },
    journal_state: null,
    findings: [
      { control: "KMS.4", title: "AWS KMS key rotation should be enabled", status: "failed", message: "Automatic rotation of the key material is off.", action: "enable-rotation", access_key_id: null },
      { control: "IAM.3", title: "IAM users' access keys should be rotated every 90 days or less", status: "failed", message: "The access key is 120 days old.", action: "rotate-access-key", access_key_id: KEY },
      { control: "KMS.3", title: "AWS KMS keys should not be deleted unintentionally", status: "passed", message: "The key is not scheduled for deletion.", action: null, access_key_id: null },
    ],
    key_ages: [{ access_key_id: KEY, created: "120 days ago", last_used: "50 days ago", too_old: true, unused: true }],
    ownership: "proven",
    ownership_reason: null,
    deliveries: [],
    rotation_waiting: null,
  };
}

describe("setups view", () => {
  afterEach(() => clearMocks());

  it("shows ages in words, warns at 90 days old and 45 days unused, and offers the fixes", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "interrupted_runs") return [];
      if (cmd === "list_setups") return [agedSetup()];
      if (cmd === "enable_key_rotation") return { key_arn: "arn:aws:kms:us-east-1:123456789012:key/k", rotation_enabled: true, message: "Automatic yearly rotation is on." };
      return null;
    });
    document.body.replaceChildren(setupsScreen(context()));
    await settle();
    const card = document.querySelector("[data-setup=app]")?.textContent ?? "";
    expect(card).toContain("made 120 days ago · last used 50 days ago");
    const used = document.querySelector("[data-setup=app] [data-access-key] time");
    expect(used?.textContent).toBe("50 days ago");
    expect(used?.getAttribute("datetime")).toBe("2026-10-09T10:00:00.000Z");
    expect(used?.getAttribute("title")).toMatch(/October 2026/);
    const copyId = document.querySelector("[data-setup=app] [data-access-key] button");
    expect(copyId?.getAttribute("aria-label")).toMatch(/^Copy access key id AKIA…/);
    expect(card).toContain("Older than 90 days");
    expect(card).toContain("Session credentials of at most 60 minutes; never the long-lived key");
    expect(card).toContain("Unused for 45 days or more");
    expect(document.getElementById("rotate-now-key-app")?.textContent).toBe("Rotate now…");
    expect(document.getElementById("rotate-now-finding-app")?.textContent).toBe("Rotate now…");
    // The unused key is the one in the keychain: removing it means tearing the setup down.
    (document.getElementById("remove-unused-key-app") as HTMLButtonElement).click();
    expect(document.getElementById("teardown-app")).not.toBeNull();
    // Failed findings come before passed ones.
    const order = [...document.querySelectorAll("#findings-app [data-control]")].map((li) => li.getAttribute("data-control"));
    expect(order).toEqual(["KMS.4", "IAM.3", "KMS.3"]);

    (document.getElementById("enable-rotation-app") as HTMLButtonElement).click();
    await settle();
    expect(calls).toContainEqual(["enable_key_rotation", { key: "arn:aws:kms:us-east-1:123456789012:key/k" }]);
    expect(calls.filter(([cmd]) => cmd === "list_setups")).toHaveLength(2);
  });

  it("shows a setup it cannot prove it made read-only: the reason, and no button that changes anything", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "interrupted_runs") return [];
      if (cmd === "list_setups") return [{ ...agedSetup(), name: "colleague", ownership: "unproven", ownership_reason: "It was not made by this app, or was changed so that it cannot be told (it has no inline policy of this app)." }];
      return null;
    });
    document.body.replaceChildren(setupsScreen(context()));
    await settle();
    const card = document.querySelector("[data-setup=colleague]");
    expect(card?.getAttribute("data-ownership")).toBe("unproven");
    expect(card?.textContent).toContain("no inline policy of this app");
    // Copy buttons only: copying an ARN changes nothing.
    const buttons = [...(card?.querySelectorAll("button") ?? [])];
    expect(buttons.length).toBeGreaterThan(0);
    expect(buttons.every((b) => b.getAttribute("aria-label")?.startsWith("Copy "))).toBe(true);
    expect(document.getElementById("teardown-colleague-open")).toBeNull();
    expect(document.getElementById("rotate-colleague")).toBeNull();
  });

  it("lists every copy of the credentials with the key it holds, and a rotation waiting to finish", async () => {
    const vault = {
      account_id: "123456789012", user: "app", kind: "vault" as const, location: "https://vault.example.com/v1/secret/data/apps/app",
      recipient: null, vault_url: "https://vault.example.com", vault_mount: "secret", vault_path: "apps/app", vault_version: 3,
      region: null, kms_key: null, readers: [], access_key_id: KEY, written_at: 1796000000, confirmed: true,
    };
    const sealed = { ...vault, kind: "sealed" as const, location: "/srv/app.AKIAIOSFODNN7NEWKEY2.age", recipient: "age1xyz", vault_url: null, vault_mount: null, vault_path: null, vault_version: null, access_key_id: "AKIAIOSFODNN7NEWKEY2", confirmed: false };
    mockIPC((cmd) => {
      if (cmd === "interrupted_runs") return [];
      if (cmd === "list_setups") return [{ ...agedSetup(), deliveries: [vault, sealed], rotation_waiting: "The old key AKIA…KEY1 is still active. Finish with csfle-provisioner-cli rotate --user app --finish." }];
      return null;
    });
    document.body.replaceChildren(setupsScreen(context()));
    await settle();
    const copies = [...document.querySelectorAll("[data-setup=app] [data-copy]")].map((li) => li.textContent ?? "");
    expect(copies).toHaveLength(2);
    expect(copies[0]).toContain("Vault: https://vault.example.com/v1/secret/data/apps/app · holds AKIA…KEY1");
    expect(copies[1]).toContain("Sealed file: /srv/app.AKIAIOSFODNN7NEWKEY2.age · holds AKIA…KEY2");
    expect(copies[1]).toContain("waiting for the target to import it");
    expect(document.querySelector("[data-setup=app] .rotation-waiting")?.textContent).toContain("rotate --user app --finish");
  });

  it("shows each card as soon as it is judged, before the whole list is in", async () => {
    let finish: (setups: SetupSummary[]) => void = () => undefined;
    mockIPC((cmd, args) => {
      if (cmd === "interrupted_runs") return [];
      if (cmd === "list_setups") {
        const channel = (args as { onSetup: { id: number } }).onSetup;
        const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } }).__TAURI_INTERNALS__;
        internals.runCallback(channel.id, { index: 0, message: agedSetup() });
        return new Promise<SetupSummary[]>((resolve) => (finish = resolve));
      }
      return null;
    });
    document.body.replaceChildren(setupsScreen(context()));
    await settle();
    expect(document.querySelector("[data-setup=app]")?.textContent).toContain("made 120 days ago");
    expect(document.getElementById("setups")?.textContent).toContain("Reading setups…");
    finish([agedSetup(), { ...agedSetup(), name: "later" }]);
    await settle();
    expect(document.querySelectorAll("[data-setup=app]")).toHaveLength(1);
    expect(document.querySelector("[data-setup=later]")).not.toBeNull();
    expect(document.getElementById("setups")?.textContent).not.toContain("Reading setups…");
  });
});
