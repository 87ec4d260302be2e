import type { Finding, Identity, KeyGrant, PlanStep } from "../bindings";
import { actions, button, screenTitle, type Context } from "../components";
import { h } from "../dom";
import { copyable, policyBlock } from "../handoff";
import { termsInWords } from "../state";

function stepList(steps: PlanStep[]): HTMLElement {
  return h(
    "ol",
    { class: "plan", id: "plan-steps" },
    ...steps.map((step) =>
      h(
        "li",
        { class: "plan-step", "data-step": step.id },
        h("span", { class: "plan-action mono" }, step.action),
        h("span", { class: "plan-target mono" }, step.target),
        h("span", { class: "plan-summary" }, step.summary),
      ),
    ),
  );
}

function actingAs(who: Identity): HTMLElement {
  return h(
    "dl",
    { class: "facts" },
    h("dt", {}, "Acting as"),
    h("dd", {}, copyable(who.arn, "acting identity ARN", "review-identity")),
    h("dt", {}, "Account and region"),
    h("dd", {}, `${who.account_id} · ${who.region}`),
  );
}

/** A policy document, pretty-printed, with Copy. */
function document(id: string, label: string, text: string): HTMLElement {
  return h("div", { class: "policy" }, ...policyBlock(id, label, text));
}

/** The second change of a cross-account setup: one statement in the key's own account. */
function keyGrant(grant: KeyGrant | null): (HTMLElement | string)[] {
  if (!grant) return [];
  const profile = grant.key_profile ? ` with the profile ${grant.key_profile}` : "";
  return [
    h("h2", {}, `In the key's account ${grant.key_account}`),
    h(
      "p",
      { id: "key-grant-summary" },
      `The key policy of ${grant.key_arn} gets this one statement, written${profile} (acting as ${grant.key_admin_arn}). Every other statement stays exactly as it is; teardown removes this one again. KMS needs both: this statement and the inline policy above.`,
    ),
    document("key-policy-statement", "Key policy statement", grant.statement),
  ];
}

const EXPECTED = { passed: "✓ Will pass", failed: "⚠ Will fail", unknown: "? Could not check" } as const;

/** The Security Hub findings the setup will have the moment it exists. */
function securityHub(findings: Finding[]): HTMLElement {
  return h(
    "section",
    { class: "findings", id: "plan-findings" },
    h("h2", {}, "What AWS Security Hub will say"),
    h(
      "ul",
      { class: "plain" },
      ...findings.map((f) =>
        h("li", { class: `finding finding-${f.status}`, "data-control": f.control }, h("strong", {}, `${f.control} ${EXPECTED[f.status]}`), ` · ${f.title}. `, h("span", { class: "finding-message" }, f.message)),
      ),
    ),
  );
}

export function reviewScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const body: (HTMLElement | string)[] = [];
  if (wizard.job.kind === "role" && wizard.rolePlan) {
    const plan = wizard.rolePlan;
    body.push(
      actingAs(plan.identity),
      stepList(plan.steps),
      h("h2", {}, `Who may assume ${plan.role_name}`),
      document("trust-policy", "Trust policy", plan.trust_policy),
      h("h2", {}, `Permissions for ${plan.role_name}`),
      h("p", {}, `Inline policy ${plan.policy_name}, sent to IAM exactly as shown: encrypt and decrypt with this one key, nothing else.`),
      document("policy-document", "Policy document", plan.policy_document),
      ...keyGrant(plan.key_grant),
      h("p", { id: "keychain-target" }, "A role has no access key, so nothing is stored in your keychain."),
      securityHub(plan.findings),
    );
  } else if (wizard.plan) {
    const plan = wizard.plan;
    body.push(
      actingAs(plan.identity),
      stepList(plan.steps),
      h("h2", {}, `Permissions for ${plan.user_name}`),
      h("p", {}, `Inline policy ${plan.policy_name}, sent to IAM exactly as shown: encrypt and decrypt with this one key, nothing else.`),
      document("policy-document", "Policy document", plan.policy_document),
      ...keyGrant(plan.key_grant),
      h("h2", {}, "Where the credentials go"),
      h(
        "p",
        { id: "keychain-target" },
        `Your ${plan.keychain.store}, as one item: service "${plan.keychain.service}", account "${plan.keychain.account}". It is ${plan.keychain.note}. The secret access key is never shown on screen or written to a file.`,
      ),
      h("p", { id: "credential-terms" }, `Applications reading it through an AWS profile get: ${termsInWords(plan.credential_terms)}.`),
      securityHub(plan.findings),
    );
  } else {
    return h("section", { class: "screen-body" }, ...screenTitle("Review", "There is no plan yet."), actions(button("Back", () => ctx.go("account"))));
  }
  return h(
    "section",
    { class: "screen-body", "data-screen": "review" },
    ...screenTitle("Review the plan", "Nothing in AWS has changed yet. These are all the actions that will run, in order."),
    ...body,
    actions(button("Back", () => ctx.go("account")), button("Create resources", () => ctx.go("apply"), "primary", "review-apply")),
  );
}
