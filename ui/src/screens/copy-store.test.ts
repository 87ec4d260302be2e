import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Delivery, Pushed, SetupSummary } from "../bindings";
import { installAnnouncer } from "../a11y";
import type { Context } from "../components";
import { api, replyLog } from "../ipc";
import { initialWizard } from "../state";
import { setupsScreen } from "./setups";

const TOKEN = "s.TOKEN-never-in-a-reply-7f3a";
const SECRET_ID = "SECRET-ID-never-in-a-reply-91c2";
const URL_ = "http://127.0.0.1:8200";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function context(): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

function vaultCopy(key = "AKIAIOSFODNN7KEY0001"): Delivery {
  return { account_id: "123456789012", user: "app", kind: "vault", location: `${URL_}/v1/secret/data/apps/app`, recipient: null, vault_url: URL_, vault_mount: "secret", vault_path: "apps/app", vault_version: 1, region: null, kms_key: null, readers: [], access_key_id: key, written_at: 1_700_000_000, confirmed: true };
}

function setup(deliveries: Delivery[] = [], waiting: string | null = null): SetupSummary {
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
    credential_terms: { allow_long_lived: false, max_session_seconds: 900 },
    journal_state: null,
    findings: [],
    key_ages: [],
    ownership: "proven",
    ownership_reason: null,
    deliveries,
    rotation_waiting: waiting,
  };
}

function pushed(kind: Pushed["kind"], dryRun: boolean): Pushed {
  const vault = kind === "vault";
  return {
    user: "app",
    kind,
    location: vault ? `${URL_}/v1/secret/data/apps/app` : "apps/app/csfle",
    access_key_id: "AKIAIOSFODNN7KEY0001",
    steps: ["read the metadata", "write a new version"],
    resource_policy: vault ? null : { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: ["arn:aws:iam::123456789012:role/billing"] }, Action: "secretsmanager:GetSecretValue" }] },
    vault_version: vault && !dryRun ? 1 : null,
    kms_key: null,
    dry_run: dryRun,
  };
}

type Calls = [string, Record<string, unknown>][];
type Answer = (cmd: string, args: Record<string, unknown>) => unknown;

