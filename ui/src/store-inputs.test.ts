import { describe, expect, it } from "vitest";
import { readerLines, readersProblem, secretNameProblem, vaultPathProblem, vaultUrlProblem } from "./store-inputs";

// The cases of src-tauri/core/src/store/vault.rs and aws/secrets_manager.rs: the window refuses
// what the engine refuses, before any call.
describe("secret store inputs", () => {
  it("takes https anywhere and plain http only to this computer", () => {
    expect(vaultUrlProblem("https://vault.example.com:8200")).toBeNull();
    expect(vaultUrlProblem(" https://vault.example.com/ ")).toBeNull();
    expect(vaultUrlProblem("http://127.0.0.1:8200")).toBeNull();
    expect(vaultUrlProblem("http://localhost:8200")).toBeNull();
    expect(vaultUrlProblem("http://[::1]:8200")).toBeNull();
    expect(vaultUrlProblem("http://vault.example.com:8200")).toContain("unencrypted");
    expect(vaultUrlProblem("http://127.0.0.1.evil.example:8200")).toContain("unencrypted");
    expect(vaultUrlProblem("vault.example.com")).toContain("https://");
    expect(vaultUrlProblem("ftp://vault.example.com")).toContain("https://");
    expect(vaultUrlProblem("https://vault.example.com/v1/secret")).toContain("without a path");
    expect(vaultUrlProblem("https://user@vault.example.com")).toContain("without a path");
    expect(vaultUrlProblem("https://vault.example.com:port")).toContain("port");
    expect(vaultUrlProblem("https://vault.example.com:70000")).toContain("port");
    expect(vaultUrlProblem("")).toContain("address");
  });

  it("takes MOUNT/PATH as bao kv put would, and nothing that leaves the path", () => {
    expect(vaultPathProblem("secret/apps/billing")).toBeNull();
    expect(vaultPathProblem("/kv/app/")).toBeNull();
    expect(vaultPathProblem("secret")).toContain("MOUNT/PATH");
    expect(vaultPathProblem("secret/../sys")).toContain(".. part");
    expect(vaultPathProblem("secret//app")).toContain("empty");
    expect(vaultPathProblem("secret/data/app")).toContain("Leave out data/");
    expect(vaultPathProblem("secret/app?x=1")).toContain("letters, digits");
    expect(vaultPathProblem(`secret/${"a".repeat(520)}`)).toContain("512");
  });

  it("takes Secrets Manager names by AWS's rules, and not one like an ARN suffix", () => {
    expect(secretNameProblem("apps/billing/mongodb-csfle")).toBeNull();
    expect(secretNameProblem("app secret")).toContain("letters, digits");
    expect(secretNameProblem("billing-AbC123")).toContain("six characters");
    expect(secretNameProblem("a".repeat(513))).toContain("512");
    expect(secretNameProblem(" ")).toContain("name");
  });

  it("takes readers one role or user ARN per line, at least one", () => {
    const two = "arn:aws:iam::123456789012:role/billing\n\n  arn:aws-us-gov:iam::210987654321:user/ops/app  \n";
    expect(readerLines(two)).toEqual(["arn:aws:iam::123456789012:role/billing", "arn:aws-us-gov:iam::210987654321:user/ops/app"]);
    expect(readersProblem(two)).toBeNull();
    expect(readerLines("arn:aws:iam::123456789012:role/a arn:aws:iam::123456789012:role/b,c")).toEqual(["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b,c"]);
    expect(readersProblem("\n \n")).toContain("at least one");
    expect(readersProblem("arn:aws:iam::123456789012:root")).toContain("not an IAM role or user ARN");
    expect(readersProblem("arn:aws:iam::12345:role/x")).toContain("not an IAM role or user ARN");
    expect(readersProblem("arn:aws:sts::123456789012:assumed-role/x/y")).toContain("not an IAM role or user ARN");
    expect(readersProblem("arn:aws:iam::123456789012:role/")).toContain("not an IAM role or user ARN");
    expect(readersProblem("arn:aws:iam::123456789012:role/ok\narn:aws:iam::*:role/any")).toContain("arn:aws:iam::*:role/any");
  });
});
