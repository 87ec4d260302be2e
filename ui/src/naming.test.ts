import { describe, expect, it } from "vitest";
import { APP_NAME_MAX, appNameProblem, applyAppName, derivedNames, followPrincipal, iamNameProblem, notEdited, type NamedFields } from "./naming";

function fields(): NamedFields {
  return { appName: "", alias: "", description: "", userName: "", roleName: "", policyName: "", edited: notEdited() };
}

describe("names made from the application name", () => {
  it("gives the alias, the user or role, and the engine's default policy name", () => {
    expect(derivedNames(" orders ")).toEqual({
      alias: "alias/orders-csfle",
      principal: "orders-csfle",
      // validate::default_policy_name in the engine: csfle-kms-<principal>.
      policy: "csfle-kms-orders-csfle",
      description: "MongoDB CSFLE master key for orders",
    });
  });

  it("refuses a name whose derived IAM name would be longer than AWS's 64 characters", () => {
    const longest = "a".repeat(APP_NAME_MAX);
    expect(appNameProblem(longest)).toBeNull();
    expect(iamNameProblem(derivedNames(longest).principal)).toBeNull();
    const tooLong = "a".repeat(APP_NAME_MAX + 1);
    expect(iamNameProblem(derivedNames(tooLong).principal)).toContain("1–64 characters long (it is 65)");
    expect(appNameProblem(tooLong)).toContain("would be 65 characters and AWS allows 64");
  });

  it("refuses characters that an IAM name or a key alias cannot hold, and an empty name", () => {
    expect(appNameProblem("orders/api")).toContain('found "/"');
    expect(appNameProblem("orders.api")).toContain('found "."');
    expect(appNameProblem("   ")).toContain("Enter a name");
    expect(appNameProblem("Orders_API-2")).toBeNull();
    expect(iamNameProblem("bad name")).toContain('found " "');
  });

  it("keeps a name edited by hand, and the policy follows the user or role until it is edited too", () => {
    const f = fields();
    applyAppName(f, "orders");
    expect([f.alias, f.userName, f.roleName, f.policyName]).toEqual(["alias/orders-csfle", "orders-csfle", "orders-csfle", "csfle-kms-orders-csfle"]);
    f.alias = "alias/team/orders";
    f.edited.alias = true;
    f.userName = "orders-app";
    f.edited.principal = true;
    followPrincipal(f, "orders-app");
    expect(f.policyName).toBe("csfle-kms-orders-app");
    applyAppName(f, "billing");
    expect([f.alias, f.userName, f.policyName, f.description]).toEqual(["alias/team/orders", "orders-app", "csfle-kms-orders-app", "MongoDB CSFLE master key for billing"]);
    f.edited.policy = true;
    f.policyName = "mine";
    followPrincipal(f, "other");
    expect(f.policyName).toBe("mine");
  });
});
