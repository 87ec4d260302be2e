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

describe("driver snippets", () => {
  it("cover every driver the guide names", () => {
    expect(snippets(outcome).map((s) => s.driver)).toEqual(["Node.js", "Python", "Java", "Go", "C#", "Rust", "mongosh"]);
  });

  it("name the region and key and use on-demand credentials", () => {
    for (const snippet of snippets(outcome)) {
      expect(snippet.code).toContain('"eu-west-1"');
      expect(snippet.code).toContain(outcome.key_arn);
      expect(snippet.code).toContain("AWS_PROFILE");
    }
  });

  it("never carry credentials", () => {
    const all = snippets(outcome).map((s) => s.code).join("\n") + profileSetup(outcome);
    expect(all).not.toContain(outcome.access_key_id);
    expect(all.toLowerCase()).not.toMatch(/secretaccesskey|secret_access_key|accesskeyid/);
  });

  it("name the role as the credential source for role setups", () => {
    for (const snippet of snippets(outcome, FROM_ROLE)) {
      expect(snippet.code).toContain("instance profile");
      expect(snippet.code).not.toContain("AWS_PROFILE");
    }
  });

  it("set up a profile named after the user", () => {
    expect(profileSetup(outcome)).toContain("aws-profile --user app --profile csfle-app");
  });
});
