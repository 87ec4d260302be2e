import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { Context } from "../components";
import { api } from "../ipc";
import { initialWizard, type ScreenName } from "../state";
import { accountScreen, makePlan, chosenKey } from "./account";
import { applicationScreen } from "./application";

function context(went: ScreenName[] = []): Context {
  const wizard = initialWizard({ version: "0", store_name: "", endpoint_override: null, regions: [], default_region: "us-east-1", profiles: [] });
  wizard.identity = { account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", region: "us-east-1", endpoint_override: null };
  return { wizard, api, go: (name) => went.push(name), setIdentity: () => undefined };
}

function type(id: string, value: string): void {
  const input = document.getElementById(id) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const next = () => $("app-continue") as HTMLButtonElement;

describe("the Application screen", () => {
  afterEach(() => clearMocks());

  it("asks one name and where the application runs, and says why Continue waits", () => {
    const went: ScreenName[] = [];
    const ctx = context(went);
    document.body.replaceChildren(applicationScreen(ctx));
    expect($("where").querySelector("legend")?.textContent).toBe("Where does your application run?");
    expect(next().disabled).toBe(true);
    expect(next().title).toBe("Enter a valid application name first.");

    type("app-name", "orders");
    expect([$("derived-alias").textContent, $("derived-principal").textContent, $("derived-policy").textContent]).toEqual(["alias/orders-csfle", "orders-csfle", "csfle-kms-orders-csfle"]);
    expect(next().title).toBe("Choose where your application runs first.");
    expect(ctx.wizard.description).toBe("MongoDB CSFLE master key for orders");

    ($("where-github") as HTMLInputElement).click();
    expect(ctx.wizard.principal).toBe("role");
    expect(ctx.wizard.trust).toBe("github");
    const detail = $("trust-arn").closest(".field") as HTMLElement;
    expect(detail.hidden).toBe(false);
    expect(detail.querySelector("label")?.textContent).toBe("Repository and environment (or branch)");
    expect(next().title).toBe("Enter the repository and environment (or branch) first.");
    type("trust-arn", "acme/orders:environment:production");
    expect(next().disabled).toBe(false);

    // Enter in a field continues, as the button does.
    $("app-name").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(went).toEqual(["key"]);
  });

  it("offers IRSA or Pod Identity under EKS, with Pod Identity's driver caveat", () => {
    const ctx = context();
    document.body.replaceChildren(applicationScreen(ctx));
    expect($("eks-mode").hidden).toBe(true);
    ($("where-eks") as HTMLInputElement).click();
    expect($("eks-mode").hidden).toBe(false);
    expect(ctx.wizard.trust).toBe("eks");
    ($("eks-mode-pod-identity") as HTMLInputElement).click();
    expect(ctx.wizard.trust).toBe("eks-pod-identity");
    expect($("eks-mode").textContent).toContain("Not for the Go, C or PHP drivers");
    ($("where-outside") as HTMLInputElement).click();
    expect(ctx.wizard.principal).toBe("user");
    expect(($("trust-arn").closest(".field") as HTMLElement).hidden).toBe(true);
    expect($("eks-mode").hidden).toBe(true);
  });

  it("refuses a name too long for the derived IAM name before any call", () => {
    const calls: string[] = [];
    mockIPC((cmd) => calls.push(cmd));
    const ctx = context();
    document.body.replaceChildren(applicationScreen(ctx));
    ($("where-ec2") as HTMLInputElement).click();
    type("app-name", "a".repeat(59));
    expect($("app-name-status").textContent).toContain("would be 65 characters and AWS allows 64");
    expect($("app-name").getAttribute("aria-invalid")).toBe("true");
    expect(next().disabled).toBe(true);
    type("app-name", "a".repeat(58));
    expect(next().disabled).toBe(false);
    expect(calls).toEqual([]);
  });
});

describe("the Service account screen after the answer", () => {
  afterEach(() => clearMocks());

  it("shows the role named after the application and plans it with the chosen trust, leaving the policy name shown to the engine's default", async () => {
    const requests: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "check_policy_name") return { ok: true, message: null };
      if (cmd === "plan_role") requests.push((args as { request: unknown }).request);
      return null;
    });
    const ctx = context();
    document.body.replaceChildren(applicationScreen(ctx));
    type("app-name", "reports");
    ($("where-ecs-tasks") as HTMLInputElement).click();
    document.body.replaceChildren(accountScreen(ctx));
    expect($("user-name")).toBeNull();
    expect(($("role-name") as HTMLInputElement).value).toBe("reports-csfle");
    expect(($("policy-name") as HTMLInputElement).value).toBe("csfle-kms-reports-csfle");
    expect($("account-where").textContent).toContain("runs in ECS tasks, so it gets an IAM role");
    type("role-name", "reports-task");
    expect(($("policy-name") as HTMLInputElement).value).toBe("csfle-kms-reports-task");
    type("role-name", "r".repeat(65));
    expect($("role-name-status").textContent).toContain("it is 65");
    expect(($("account-review") as HTMLButtonElement).title).toBe("Enter a valid role name first.");
    type("role-name", "reports-task");
    await makePlan(ctx, chosenKey(ctx.wizard));
    expect(requests).toEqual([
      { key: { kind: "new", alias: "alias/reports-csfle", description: "MongoDB CSFLE master key for reports" }, role_name: "reports-task", trust: "ecs-tasks", policy_name: null, key_profile: null },
    ]);
    // A policy name changed by hand is sent as typed.
    type("policy-name", "orders-encrypt-only");
    await makePlan(ctx, chosenKey(ctx.wizard));
    expect((requests[1] as { policy_name: string }).policy_name).toBe("orders-encrypt-only");
  });
});
