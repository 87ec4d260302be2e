import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ErrorReport, Plan, Progress } from "../bindings";
import { installAnnouncer } from "../a11y";
import type { Context } from "../components";
import type { Api } from "../ipc";
import type { ScreenName } from "../state";
import { initialWizard } from "../state";
import { adminDetails } from "./apply-failure";
import { applyScreen } from "./apply";

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

const identity = { account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", region: "us-east-1", endpoint_override: null };

function plan(policy = "{}"): Plan {
  const step = (id: Plan["steps"][number]["id"], summary: string) => ({ id, action: id, target: "", summary });
  return {
    identity,
    policy_document: policy,
    steps: [step("create-key", "Create the key."), step("create-user", "Create the IAM user."), step("put-user-policy", "Allow the user kms:Encrypt and kms:Decrypt."), step("create-access-key", "Create an access key.")],
  } as unknown as Plan;
}

const denied: ErrorReport = {
  code: "access-denied",
  message: "iam:PutUserPolicy was denied",
  hint: "Your AWS identity lacks the permission iam:PutUserPolicy",
  rollback: { undone: ["IAM user payments (AKIAIOSFODNN7EXAMPLE)"], left_behind: [], left_alone: [] },
};

/** The run the engine would make: two steps succeed, the third is refused, the user is rolled back.
 * Events come one by one, as they do over the channel. */
async function failingApply(onProgress: (event: Progress) => void): Promise<never> {
  const events: Progress[] = [
    { event: "started", step: "create-key" },
    { event: "finished", step: "create-key", detail: "key made", elapsed_ms: 10 },
    { event: "started", step: "create-user" },
    { event: "finished", step: "create-user", detail: "user made", elapsed_ms: 10 },
    { event: "started", step: "put-user-policy" },
    { event: "failed", step: "put-user-policy", message: "AccessDenied", elapsed_ms: 10 },
    { event: "rolledBack", step: "create-user", message: "deleted" },
  ];
  for (const event of events) {
    onProgress(event);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw denied;
}

function context(api: Partial<Api>, went: ScreenName[]): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  wizard.identity = identity;
  wizard.plan = plan();
  wizard.job = { kind: "user" };
  return { wizard, api: api as Api, go: (name) => went.push(name), setIdentity: () => undefined };
}

describe("a failed run", () => {
  const announcements: string[] = [];
  beforeEach(() => {
    document.body.replaceChildren();
    const region = installAnnouncer(document);
    announcements.length = 0;
    new MutationObserver(() => announcements.push(region.textContent ?? "")).observe(region, { childList: true, characterData: true, subtree: true });
  });

  it("marks the steps that never ran, explains above the buttons, and goes back to the review planned again", async () => {
    const went: ScreenName[] = [];
    const planCall = vi.fn(() => Promise.resolve(plan()));
    const ctx = context({ apply: failingApply, plan: planCall }, went);
    document.body.append(applyScreen(ctx));
    await settle();
    const state = (id: string) => document.querySelector<HTMLElement>(`[data-step=${id}]`)?.dataset.state;
    expect(state("create-key")).toBe("done");
    expect(state("create-user")).toBe("rolled-back");
    expect(state("put-user-policy")).toBe("failed");
    expect(state("create-access-key")).toBe("not-run");
    expect(document.querySelector("[data-step=create-access-key] .step-state")?.textContent).toBe("Not run");
    // The explanation comes before the buttons, and has focus.
    const explanation = document.getElementById("apply-explanation") as HTMLElement;
    const back = document.getElementById("apply-back") as HTMLButtonElement;
    expect(explanation.compareDocumentPosition(back) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(document.activeElement?.getAttribute("data-error-code")).toBe("access-denied");
    expect(back.textContent).toBe("Back to review");
    back.click();
    await settle();
    expect(planCall).toHaveBeenCalledTimes(1);
    expect(went).toEqual(["review"]);
  });

  it("announces each step and the result", async () => {
    document.body.append(applyScreen(context({ apply: failingApply }, [])));
    await settle();
    expect(announcements).toContain("Step 1 of 4: Create the key.");
    expect(announcements).toContain("Step 3 of 4: Allow the user kms:Encrypt and kms:Decrypt.");
    expect(announcements).toContain("Step 3 of 4 failed: AccessDenied");
    expect(announcements[announcements.length - 1]).toBe("The setup failed and was rolled back.");
  });

  it("tries again straight away when the plan is unchanged, and shows the review when AWS changed", async () => {
    const went: ScreenName[] = [];
    let policy = "{}";
    const ctx = context({ apply: failingApply, plan: () => Promise.resolve(plan(policy)) }, went);
    document.body.append(applyScreen(ctx));
    await settle();
    (document.getElementById("apply-try-again") as HTMLButtonElement).click();
    await settle();
    expect(went).toEqual(["apply"]);
    policy = '{"changed": true}';
    (document.getElementById("apply-try-again") as HTMLButtonElement).click();
    await settle();
    expect(went).toEqual(["apply", "review"]);
  });

  it("copies details for the AWS administrator: code, message, hint, steps and rollback, no whole key id", () => {
    const text = adminDetails(denied, identity, ["- Create the key. Done: key made", "- Create an access key. Not run"]);
    expect(text).toContain("Error code: access-denied");
    expect(text).toContain("Message: iam:PutUserPolicy was denied");
    expect(text).toContain("What to do: Your AWS identity lacks the permission iam:PutUserPolicy");
    expect(text).toContain("Rolled back:\n- IAM user payments (AKIA…MPLE)");
    expect(text).toContain("Create an access key. Not run");
    expect(text).toContain("Account 123456789012, acting as arn:aws:iam::123456789012:user/admin");
    expect(text).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });
});
