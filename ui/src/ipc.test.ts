import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { api, IpcFailure, replyLog, TEST_HOOKS, toReport } from "./ipc";

afterEach(() => clearMocks());

describe("ipc", () => {
  it("passes typed arguments under the names the Rust commands take", async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return { ok: true, message: null };
    });
    await api.checkUserName("app");
    await api.checkAlias("alias/app");
    expect(seen).toEqual([
      ["check_user_name", { name: "app" }],
      ["check_alias", { alias: "alias/app" }],
    ]);
  });

  it("turns a rejected command into an IpcFailure carrying {code, message, hint}", async () => {
    mockIPC(() => {
      throw { code: "aws-access-denied", message: "iam:CreateUser was denied", hint: "Ask for iam:CreateUser", rollback: null };
    });
    const failure = await api.connect({ profile: null, region: "us-east-1" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(IpcFailure);
    expect((failure as IpcFailure).report.code).toBe("aws-access-denied");
    expect((failure as IpcFailure).report.hint).toContain("iam:CreateUser");
  });

  it("gives unknown failures words an admin can act on", () => {
    const report = toReport(new Error("boom"));
    expect(report.code).toBe("internal");
    expect(report.hint).toMatch(/Try again/);
  });

  it("keeps every reply in the log the end-to-end tests inspect", async () => {
    mockIPC(() => ({ ok: false, message: "taken" }));
    await api.checkUserName("taken-user");
    expect(replyLog()[replyLog().length - 1]).toBe(JSON.stringify({ command: "check_user_name", reply: { ok: false, message: "taken" } }));
  });

  it("offers the reply log on window only in test and e2e builds", () => {
    expect(import.meta.env.MODE).toBe("test");
    expect(TEST_HOOKS).toBe(true);
    expect(window.__csfleReplyLog).toBe(replyLog);
  });
});
