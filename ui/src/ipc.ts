// The one module that talks to Rust. Every reply is typed by the generated bindings, every
// failure arrives as an ErrorReport, and every reply is kept in a short log that the end-to-end
// tests read to prove no secret ever crossed IPC. Command names are the `Command` type, generated
// from src-tauri/src/command_list.rs; a Rust test checks that this file calls each of them.

import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AppInfo,
  CleanupPreview,
  CopyTarget,
  Delivered,
  PendingDeletion,
  Command,
  ConnectOptions,
  ErrorReport,
  FieldCheck,
  Identity,
  KeySummary,
  LegacyScan,
  Outcome,
  InterruptedRun,
  Plan,
  ProfileWritten,
  Progress,
  Pushed,
  RoleOutcome,
  RolePlan,
  RoleRequest,
  RollbackReport,
  RotateReport,
  RotationReport,
  SetupRequest,
  SetupSummary,
  TeardownPreview,
  TeardownReport,
  VaultLogin,
  VaultSignIn,
  VerifyReport,
} from "./bindings";

export class IpcFailure extends Error {
  constructor(readonly report: ErrorReport) {
    super(report.message);
  }
}

const LOG_LIMIT = 500;
const log: string[] = [];

function record(command: string, reply: unknown): void {
  log.push(JSON.stringify({ command, reply }));
  if (log.length > LOG_LIMIT) log.shift();
}

/** Every IPC reply and progress event of this window so far, as JSON text. */
export function replyLog(): readonly string[] {
  return log;
}

declare global {
  interface Window {
    __csfleReplyLog?: () => readonly string[];
  }
}

/**
 * The end-to-end tests read every reply through `window.__csfleReplyLog`. Only builds made for
 * them (`vite build --mode e2e`, what `npm run check` ends with) and the unit tests have it:
 * Vite replaces `import.meta.env.MODE` at build time, so a release build (`npm run build`,
 * production mode) does not contain the hook at all (ui/scripts/no-test-hooks.mjs checks).
 */
export const TEST_HOOKS = import.meta.env.MODE === "e2e" || import.meta.env.MODE === "test";
if (TEST_HOOKS) {
  window.__csfleReplyLog = replyLog;
}

export function toReport(error: unknown): ErrorReport {
  if (error && typeof error === "object" && "code" in error && "message" in error && "hint" in error) {
    const report = error as ErrorReport;
    return { code: report.code, message: report.message, hint: report.hint, rollback: report.rollback ?? null };
  }
  return {
    code: "internal",
    message: typeof error === "string" ? error : "The app could not complete the request.",
    hint: "Try again. If it keeps happening, restart the app.",
    rollback: null,
  };
}

