// What the admin has chosen so far, carried from screen to screen.

import type { AppInfo, CredentialTerms, Identity, Outcome, Plan, RoleOutcome, RolePlan } from "./bindings";
import { notEdited, type Edited } from "./naming";
import type { EksMode, Where } from "./where";

export type ScreenName = "connect" | "app" | "key" | "account" | "review" | "apply" | "done" | "setups";

/** What the Apply screen runs: the reviewed plan, or the resumption of an interrupted run. */
export type Job = { kind: "user" } | { kind: "role" } | { kind: "resume"; runId: string };

export const SCREENS: readonly { name: ScreenName; title: string }[] = [
  { name: "connect", title: "Connect" },
  { name: "app", title: "Application" },
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
  /** The one name the alias, the user or role and the policy are made from. */
  appName: string;
  /** Where the application runs: decides user or role, and the role's trust. Null until answered. */
  where: Where | null;
  eksMode: EksMode;
  /** Derived names the admin changed by hand (they no longer follow the application name). */
  edited: Edited;
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
  /** Follows `where` (outside AWS: a user); kept so the plan and Apply read one field. */
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
    appName: "",
    where: null,
    eksMode: "irsa",
    edited: notEdited(),
    keyMode: "new",
    // Filled from the application name on the Application screen.
    alias: "",
    description: "",
    existingKeyArn: null,
    keyProfile: null,
    userName: "",
    policyName: "",
    plan: null,
    outcome: null,
    principal: "user",
    roleName: "",
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
