// The service account the application acts as. Which kind (user or role) and whom a role trusts
// were answered on the Application screen; here are its name and its policy's, made from the
// application name and still editable, checked against AWS's rules before any call.

import { disableWithReason, enterSubmits } from "../a11y";
import type { KeyChoice } from "../bindings";
import { actions, button, errorPanel, field, reportOf, screenTitle, setStatus, whileBusy, type Context, type Field } from "../components";
import { debounce, h } from "../dom";
import { defaultPolicyName, derivedNames, followPrincipal, iamNameProblem } from "../naming";
import type { Wizard } from "../state";
import { TRUST_TEXT, trustValue, whereLabel } from "../where";

/** The screen's inputs: the user's or the role's name (one of them is shown) and the policy's. */
interface AccountForm {
  user: HTMLInputElement;
  userField: Field;
  roleName: HTMLInputElement;
  roleField: Field;
  policy: HTMLInputElement;
  policyField: Field;
}

/** Whether the names passed their checks: "Review plan" waits for them. */
interface Checks {
  userOk: boolean;
  roleOk: boolean;
  policyOk: boolean;
}

const MADE_FROM = "Made from the application name; you may change it.";

function textInput(id: string, value: string): HTMLInputElement {
  return h("input", { id, type: "text", value, autocomplete: "off", spellcheck: "false" });
}

function accountForm(wizard: Wizard): AccountForm {
  const user = textInput("user-name", wizard.userName);
  const userField = field("IAM user name", user, `Your application signs in to AWS as this user. ${MADE_FROM} 1–64 letters, digits and + = , . @ _ -. It must not exist yet.`);
  const roleName = textInput("role-name", wizard.roleName);
  const roleField = field("IAM role name", roleName, `${MADE_FROM} 1–64 letters, digits and + = , . @ _ -. It must not exist yet.`);
  const policy = textInput("policy-name", wizard.policyName);
  const policyField = field("Inline policy name", policy, "csfle-kms- and the user or role name unless you change it. 1–128 letters, digits and + = , . @ _ -.");
  return { user, userField, roleName, roleField, policy, policyField };
}

export function chosenKey(wizard: Wizard): KeyChoice {
  return wizard.keyMode === "new"
    ? { kind: "new", alias: wizard.alias, description: wizard.description }
    : { kind: "existing", key: wizard.existingKeyArn ?? "" };
}

/** The key's account profile, only for an existing key of another account. */
function keyProfileFor(wizard: Wizard): string | null {
  return wizard.keyMode === "existing" ? wizard.keyProfile : null;
}

/** Asks the engine for the plan of the chosen principal and remembers which job Apply runs. */
export async function makePlan(ctx: Context, key: KeyChoice): Promise<void> {
  const { wizard } = ctx;
  // A policy name the admin left as shown is the engine's default: send none and let the engine
  // name it, so the plan proves the name shown here is the one the engine makes.
  const policyName = wizard.edited.policy ? wizard.policyName || null : null;
  if (wizard.principal === "user") {
    wizard.plan = await ctx.api.plan({
      key,
      user_name: wizard.userName,
      policy_name: policyName,
      // The app makes setups whose credential-process hands out session credentials only.
      allow_long_lived: false,
      max_session_seconds: null,
      key_profile: keyProfileFor(wizard),
    });
    wizard.job = { kind: "user" };
  } else {
    const trust = trustValue(wizard.trust, wizard.trustArn);
    wizard.rolePlan = await ctx.api.planRole({ key, role_name: wizard.roleName, trust, policy_name: policyName, key_profile: keyProfileFor(wizard) });
    wizard.job = { kind: "role" };
  }
}

function offerKeyPolicyFix(ctx: Context, problem: HTMLElement, keyArn: string): void {
  const fix: HTMLButtonElement = button("Let IAM policies use this key", () => {
    void whileBusy(fix, "Changing the key policy…", async () => {
      try {
        problem.replaceChildren(h("p", { class: "panel panel-ok", id: "key-policy-fixed" }, await ctx.api.fixKeyPolicy(keyArn)));
      } catch (fixError) {
        problem.replaceChildren(errorPanel(reportOf(fixError)));
      }
    });
  }, "secondary", "fix-key-policy");
  problem.append(h("p", {}, "This adds the statement shown above to the key's policy (kms:PutKeyPolicy), and changes nothing else in it. It lets IAM policies in this account grant kms:Encrypt and kms:Decrypt on this key, the two actions a setup uses, and no other KMS action."), actions(fix));
}

function reviewButton(ctx: Context, problem: HTMLElement): HTMLButtonElement {
  const review: HTMLButtonElement = button("Review plan", () => {
    problem.replaceChildren();
    const key = chosenKey(ctx.wizard);
    void whileBusy(review, "Preparing the plan…", async () => {
      try {
        await makePlan(ctx, key);
        ctx.go("review");
      } catch (error) {
        const report = reportOf(error);
        problem.append(errorPanel(report));
        // The key's own policy shuts IAM out: offer the fix, but only as the admin's choice.
        if (report.code === "key-policy-blocks-iam" && key.kind === "existing") offerKeyPolicyFix(ctx, problem, key.key);
      }
    });
  }, "primary", "account-review");
  return review;
}

