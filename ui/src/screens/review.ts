import { actions, button, screenTitle, type Context } from "../components";
import { h } from "../dom";

export function reviewScreen(ctx: Context): HTMLElement {
  const plan = ctx.wizard.plan;
  if (!plan) {
    return h("section", { class: "screen-body" }, ...screenTitle("Review", "There is no plan yet."), actions(button("Back", () => ctx.go("account"))));
  }
  const who = plan.identity;
  const steps = plan.steps.map((step) =>
    h(
      "li",
      { class: "plan-step", "data-step": step.id },
      h("span", { class: "plan-action mono" }, step.action),
      h("span", { class: "plan-target mono" }, step.target),
      h("span", { class: "plan-summary" }, step.summary),
    ),
  );
  return h(
    "section",
    { class: "screen-body", "data-screen": "review" },
    ...screenTitle("Review the plan", "Nothing in AWS has changed yet. These are all the actions that will run, in order."),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Acting as"),
      h("dd", { class: "mono" }, who.arn),
      h("dt", {}, "Account and region"),
      h("dd", {}, `${who.account_id} · ${who.region}`),
    ),
    h("ol", { class: "plan", id: "plan-steps" }, ...steps),
    h("h2", {}, `Permissions for ${plan.user_name}`),
    h("p", {}, `Inline policy ${plan.policy_name}, sent to IAM exactly as shown: encrypt and decrypt with this one key, nothing else.`),
    h("pre", { class: "code", id: "policy-document", tabindex: "0", "aria-label": "Policy document" }, plan.policy_document),
    h("h2", {}, "Where the credentials go"),
    h(
      "p",
      { id: "keychain-target" },
      `Your ${plan.keychain.store}, as one item: service "${plan.keychain.service}", account "${plan.keychain.account}". The secret access key is never shown on screen or written to a file.`,
    ),
    actions(
      button("Back", () => ctx.go("account")),
      button("Create resources", () => ctx.go("apply"), "primary", "review-apply"),
    ),
  );
}
