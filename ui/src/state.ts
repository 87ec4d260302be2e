// What the admin has chosen so far, carried from screen to screen.

import type { AppInfo, CredentialTerms, Identity, Outcome, Plan, RoleOutcome, RolePlan } from "./bindings";

export type ScreenName = "connect" | "key" | "account" | "review" | "apply" | "done" | "setups";

/** What the Apply screen runs: the reviewed plan, or the resumption of an interrupted run. */
export type Job = { kind: "user" } | { kind: "role" } | { kind: "resume"; runId: string };

export const SCREENS: readonly { name: ScreenName; title: string }[] = [
  { name: "connect", title: "Connect" },
  { name: "key", title: "Master key" },
  { name: "account", title: "Service account" },
  { name: "review", title: "Review" },
  { name: "apply", title: "Apply" },
  { name: "done", title: "Done" },
];

export interface Wizard {
  info: AppInfo;
  profile: string | null;
  region: string | null;
  identity: Identity | null;
  keyMode: "new" | "existing";
  alias: string;
  description: string;
  existingKeyArn: string | null;
  /** The AWS profile of the account holding an existing key of another account. */
  keyProfile: string | null;
  userName: string;
  policyName: string;
  plan: Plan | null;
  outcome: Outcome | null;
  principal: "user" | "role";
  roleName: string;
  trust: string;
  trustArn: string;
  rolePlan: RolePlan | null;
  roleOutcome: RoleOutcome | null;
  job: Job;
}

export function initialWizard(info: AppInfo): Wizard {
  return {
    info,
    profile: null,
    region: info.default_region,
    identity: null,
    keyMode: "new",
    alias: "alias/mongodb-csfle",
    description: "MongoDB CSFLE master key",
    existingKeyArn: null,
    keyProfile: null,
    userName: "mongodb-csfle-app",
    policyName: "",
    plan: null,
    outcome: null,
    principal: "user",
    roleName: "mongodb-csfle-role",
    trust: "ec2",
    trustArn: "",
    rolePlan: null,
    roleOutcome: null,
    job: { kind: "user" },
  };
}

/** The banner text when requests do not go to AWS itself; null for real AWS. */
export function endpointBanner(endpoint: string | null): string | null {
  if (!endpoint) return null;
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    // Not a URL: show it as given.
  }
  const local = /^(127\.|localhost|\[::1\])/.test(host);
  return local
    ? `SANDBOX — local AWS emulator at ${host}. Nothing you do here touches real AWS.`
    : `CUSTOM ENDPOINT — requests go to ${host}, not to the public AWS endpoints.`;
}

/** `AKIA…WXYZ`: enough to recognise a key, never the whole id. */
export function maskAccessKeyId(id: string): string {
  return id.length <= 8 ? "…" : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/** What credential-process hands out for the setup, as the keychain item records it. */
export function termsInWords(terms: CredentialTerms): string {
  const minutes = Math.round(terms.max_session_seconds / 60);
  const longLived = terms.allow_long_lived
    ? "the long-lived key is also handed out (--long-lived): allowed when provisioned"
    : "never the long-lived key";
  return `Session credentials of at most ${minutes} minutes; ${longLived}`;
}
