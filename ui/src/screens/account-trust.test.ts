import { describe, expect, it } from "vitest";
import { trustValue } from "../where";

describe("the role's trust as the engine reads it", () => {
  it("prefixes what was typed for GitHub and other issuers, and sends services as they are", () => {
    expect(trustValue("github", " acme/payments:environment:production ")).toBe("github:acme/payments:environment:production");
    expect(trustValue("oidc", "https://gitlab.example.com::project_path:g/a")).toBe("oidc:https://gitlab.example.com::project_path:g/a");
    expect(trustValue("eks", "prod:payments/api")).toBe("eks:prod:payments/api");
    expect(trustValue("arn", "111122223333")).toBe("111122223333");
    expect(trustValue("ecs-tasks", "ignored")).toBe("ecs-tasks");
  });
});