async function call<T>(command: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    const reply = await invoke<T>(command, args);
    record(command, reply);
    return reply;
  } catch (error) {
    const report = toReport(error);
    record(command, report);
    throw new IpcFailure(report);
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  connect: (options: ConnectOptions) => call<Identity>("connect", { options }),
  /** Every key of the region; `onPage` gets them page by page as AWS lists them. Resolves to the count. */
  listKeys: (onPage: (keys: KeySummary[]) => void) => call<number>("list_keys", { onPage: pageChannel(onPage) }),
  describeKeys: (refs: string[]) => call<KeySummary[]>("describe_keys", { refs }),
  checkUserName: (name: string) => call<FieldCheck>("check_user_name", { name }),
  checkAlias: (alias: string) => call<FieldCheck>("check_alias", { alias }),
  checkPolicyName: (name: string) => call<FieldCheck>("check_policy_name", { name }),
  plan: (request: SetupRequest) => call<Plan>("plan", { request }),
  apply: (onProgress: (event: Progress) => void) => call<Outcome>("apply", { onProgress: progressChannel(onProgress) }),
  cancel: () => call<void>("cancel"),
  verifyAgain: () => call<VerifyReport>("verify_again"),
  listSetups: (onSetup: (setup: SetupSummary) => void = () => undefined) => call<SetupSummary[]>("list_setups", { onSetup: pageChannel(onSetup) }),
  legacyScan: (rescan: boolean) => call<LegacyScan | null>("legacy_scan", { rescan }),
  verifySetup: (user: string) => call<VerifyReport>("verify_setup", { user }),
  /** `vaultLogins`: a token per Vault server the setup has copies on, so rotation can write them; the arguments are never logged. */
  rotate: (user: string, deleteInactiveKey: boolean, vaultLogins: VaultSignIn[] = []) => call<RotateReport>("rotate", { user, deleteInactiveKey, vaultLogins }),
  /** What `rotate --finish` does: the copies still behind get the new key, then the old key goes. */
  finishRotation: (user: string, confirmImported: boolean, vaultLogins: VaultSignIn[]) => call<RotateReport>("finish_rotation", { user, confirmImported, vaultLogins }),
  enableKeyRotation: (key: string) => call<RotationReport>("enable_key_rotation", { key }),
  /** `deleteKeyDays` null keeps the master key; a number schedules the deletion of `keyArn`, the key
   * the preview showed (refused unless safe, and if the setup's key is now another). `vaultLogins`: a token per
   * Vault server holding a copy, which teardown removes; the arguments are never logged. */
  teardown: (name: string, role: boolean, deleteKeyDays: number | null, keyArn: string | null, confirmation: string, keyProfile: string | null = null, vaultLogins: VaultSignIn[] = []) =>
    call<TeardownReport>("teardown", { name, role, deleteKeyDays, keyArn, confirmation, keyProfile, vaultLogins }),
  /** `keyProfile`: the profile of the key's account the admin chose (else the one recorded at provision). */
  teardownPreview: (name: string, role: boolean, keyProfile: string | null = null) => call<TeardownPreview>("teardown_preview", { name, role, keyProfile }),
  adminPolicy: () => call<string>("admin_policy"),
  fixKeyPolicy: (key: string) => call<string>("fix_key_policy", { key }),
  planRole: (request: RoleRequest) => call<RolePlan>("plan_role", { request }),
  applyRole: (onProgress: (event: Progress) => void) => call<RoleOutcome>("apply_role", { onProgress: progressChannel(onProgress) }),
  addAwsProfile: (user: string, profile: string) => call<ProfileWritten>("add_aws_profile", { user, profile }),
  interruptedRuns: () => call<InterruptedRun[]>("interrupted_runs"),
  resumeRun: (runId: string, onProgress: (event: Progress) => void) =>
    call<Outcome>("resume_run", { runId, onProgress: progressChannel(onProgress) }),
  /** What cleaning up would remove (proven against AWS) and what the journal names that AWS does not. */
  cleanUpPreview: (runId: string) => call<CleanupPreview>("clean_up_preview", { runId }),
  /** This app's keys KMS will delete, and cancelling one (the key is enabled again). */
  pendingDeletions: () => call<PendingDeletion[]>("pending_deletions"),
  cancelKeyDeletion: (keyArn: string) => call<string>("cancel_key_deletion", { keyArn }),
  /** Opens the console page of a key, user or role in the system browser (the app builds the address). */
  openInConsole: (arn: string) => call<null>("open_in_console", { arn }),
  /** Seals `user`'s keychain item to the age `recipient` in the new file `out`; the reply names the file, never the secret. */
  deliverSealed: (user: string, recipient: string, out: string) => call<Delivered>("deliver_sealed", { user, recipient, out }),
  /** Where a copy in a secret store would go and which access key it would hold; nothing written. */
  planCopy: (user: string, target: CopyTarget) => call<Pushed>("plan_copy", { user, target }),
  /** Writes the copy; `login` (Vault only) goes in and is in no reply. */
  copyToStore: (user: string, target: CopyTarget, login: VaultLogin | null) => call<Pushed>("copy_to_store", { user, target, login }),
  suggestDeliveryPath: (user: string) => call<string>("suggest_delivery_path", { user }),
  cleanUpRun: (runId: string, onProgress: (event: Progress) => void) =>
    call<RollbackReport>("clean_up_run", { runId, onProgress: progressChannel(onProgress) }),
};

function progressChannel(onProgress: (event: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = (event) => {
    record("progress", event);
    onProgress(event);
  };
  return channel;
}

function pageChannel<T>(onPage: (page: T) => void): Channel<T> {
  const channel = new Channel<T>();
  channel.onmessage = (page) => {
    record("page", page);
    onPage(page);
  };
  return channel;
}

export type Api = typeof api;