async function open(first: SetupSummary, answer: Answer = () => null, after: SetupSummary = first): Promise<Calls> {
  const calls: Calls = [];
  let listed = 0;
  mockIPC((cmd, args) => {
    const given = (args ?? {}) as Record<string, unknown>;
    calls.push([cmd, given]);
    if (cmd === "interrupted_runs" || cmd === "pending_deletions") return [];
    if (cmd === "list_setups") return [listed++ === 0 ? first : after];
    return answer(cmd, given);
  });
  document.body.replaceChildren(setupsScreen(context()));
  installAnnouncer(document);
  await settle();
  return calls;
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const announced = () => document.getElementById("announcer")?.textContent ?? "";

function type(id: string, value: string): void {
  const control = byId<HTMLInputElement>(id);
  control.value = value;
  control.dispatchEvent(new Event("input"));
}

function choose(id: string, value: string): void {
  const select = byId<HTMLSelectElement>(id);
  select.value = value;
  select.dispatchEvent(new Event("change"));
}

/** No reply the window logged holds what was typed in a password field. */
function expectNoSecretLogged(): void {
  const log = replyLog().join("\n");
  expect(log).not.toContain(TOKEN);
  expect(log).not.toContain(SECRET_ID);
}

describe("copy to a secret store", () => {
  beforeEach(() => document.body.replaceChildren());
  afterEach(() => clearMocks());

  it("checks the Vault fields, shows the plan first, then writes with the token and shows the copy on the card", async () => {
    const calls = await open(setup(), (cmd, args) => (cmd === "plan_copy" ? pushed("vault", true) : cmd === "copy_to_store" ? (args.login ? pushed("vault", false) : null) : null), setup([vaultCopy()]));
    byId<HTMLButtonElement>("copy-app-open").click();
    expect(document.activeElement).toBe(byId("copy-store-vault-app"));
    const plan = byId<HTMLButtonElement>("copy-plan-app");
    const go = byId<HTMLButtonElement>("copy-go-app");
    expect(plan.disabled).toBe(true);
    expect(plan.title).toContain("Vault server's address");
    expect(go.disabled).toBe(true);

    type("copy-vault-url-app", "http://vault.example.com:8200");
    expect(byId("copy-vault-url-app").getAttribute("aria-invalid")).toBe("true");
    expect(byId("copy-vault-url-app-status").textContent).toContain("unencrypted");
    expect(plan.title).toContain("unencrypted");
    type("copy-vault-url-app", URL_);
    expect(plan.title).toContain("KV path");
    type("copy-vault-path-app", "secret/data/apps/app");
    expect(plan.disabled).toBe(true);
    type("copy-vault-path-app", "secret/apps/app");
    expect(plan.disabled).toBe(false);
    expect(go.title).toBe("Show the plan first.");
    expect(calls.filter(([cmd]) => cmd === "plan_copy")).toHaveLength(0);

    plan.click();
    await settle();
    expect(calls).toContainEqual(["plan_copy", { user: "app", target: { store: "vault", url: URL_, path: "secret/apps/app" } }]);
    expect(document.activeElement).toBe(byId("copy-plan-result-app"));
    expect(byId("copy-plan-location-app").textContent).toContain("/v1/secret/data/apps/app");
    expect(byId("copy-plan-key-app").textContent).toBe("AKIA…0001");
    expect(announced()).toContain("Nothing is written yet");
    expect(go.title).toBe("Paste the Vault token first.");

    type("copy-vault-token-app", TOKEN);
    expect(byId<HTMLInputElement>("copy-vault-token-app").type).toBe("password");
    expect(go.disabled).toBe(false);
    type("copy-vault-path-app", "secret/apps/other");
    expect(document.getElementById("copy-plan-result-app")).toBeNull();
    expect(go.title).toContain("changed since the plan");
    type("copy-vault-path-app", "secret/apps/app");
    plan.click();
    await settle();
    go.click();
    await settle();
    expect(calls).toContainEqual(["copy_to_store", { user: "app", target: { store: "vault", url: URL_, path: "secret/apps/app" }, login: { method: "token", token: TOKEN } }]);
    // The card was read again: it shows the copy, where, which key and when; the panel is gone.
    expect(document.getElementById("copy-app")).toBeNull();
    expect(document.querySelector("[data-copy=vault]")?.textContent).toContain("/v1/secret/data/apps/app");
    expect(document.querySelector("[data-copy=vault]")?.textContent).toContain("AKIA…0001");
    expect(document.getElementById("area-app")?.textContent).toContain("Copied to Vault");
    expect(announced()).toContain("Copied to Vault");
    expectNoSecretLogged();
  });

  it("signs in with AppRole, keeps the panel and its fields when Vault refuses, and says so", async () => {
    const calls = await open(setup(), (cmd) => {
      if (cmd === "plan_copy") return pushed("vault", true);
      if (cmd === "copy_to_store") throw { code: "vault-refused", message: `Vault at ${URL_} refused the request (AppRole sign-in): permission denied`, hint: "Check that the token is valid.", rollback: null };
      return null;
    });
    byId<HTMLButtonElement>("copy-app-open").click();
    type("copy-vault-url-app", URL_);
    type("copy-vault-path-app", "secret/apps/app");
    choose("copy-vault-method-app", "app-role");
    expect(byId("copy-vault-token-app").closest("[hidden]")).not.toBeNull();
    byId<HTMLButtonElement>("copy-plan-app").click();
    await settle();
    const go = byId<HTMLButtonElement>("copy-go-app");
    expect(go.title).toContain("role id");
    type("copy-vault-role-id-app", "role-1");
    expect(go.title).toContain("secret id");
    type("copy-vault-secret-id-app", SECRET_ID);
    go.click();
    await settle();
    expect(calls).toContainEqual(["copy_to_store", { user: "app", target: { store: "vault", url: URL_, path: "secret/apps/app" }, login: { method: "app-role", role_id: "role-1", secret_id: SECRET_ID } }]);
    const error = document.querySelector("#copy-message-app [data-error-code=vault-refused]");
    expect(error?.textContent).toContain("permission denied");
    expect(document.activeElement).toBe(error);
    expect(byId<HTMLInputElement>("copy-vault-role-id-app").value).toBe("role-1");
    expectNoSecretLogged();
  });

  it("copies to Secrets Manager with readers one per line and shows the resource policy in the plan", async () => {
    const calls = await open(setup(), (cmd) => (cmd === "plan_copy" ? pushed("secrets-manager", true) : cmd === "copy_to_store" ? pushed("secrets-manager", false) : null));
    byId<HTMLButtonElement>("copy-app-open").click();
    const radio = byId<HTMLInputElement>("copy-store-secrets-manager-app");
    radio.checked = true;
    radio.dispatchEvent(new Event("change"));
    expect(byId("copy-vault-app").hidden).toBe(true);
    expect(byId("copy-sm-app").hidden).toBe(false);
    const plan = byId<HTMLButtonElement>("copy-plan-app");
    expect(plan.title).toContain("secret's name");
    type("copy-sm-name-app", "apps/app-Ab12Cd");
    expect(plan.title).toContain("six characters");
    type("copy-sm-name-app", "apps/app/csfle");
    expect(plan.title).toContain("at least one");
    type("copy-sm-readers-app", "arn:aws:iam::123456789012:root");
    expect(plan.title).toContain("not an IAM role or user ARN");
    type("copy-sm-readers-app", "arn:aws:iam::123456789012:role/billing\n\n arn:aws:iam::123456789012:user/ops \n");
    expect(plan.disabled).toBe(false);
    plan.click();
    await settle();
    expect(calls).toContainEqual(["plan_copy", { user: "app", target: { store: "secrets-manager", name: "apps/app/csfle", readers: ["arn:aws:iam::123456789012:role/billing", "arn:aws:iam::123456789012:user/ops"] } }]);
    expect(byId("copy-plan-result-app").textContent).toContain("secretsmanager:GetSecretValue");
    const go = byId<HTMLButtonElement>("copy-go-app");
    // No login for Secrets Manager: the connected AWS session writes it.
    expect(go.disabled).toBe(false);
    go.click();
    await settle();
    expect(calls.find(([cmd]) => cmd === "copy_to_store")?.[1].login).toBeNull();
  });

  it("closes on Escape and on Cancel, giving focus back to the button that opened it", async () => {
    await open(setup());
    const opener = byId<HTMLButtonElement>("copy-app-open");
    opener.click();
    byId("copy-vault-url-app").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(document.getElementById("copy-app")).toBeNull();
    expect(document.activeElement).toBe(opener);
    opener.click();
    byId<HTMLButtonElement>("copy-cancel-app").click();
    expect(document.getElementById("copy-app")).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it("labels every control of the panel", async () => {
    await open(setup());
    byId<HTMLButtonElement>("copy-app-open").click();
    for (const control of byId("copy-app").querySelectorAll("input, select, textarea")) {
      expect(document.querySelector(`label[for="${control.id}"]`), control.id).not.toBeNull();
    }
  });
});

describe("rotation with copies in Vault", () => {
  beforeEach(() => document.body.replaceChildren());
  afterEach(() => clearMocks());

  const report = (kept: boolean) => ({ user_name: "app", new_access_key_id: "AKIAIOSFODNN7KEY0002", old_access_key_id: "AKIAIOSFODNN7KEY0001", old_key_deleted: !kept, deleted_inactive_key: null, old_key_kept: kept, copies: [], message: kept ? "The old key stays active." : "The keychain now holds the new access key." });

  it("asks for the Vault token in the rotate confirmation and sends it with the rotation only", async () => {
    const calls = await open(setup([vaultCopy()]), (cmd) => (cmd === "rotate" ? report(false) : null));
    byId<HTMLButtonElement>("rotate-app").click();
    const token = byId<HTMLInputElement>("rotate-token-app-0");
    expect(document.activeElement).toBe(token);
    expect(token.type).toBe("password");
    expect(document.querySelector(`label[for="rotate-token-app-0"]`)?.textContent).toContain(URL_);
    token.value = TOKEN;
    byId<HTMLButtonElement>("rotate-go-app").click();
    expect(token.value).toBe("");
    await settle();
    expect(calls).toContainEqual(["rotate", { user: "app", deleteInactiveKey: false, vaultLogins: [{ url: URL_, login: { method: "token", token: TOKEN } }] }]);
    expectNoSecretLogged();
  });

  it("asks for no token when the setup has no Vault copy", async () => {
    const calls = await open(setup(), (cmd) => (cmd === "rotate" ? report(false) : null));
    byId<HTMLButtonElement>("rotate-app").click();
    expect(document.getElementById("rotate-token-app-0")).toBeNull();
    byId<HTMLButtonElement>("rotate-go-app").click();
    await settle();
    expect(calls).toContainEqual(["rotate", { user: "app", deleteInactiveKey: false, vaultLogins: [] }]);
  });

  it("finishes a waiting rotation from the card: the token, the import confirmation, then the result", async () => {
    const sealed: Delivery = { ...vaultCopy("AKIAIOSFODNN7KEY0002"), kind: "sealed", location: "/home/admin/app.AKIAIOSFODNN7KEY0002.age", recipient: "age1x", vault_url: null, confirmed: false };
    const waiting = setup([vaultCopy(), sealed], "The old key AKIA…0001 stays active.");
    const calls = await open(waiting, (cmd) => (cmd === "finish_rotation" ? report(false) : null), setup([vaultCopy("AKIAIOSFODNN7KEY0002")]));
    const rotate = byId<HTMLButtonElement>("rotate-app");
    expect(rotate.disabled).toBe(true);
    expect(rotate.title).toContain("Finish rotation");
    const opener = byId<HTMLButtonElement>("finish-rotation-app-open");
    opener.click();
    expect(document.activeElement).toBe(byId("finish-token-app-0"));
    escapeFrom("finish-token-app-0");
    expect(document.getElementById("finish-rotation-app")).toBeNull();
    expect(document.activeElement).toBe(opener);
    opener.click();
    byId<HTMLInputElement>("finish-token-app-0").value = TOKEN;
    byId<HTMLInputElement>("finish-imported-app").checked = true;
    byId<HTMLButtonElement>("finish-go-app").click();
    await settle();
    expect(calls).toContainEqual(["finish_rotation", { user: "app", confirmImported: true, vaultLogins: [{ url: URL_, login: { method: "token", token: TOKEN } }] }]);
    expect(document.getElementById("area-app")?.textContent).toContain("✓ The keychain now holds the new access key.");
    expect(document.getElementById("finish-rotation-app-open")).toBeNull();
    expect(announced()).toContain("new access key");
    expectNoSecretLogged();
  });
});

describe("teardown with copies in Vault", () => {
  beforeEach(() => document.body.replaceChildren());
  afterEach(() => clearMocks());

  it("asks for the token that lets it delete the copy, and sends it with the teardown only", async () => {
    const preview = { outside_changes: [], copies: [`Vault: ${URL_}/v1/secret/data/apps/app`], key_arn: null, key_aliases: [], key: null };
    const calls = await open(setup([vaultCopy()]), (cmd) => (cmd === "teardown_preview" ? preview : cmd === "teardown" ? { removed: ["copy in Vault"], kept: [], failed: [], key_deletion_date: null } : null));
    byId<HTMLButtonElement>("teardown-app-open").click();
    await settle();
    const token = byId<HTMLInputElement>("teardown-token-app-0");
    expect(token.type).toBe("password");
    expect(document.querySelector(`label[for="teardown-token-app-0"]`)?.textContent).toContain(URL_);
    expect(byId("teardown-app").textContent).toContain("so teardown can delete the copy");
    token.value = TOKEN;
    type("confirm-app", "app");
    byId<HTMLButtonElement>("teardown-go-app").click();
    expect(token.value).toBe("");
    await settle();
    const sent = calls.filter(([cmd]) => cmd === "teardown").map(([, args]) => args);
    expect(sent).toEqual([expect.objectContaining({ name: "app", role: false, deleteKeyDays: null, keyArn: null, confirmation: "app", vaultLogins: [{ url: URL_, login: { method: "token", token: TOKEN } }] })]);
    expectNoSecretLogged();
  });
});

function escapeFrom(id: string): void {
  document.getElementById(id)?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
}
