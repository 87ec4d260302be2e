import { describe, expect, it } from "vitest";
import type { Outcome } from "./bindings";
import { FROM_ROLE, profileSetup, snippets } from "./snippets";

const outcome: Outcome = {
  key_arn: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  key_alias: "alias/app",
  region: "eu-west-1",
  user_arn: "arn:aws:iam::111122223333:user/app",
  user_name: "app",
  policy_name: "csfle-kms-app",
  access_key_id: "AKIAIOSFODNN7EXAMPLE",
  keychain: { service: "csfle-provisioner", account: "111122223333/app", store: "Secret Service keyring", note: "stored on this computer only" },
  verified: true,
  warnings: [],
};

// From the drivers' sources: the Node, Python, Java and C# drivers (and mongosh) take AWS credentials
// through the AWS SDK's chain, which reads AWS_PROFILE; so does the Rust driver since 3.3, once the
// application turns on aws-config's credentials-process feature; mongo-go-driver
// (internal/credproviders) and libmongoc (and so PHP) read the environment, web identity, ECS and
// EC2 only.
const READ_A_PROFILE = ["Node.js", "Python", "Java", "C#", "Rust", "mongosh"];
const READ_NO_PROFILE = ["Go", "C / PHP"];

describe("driver snippets", () => {
  it("cover every driver the guide names", () => {
    expect(snippets(outcome, undefined, "app").map((s) => s.driver)).toEqual(["Node.js", "Python", "Java", "Go", "C / PHP", "C#", "Rust", "mongosh"]);
  });

  it("name the region and key, and send each driver where it really finds credentials", () => {
    for (const snippet of snippets(outcome, undefined, "app")) {
      expect(snippet.code).toContain('"eu-west-1"');
      expect(snippet.code).toContain(outcome.key_arn);
      if (READ_A_PROFILE.includes(snippet.driver)) expect(snippet.code).toContain("AWS_PROFILE");
      if (READ_NO_PROFILE.includes(snippet.driver)) {
        expect(snippet.code).toContain("csfle-provisioner-cli exec --user app --");
        expect(snippet.code).not.toContain("AWS_PROFILE");
      }
    }
  });

  it("tell a Rust application to turn on aws-config's credential_process, which the driver leaves off", () => {
    const rust = snippets(outcome, undefined, "app").find((s) => s.driver === "Rust")?.code ?? "";
    expect(rust).toContain('aws-config = "1"');
    expect(rust).toContain("credentials-process");
    expect(rust).toContain("mongodb 3.3 or later");
    expect(rust).toContain("csfle-provisioner-cli exec --user app --");
  });

  it("name the C# package and its registration call", () => {
    const csharp = snippets(outcome, undefined, "app").find((s) => s.driver === "C#")?.code ?? "";
    expect(csharp).toContain("MongoDB.Driver.Authentication.AWS");
    expect(csharp).toContain("AddAWSAuthentication()");
  });

  it("never carry credentials", () => {
    const all = snippets(outcome, undefined, "app").map((s) => s.code).join("\n") + profileSetup(outcome);
    expect(all).not.toContain(outcome.access_key_id);
    expect(all.toLowerCase()).not.toMatch(/secretaccesskey|secret_access_key|accesskeyid/);
  });

  it("name the role as the credential source for role setups", () => {
    for (const snippet of snippets(outcome, FROM_ROLE)) {
      expect(snippet.code).not.toContain("AWS_PROFILE");
      expect(snippet.code).not.toContain("exec --user");
      if (READ_A_PROFILE.includes(snippet.driver)) expect(snippet.code).toContain("instance profile");
      if (READ_NO_PROFILE.includes(snippet.driver)) expect(snippet.code).toContain("web identity");
    }
  });

  it("set up a profile named after the user", () => {
    expect(profileSetup(outcome)).toContain("aws-profile --user app --profile csfle-app");
  });
});
