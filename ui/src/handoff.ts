// Handing a setup on to the application team: every ARN and id with a Copy button beside it, a
// link to its page in the AWS console (opened in the system browser by the app, never in this
// window), the policy pretty-printed with Copy, and a setup summary that holds no secret.

import { announce } from "./a11y";
import type { Outcome, RoleOutcome, SetupSummary } from "./bindings";
import { button, copy } from "./components";
import { h } from "./dom";
import type { Api } from "./ipc";

/** A small Copy button for `value`; its accessible name says what it copies. */
export function copyControl(value: string, label: string, id?: string | null): HTMLButtonElement {
  const control: HTMLButtonElement = button("Copy", () => void copy(value, control, label), "secondary");
  control.classList.add("btn-small");
  control.setAttribute("aria-label", `Copy ${label}`);
  if (id) control.id = id;
  return control;
}

/**
 * `value` as selectable text (with `id`), and a Copy button beside it that names what it copies.
 * `shown` replaces the text on screen (a masked access key id) while Copy still copies `value`.
 */
export function copyable(value: string, label: string, id?: string | null, shown?: string): HTMLElement {
  const text = h("span", { class: "mono copy-value", id: id ?? null }, shown ?? value);
  return h("span", { class: "copyable" }, text, copyControl(value, label, id ? `${id}-copy` : null));
}

/** Opens the console page of `arn` in the system browser; the app builds the address from the ARN. */
export function consoleButton(api: Pick<Api, "openInConsole">, arn: string, what: string, id?: string): HTMLButtonElement {
  const control = button(
    "Open in the AWS console",
    () => {
      api.openInConsole(arn).then(
        () => announce(`The AWS console page of the ${what} opens in your browser.`),
        (error: unknown) => announce(error instanceof Error ? error.message : String(error)),
      );
    },
    "secondary",
    id,
  );
  control.classList.add("btn-small");
  // The visible words first (WCAG 2.5.3), then what it opens, and where.
  control.setAttribute("aria-label", `Open in the AWS console: the ${what}, in your browser`);
  return control;
}

/** An ARN with Copy and, for the kinds the console links, "Open in the AWS console". */
export function arnValue(api: Pick<Api, "openInConsole"> | null, arn: string, label: string, id?: string | null): HTMLElement {
  const shown = copyable(arn, label, id);
  if (api && /^arn:aws:(kms:[^:]+:\d+:key\/|iam::\d+:(user|role)\/)/.test(arn)) {
    shown.append(consoleButton(api, arn, label, id ? `${id}-console` : undefined));
  }
  return shown;
}

/** JSON indented for reading; the text itself when it is not JSON. */
export function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** A policy document, pretty-printed, with a Copy button. */
export function policyBlock(id: string, label: string, json: string): HTMLElement[] {
  const text = pretty(json);
  const control: HTMLButtonElement = button(`Copy ${label.toLowerCase()}`, () => void copy(text, control, label), "secondary", `${id}-copy`);
  return [h("pre", { class: "code", id, tabindex: "0", "aria-label": label }, text), h("div", { class: "actions" }, control)];
}

/** What the application team needs from a user setup, in plain text: no secret, only where it is. */
export function outcomeSummary(outcome: Outcome): string {
  return [
    `CSFLE setup ${outcome.user_name}`,
    `Master key (masterKey.key): ${outcome.key_arn}`,
    `Key alias: ${outcome.key_alias ?? "(none)"}`,
    `Region (masterKey.region): ${outcome.region}`,
    `IAM user: ${outcome.user_arn}`,
    `Inline policy: ${outcome.policy_name} (kms:Encrypt and kms:Decrypt on the master key only)`,
    `Access key ID: ${outcome.access_key_id}`,
    `Credentials: in the keychain (${outcome.keychain.store}: ${outcome.keychain.service} / ${outcome.keychain.account}); the secret access key is not in this summary`,
    `Application credentials: kmsProviders.aws = {} with AWS_PROFILE set to a profile using csfle-provisioner-cli credential-process --user ${outcome.user_name}`,
  ].join("\n");
}

export function roleSummary(outcome: RoleOutcome): string {
  return [
    `CSFLE setup ${outcome.role_name}`,
    `Master key (masterKey.key): ${outcome.key_arn}`,
    `Key alias: ${outcome.key_alias ?? "(none)"}`,
    `Region (masterKey.region): ${outcome.region}`,
    `IAM role: ${outcome.role_arn}`,
    `Instance profile: ${outcome.instance_profile_arn ?? "(none)"}`,
    `Inline policy: ${outcome.policy_name} (kms:Encrypt and kms:Decrypt on the master key only)`,
    `Application credentials: kmsProviders.aws = {}; the platform hands the application temporary credentials for the role`,
  ].join("\n");
}

export function setupSummary(setup: SetupSummary): string {
  const isRole = setup.kind === "role";
  return [
    `CSFLE setup ${setup.name}`,
    `Master key (masterKey.key): ${setup.key_arn ?? "unknown"}`,
    `Key alias: ${setup.key_aliases.join(", ") || "(none)"}`,
    `${isRole ? "IAM role" : "IAM user"}: ${setup.principal_arn ?? "missing in AWS"}`,
    `Inline policy: ${setup.policy_name ?? "-"}`,
    ...(isRole
      ? ["Application credentials: kmsProviders.aws = {}; the platform hands the application temporary credentials for the role"]
      : [
          `Access key ID: ${setup.access_keys.map((k) => k.access_key_id).join(", ") || "none"}`,
          `Credentials: ${setup.keychain_present ? `in the keychain (${setup.keychain_account})` : "not in the keychain"}; the secret access key is not in this summary`,
        ]),
  ].join("\n");
}

/** "Copy setup summary": the summary above, copied; it is also the button's description. */
export function summaryButton(text: string, id: string): HTMLButtonElement {
  const control: HTMLButtonElement = button("Copy setup summary", () => void copy(text, control, "Setup summary"), "secondary", id);
  control.title = "Copies the ARNs, region and policy name for the application team. No secret is copied.";
  return control;
}
