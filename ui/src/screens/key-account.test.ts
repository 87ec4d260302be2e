import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { KeyGrant, Plan } from "../bindings";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard } from "../state";
import { makePlan, chosenKey } from "./account";
import { keyAccountFields, keyAccountOf, keyAccountProblem } from "./key-account";
import { reviewScreen } from "./review";

const OTHER = "arn:aws:kms:us-east-1:222233334444:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function context(): Context {
  const wizard = initialWizard({
    version: "0",
    store_name: "",
    endpoint_override: null,
    regions: [],
    default_region: "us-east-1",
    profiles: [
      { name: "workload", region: "us-east-1" },
      { name: "security", region: "us-east-1" },
    ],
  });
  wizard.identity = { account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", region: "us-east-1", endpoint_override: null };
  wizard.keyMode = "existing";
  return { wizard, api, go: () => undefined, setIdentity: () => undefined };
}

function type(element: HTMLInputElement | HTMLSelectElement, value: string, event = "input"): void {
  element.value = value;
  element.dispatchEvent(new Event(event));
}

describe("a key in another account", () => {
  afterEach(() => clearMocks());

  it("reads the account of a key ARN only", () => {
    expect(keyAccountOf(OTHER)).toBe("222233334444");
    expect(keyAccountOf("alias/app")).toBeNull();
    expect(keyAccountOf("arn:aws:kms:us-east-1:222233334444:alias/app")).toBeNull();
  });

  it("asks for the key's account profile once an ARN of another account is entered, and plans with it", async () => {
    const ctx = context();
    let changes = 0;
    const pane = keyAccountFields(ctx, () => changes++);
    document.body.replaceChildren(pane);
    const arn = pane.querySelector<HTMLInputElement>("#other-account-key")!;
    const profile = pane.querySelector<HTMLSelectElement>("#key-profile")!;
    const profileField = profile.closest(".field") as HTMLElement;
    expect(profileField.hidden).toBe(true);

    type(arn, "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    expect(profileField.hidden).toBe(true);
    expect(ctx.wizard.keyProfile).toBeNull();

    type(arn, OTHER);
    expect(profileField.hidden).toBe(false);
    expect(ctx.wizard.existingKeyArn).toBe(OTHER);
    expect(keyAccountProblem(ctx)).toContain("222233334444");
    type(profile, "security", "change");
    expect(ctx.wizard.keyProfile).toBe("security");
    expect(keyAccountProblem(ctx)).toBeNull();
    expect(changes).toBeGreaterThan(0);

    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "plan") {
        sent.push((args as { request: unknown }).request);
        return { key_grant: null } as unknown as Plan;
      }
      return null;
    });
    await makePlan(ctx, chosenKey(ctx.wizard));
    expect(sent).toEqual([expect.objectContaining({ key: { kind: "existing", key: OTHER }, key_profile: "security" })]);

    // Clearing the ARN forgets the profile: a key of the own account is planned without one.
    type(arn, "");
    expect(profileField.hidden).toBe(true);
    expect(ctx.wizard.keyProfile).toBeNull();
    expect(ctx.wizard.existingKeyArn).toBeNull();
  });

  it("shows the statement the key's policy gets, exactly, on the review", () => {
    const ctx = context();
    const statement = '{\n  "Sid": "CsfleProvisionerUser123456789012app",\n  "Effect": "Allow"\n}';
    const grant: KeyGrant = {
      key_arn: OTHER,
      key_account: "222233334444",
      key_admin_arn: "arn:aws:sts::222233334444:assumed-role/KeyAdmin/s",
      key_profile: "security",
      sid: "CsfleProvisionerUser123456789012app",
      principal_arn: "arn:aws:iam::123456789012:user/csfle-provisioner/app",
      statement,
    };
    ctx.wizard.plan = {
      identity: ctx.wizard.identity!,
      key: { kind: "existing", arn: OTHER, alias: null },
      user_name: "app",
      policy_name: "csfle-kms-app",
      policy_document: "{}",
      steps: [],
      keychain: { service: "csfle-provisioner", account: "a", store: "keychain", note: "local" },
      credential_terms: { allow_long_lived: false, max_session_seconds: 3600 },
      findings: [],
      key_grant: grant,
    };
    ctx.wizard.job = { kind: "user" };
    const screen = reviewScreen(ctx);
    expect(screen.querySelector("#key-policy-statement")?.textContent).toBe(statement);
    expect(screen.querySelector("#key-grant-summary")?.textContent).toContain("profile security");
    expect(screen.textContent).toContain("In the key's account 222233334444");
  });
});