/** Checks the user name with IAM as the admin types, and reports it under the field. */
function watchUserName(ctx: Context, form: AccountForm, checks: Checks, named: (value: string) => void, refresh: () => void): void {
  const { user, userField } = form;
  const checkUser = debounce(async (value: string) => {
    try {
      const check = await ctx.api.checkUserName(value);
      if (user.value !== value) return;
      checks.userOk = check.ok;
      setStatus(userField, check.ok ? "ok" : "bad", check.ok ? "✓ Available" : (check.message ?? "Not valid"));
    } catch (error) {
      checks.userOk = false;
      setStatus(userField, "bad", reportOf(error).message);
    }
    refresh();
  }, 300);
  user.addEventListener("input", () => {
    ctx.wizard.userName = user.value;
    checks.userOk = false;
    named(user.value);
    setStatus(userField, "pending", "Checking…");
    checkUser(user.value);
  });
}

/** The role name has no IAM call to ask before the plan: AWS's rule is checked here, existence by the plan. */
function watchRoleName(wizard: Wizard, form: AccountForm, checks: Checks, named: (value: string) => void, refresh: () => void): void {
  const { roleName, roleField } = form;
  roleName.addEventListener("input", () => {
    wizard.roleName = roleName.value;
    const problem = iamNameProblem(roleName.value);
    checks.roleOk = problem === null;
    setStatus(roleField, problem ? "bad" : "none", problem ?? "");
    named(roleName.value);
    refresh();
  });
}

function watchPolicyName(ctx: Context, form: AccountForm, checks: Checks, refresh: () => void): void {
  const { policy, policyField } = form;
  policy.addEventListener("input", async () => {
    const { wizard } = ctx;
    wizard.policyName = policy.value;
    const principal = wizard.principal === "user" ? wizard.userName : wizard.roleName;
    wizard.edited.policy = policy.value !== defaultPolicyName(principal);
    const value = policy.value;
    const check = await ctx.api.checkPolicyName(value).catch(() => ({ ok: false, message: "Could not check the name" }));
    if (policy.value !== value) return;
    checks.policyOk = check.ok;
    setStatus(policyField, check.ok ? "none" : "bad", check.ok ? "" : (check.message ?? ""));
    refresh();
  });
}

/** Wires the inputs to the wizard and the Review button; returns the input of the principal shown. */
function wireAccountForm(ctx: Context, form: AccountForm, review: HTMLButtonElement): HTMLInputElement {
  const { wizard } = ctx;
  const checks: Checks = { userOk: false, roleOk: false, policyOk: true };
  const refresh = () => {
    const isUser = wizard.principal === "user";
    const principalOk = isUser ? checks.userOk : checks.roleOk;
    disableWithReason(review, !principalOk ? (isUser ? "Enter a user name that is free and valid first." : "Enter a valid role name first.") : checks.policyOk ? null : "Enter a valid policy name first.");
  };
  // A name changed by hand stops following the application name; the policy name follows it.
  const named = (value: string) => {
    wizard.edited.principal = value !== derivedNames(wizard.appName).principal;
    if (wizard.edited.policy) return;
    followPrincipal(wizard, value);
    form.policy.value = wizard.policyName;
    form.policy.dispatchEvent(new Event("input"));
  };
  watchUserName(ctx, form, checks, named, refresh);
  watchRoleName(wizard, form, checks, named, refresh);
  watchPolicyName(ctx, form, checks, refresh);
  return wizard.principal === "user" ? form.user : form.roleName;
}

/** "runs in ECS tasks", from the answer's label "In ECS tasks". */
function runsWhere(wizard: Wizard): string {
  if (wizard.where === null) return "where you have not said yet";
  const label = whereLabel(wizard.where);
  return label.charAt(0).toLowerCase() + label.slice(1);
}

/** What the Application screen's answer decided, and the way back to change it. */
function whereSummary(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const trusted = TRUST_TEXT[wizard.trust] ? trustValue(wizard.trust, wizard.trustArn) : null;
  const text =
    wizard.principal === "user"
      ? `Your application runs ${runsWhere(wizard)}, so it signs in as an IAM user with an access key. The key goes straight into your keychain; the Done screen shows the ways to hand it to the application.`
      : `Your application runs ${runsWhere(wizard)}, so it gets an IAM role (recommended): no access key to store or rotate, the platform hands it temporary credentials.${wizard.trust === "eks-pod-identity" ? " With EKS Pod Identity the Go, C and PHP drivers cannot read them yet." : ""}`;
  return h(
    "div",
    { class: "panel panel-note", id: "account-where" },
    h("p", {}, text),
    trusted ? h("p", {}, "Only this may assume it: ", h("span", { class: "mono", id: "account-trust" }, trusted)) : null,
    actions(button("Change where it runs", () => ctx.go("app"), "secondary", "account-change-where")),
  );
}

export function accountScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  // The error panel inside is an alert: no live region around it as well.
  const problem = h("div", { id: "account-problem" });
  const form = accountForm(wizard);
  const review = reviewButton(ctx, problem);
  const buttons = actions(button("Back", () => ctx.go("key")), review);
  const shown = wireAccountForm(ctx, form, review);
  shown.dispatchEvent(new Event("input"));
  const isUser = wizard.principal === "user";
  const body = h(
    "section",
    { class: "screen-body", "data-screen": "account" },
    ...screenTitle(
      "Service account",
      "Who your application acts as. It may only encrypt and decrypt with the master key: it cannot manage the key, see other keys, or sign in to the console.",
    ),
    whereSummary(ctx),
    h("div", { id: isUser ? "user-pane" : "role-pane" }, isUser ? form.userField.wrapper : form.roleField.wrapper),
    form.policyField.wrapper,
    buttons,
    problem,
  );
  enterSubmits(body, review);
  return body;
}
