import { describe, expect, it } from "vitest";
import { principalFor, trustKindFor, trustValue, WHERE, type Where } from "./where";

describe("where the application runs", () => {
  it("gives an IAM user outside AWS only, and a role with the matching trust everywhere else", () => {
    const mapped = Object.fromEntries(WHERE.map((choice) => [choice.value, [principalFor(choice.value), trustKindFor(choice.value, "irsa")]]));
    expect(mapped).toEqual({
      ec2: ["role", "ec2"],
      "ecs-tasks": ["role", "ecs-tasks"],
      lambda: ["role", "lambda"],
      eks: ["role", "eks"],
      github: ["role", "github"],
      oidc: ["role", "oidc"],
      arn: ["role", "arn"],
      outside: ["user", null],
    });
  });

  it("chooses IRSA or Pod Identity for EKS only, and warns about the drivers Pod Identity cannot serve", () => {
    expect(trustKindFor("eks", "pod-identity")).toBe("eks-pod-identity");
    for (const where of ["ec2", "ecs-tasks", "lambda", "github", "oidc", "arn"] as Where[]) expect(trustKindFor(where, "pod-identity")).toBe(where);
    expect(WHERE.find((choice) => choice.value === "outside")?.label).toMatch(/^Outside AWS/);
  });

  it("prefixes what was typed for GitHub, EKS and other issuers, and sends services as they are", () => {
    expect(trustValue("github", " acme/payments:environment:production ")).toBe("github:acme/payments:environment:production");
    expect(trustValue("oidc", "https://gitlab.example.com::project_path:g/a")).toBe("oidc:https://gitlab.example.com::project_path:g/a");
    expect(trustValue("eks", "prod:payments/api")).toBe("eks:prod:payments/api");
    expect(trustValue("eks-pod-identity", "prod:payments/api")).toBe("eks-pod-identity:prod:payments/api");
    expect(trustValue("arn", "111122223333")).toBe("111122223333");
    expect(trustValue("ecs-tasks", "ignored")).toBe("ecs-tasks");
  });
});
