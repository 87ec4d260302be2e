import { describe, expect, it } from "vitest";
import type { Outcome } from "./bindings";
import { arnValue, copyable, outcomeSummary, pretty } from "./handoff";

const outcome = {
  key_arn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  key_alias: "alias/orders",
  region: "us-east-1",
  user_arn: "arn:aws:iam::123456789012:user/csfle-provisioner/orders-app",
  user_name: "orders-app",
  policy_name: "csfle-orders-app",
  access_key_id: "AKIAEXAMPLE000000001",
  keychain: { store: "Secret Service keyring", service: "csfle-provisioner", account: "123456789012/orders-app" },
  verified: true,
  warnings: [],
} as unknown as Outcome;

describe("hand-off", () => {
  it("pretty-prints JSON and leaves other text alone", () => {
    expect(pretty('{"Version":"2012-10-17","Statement":[]}')).toBe('{\n  "Version": "2012-10-17",\n  "Statement": []\n}');
    expect(pretty("not json")).toBe("not json");
  });

  it("offers the console only for keys, users and roles, and sends only the ARN", async () => {
    const asked: string[] = [];
    const api = { openInConsole: (arn: string) => (asked.push(arn), Promise.resolve(null)) };
    const key = arnValue(api, outcome.key_arn, "Key ARN", "k");
    expect(key.querySelector("#k")?.textContent).toBe(outcome.key_arn);
    expect(key.querySelector("#k-copy")?.getAttribute("aria-label")).toBe("Copy Key ARN");
    (key.querySelector("#k-console") as HTMLButtonElement).click();
    expect(asked).toEqual([outcome.key_arn]);
    const profile = arnValue(api, "arn:aws:iam::123456789012:instance-profile/x", "Instance profile", "p");
    expect(profile.querySelector("#p-console")).toBeNull();
  });

  it("shows a masked access key id and copies the whole id", async () => {
    const copied: string[] = [];
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: (text: string) => (copied.push(text), Promise.resolve()) } });
    const shown = copyable(outcome.access_key_id, "access key id", "ak", "AKIA…0001");
    document.body.replaceChildren(shown);
    expect(shown.querySelector("#ak")?.textContent).toBe("AKIA…0001");
    expect(shown.textContent).not.toContain(outcome.access_key_id);
    (shown.querySelector("#ak-copy") as HTMLButtonElement).click();
    await Promise.resolve();
    expect(copied).toEqual([outcome.access_key_id]);
  });

  it("summarises a setup for the application team without any secret", () => {
    const text = outcomeSummary(outcome);
    expect(text).toContain(outcome.key_arn);
    expect(text).toContain(outcome.user_arn);
    expect(text).toContain("us-east-1");
    expect(text).toContain("the secret access key is not in this summary");
    expect(text).not.toMatch(/SecretAccessKey|secret_access_key/);
  });
});
