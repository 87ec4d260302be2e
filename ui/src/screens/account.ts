import { disableWithReason } from "../a11y";
import type { KeyChoice } from "../bindings";
import { actions, button, errorPanel, field, reportOf, screenTitle, setStatus, whileBusy, type Context, type Field } from "../components";
import { debounce, h } from "../dom";
import type { Wizard } from "../state";

const TRUSTS: readonly [string, string][] = [
  ["ec2", "EC2 instances (an instance profile is made too)"],
  ["ecs-tasks", "ECS tasks (use it as the task role)"],
  ["lambda", "Lambda functions (use it as the execution role)"],
  ["eks", "An EKS service account (IAM roles for service accounts)"],
  ["eks-pod-identity", "An EKS service account (EKS Pod Identity; not for Go, C or PHP)"],
  ["github", "GitHub Actions (one environment or one branch)"],
  ["oidc", "Another OIDC issuer (GitLab, a Kubernetes cluster…)"],
  ["arn", "Another principal (an ARN or account id)"],
];

/** The trusts that need text, what the field asks for, and the prefix the engine reads. */
const TRUST_TEXT: Record<string, { label: string; placeholder: string; prefix: string }> = {
  arn: { label: "Principal ARN or account id", placeholder: "arn:aws:iam::111122223333:role/app", prefix: "" },
  eks: { label: "Cluster, namespace and service account", placeholder: "prod-cluster:payments/api-server", prefix: "eks:" },
  "eks-pod-identity": { label: "Cluster, namespace and service account", placeholder: "prod-cluster:payments/api-server", prefix: "eks-pod-identity:" },
  github: { label: "Repository and environment (or branch)", placeholder: "acme/payments:environment:production", prefix: "github:" },
  oidc: { label: "Issuer URL and the exact subject", placeholder: "https://gitlab.example.com::project_path:group/app:ref_type:branch:ref:main", prefix: "oidc:" },
};

/** The trust as the engine reads it: a service name, or a typed value with its prefix. */
export function trustValue(trust: string, typed: string): string {
  const text = TRUST_TEXT[trust];
  return text ? `${text.prefix}${typed.trim()}` : trust;
}

/** The screen's inputs; the user pane and the role pane are shown one at a time. */
interface AccountForm {
  user: HTMLInputElement;
  userField: Field;
  roleName: HTMLInputElement;
  trust: HTMLSelectElement;
  trustArn: HTMLInputElement;
  trustArnField: Field;
  policy: HTMLInputElement;
  policyField: Field;
  userPane: HTMLElement;
  rolePane: HTMLElement;
}

/** Whether the names passed their live checks: "Review plan" waits for both. */
interface Checks {
  userOk: boolean;
  policyOk: boolean;
}

function textInput(id: string, value: string, placeholder?: string): HTMLInputElement {
  return h("input", { id, type: "text", value, autocomplete: "off", spellcheck: "false", placeholder: placeholder ?? null });
}

function accountForm(wizard: Wizard): AccountForm {
  const user = textInput("user-name", wizard.userName);
  const userField = field(
    "IAM user name",
    user,
    "Your application signs in to AWS as this user. 1–64 letters, digits and + = , . @ _ -. It must not exist yet.",
  );
  const roleName = textInput("role-name", wizard.roleName);
  const roleField = field("IAM role name", roleName, "1–64 letters, digits and + = , . @ _ -. It must not exist yet.");
  const trust = h("select", { id: "trust" }, ...TRUSTS.map(([value, label]) => h("option", { value, selected: wizard.trust === value }, label)));
  const trustArn = textInput("trust-arn", wizard.trustArn, "arn:aws:iam::111122223333:role/app");
  const trustArnField = field("Principal ARN or account id", trustArn);
  const policy = textInput("policy-name", wizard.policyName);
  const policyField = field("Policy name (optional)", policy, "Leave empty to use csfle-kms-<name>.");
  const userPane = h("div", { id: "user-pane" }, userField.wrapper);
  const rolePane = h(
    "div",
    { id: "role-pane" },
    roleField.wrapper,
    field("Who runs your application", trust, "Only this principal may assume the role. It gets no access key: drivers fetch temporary credentials themselves.").wrapper,
    trustArnField.wrapper,
  );
  return { user, userField, roleName, trust, trustArn, trustArnField, policy, policyField, userPane, rolePane };
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
  if (wizard.principal === "user") {
    wizard.plan = await ctx.api.plan({
      key,
      user_name: wizard.userName,
      policy_name: wizard.policyName || null,
      // The app makes setups whose credential-process hands out session credentials only.
      allow_long_lived: false,
      max_session_seconds: null,
      key_profile: keyProfileFor(wizard),
    });
    wizard.job = { kind: "user" };
  } else {
    const trust = trustValue(wizard.trust, wizard.trustArn);
    wizard.rolePlan = await ctx.api.planRole({ key, role_name: wizard.roleName, trust, policy_name: wizard.policyName || null, key_profile: keyProfileFor(wizard) });
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
function watchUserName(ctx: Context, form: AccountForm, checks: Checks, showPrincipal: () => void, refresh: () => void): void {
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
    showPrincipal();
    setStatus(userField, "pending", "Checking…");
    checkUser(user.value);
  });
}

function watchRole(wizard: Wizard, form: AccountForm, showPrincipal: () => void, refresh: () => void): void {
  const { roleName, trust, trustArn } = form;
  roleName.addEventListener("input", () => {
    wizard.roleName = roleName.value;
    showPrincipal();
  });
  trust.addEventListener("change", () => {
    wizard.trust = trust.value;
    showPrincipal();
  });
  trustArn.addEventListener("input", () => {
    wizard.trustArn = trustArn.value;
    refresh();
  });
}

function watchPolicyName(ctx: Context, form: AccountForm, checks: Checks, refresh: () => void): void {
  const { policy, policyField } = form;
  policy.addEventListener("input", async () => {
    ctx.wizard.policyName = policy.value;
    const value = policy.value;
    const check = await ctx.api.checkPolicyName(value).catch(() => ({ ok: false, message: "Could not check the name" }));
    if (policy.value !== value) return;
    checks.policyOk = check.ok;
    setStatus(policyField, check.ok ? "none" : "bad", check.ok ? "" : (check.message ?? ""));
    refresh();
  });
}

/** Wires the inputs to the wizard and the Review button; returns the step that shows the chosen principal's pane. */
function wireAccountForm(ctx: Context, form: AccountForm, review: HTMLButtonElement): () => void {
  const { wizard } = ctx;
  const checks: Checks = { userOk: false, policyOk: true };
  const refresh = () => {
    const principalOk = wizard.principal === "user" ? checks.userOk : form.roleName.value.trim().length > 0 && (!(wizard.trust in TRUST_TEXT) || form.trustArn.value.trim().length > 0);
    disableWithReason(review, !principalOk ? (wizard.principal === "user" ? "Enter a user name that is free and valid first." : "Enter the role name and whom it trusts first.") : checks.policyOk ? null : "Enter a valid policy name first.");
  };
  const showPrincipal = () => {
    form.userPane.hidden = wizard.principal !== "user";
    form.rolePane.hidden = wizard.principal !== "role";
    const text = TRUST_TEXT[wizard.trust];
    form.trustArnField.wrapper.hidden = !text;
    if (text) {
      const label = form.trustArnField.wrapper.querySelector("label");
      if (label) label.textContent = text.label;
      form.trustArn.placeholder = text.placeholder;
    }
    const name = wizard.principal === "user" ? wizard.userName : wizard.roleName;
    form.policy.placeholder = `csfle-kms-${name}`;
    refresh();
  };
  watchUserName(ctx, form, checks, showPrincipal, refresh);
  watchRole(wizard, form, showPrincipal, refresh);
  watchPolicyName(ctx, form, checks, refresh);
  return showPrincipal;
}

function principalChoice(wizard: Wizard, showPrincipal: () => void, value: "user" | "role", label: string, help: string): HTMLElement {
  const radio = h("input", { type: "radio", name: "principal", id: `principal-${value}`, value, checked: wizard.principal === value });
  radio.addEventListener("change", () => {
    wizard.principal = value;
    showPrincipal();
  });
  return h("div", { class: "choice" }, radio, h("label", { for: radio.id }, h("strong", {}, label), h("span", { class: "choice-help" }, help)));
}

function principalChoices(wizard: Wizard, showPrincipal: () => void): HTMLElement {
  return h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, "Kind of account"),
    principalChoice(wizard, showPrincipal, "user", "IAM user with an access key", "For applications outside AWS. The access key goes straight into your keychain."),
    principalChoice(wizard, showPrincipal, "role", "IAM role (recommended in production on AWS)", "For applications on EC2, ECS or Lambda: no long-lived key to store or rotate."),
  );
}

export function accountScreen(ctx: Context): HTMLElement {
  // The error panel inside is an alert: no live region around it as well.
  const problem = h("div", { id: "account-problem" });
  const form = accountForm(ctx.wizard);
  const review = reviewButton(ctx, problem);
  const buttons = actions(button("Back", () => ctx.go("key")), review);
  const showPrincipal = wireAccountForm(ctx, form, review);
  form.user.dispatchEvent(new Event("input"));
  showPrincipal();
  return h(
    "section",
    { class: "screen-body", "data-screen": "account" },
    ...screenTitle(
      "Service account",
      "Who your application acts as. It may only encrypt and decrypt with the master key: it cannot manage the key, see other keys, or sign in to the console.",
    ),
    principalChoices(ctx.wizard, showPrincipal),
    form.userPane,
    form.rolePane,
    form.policyField.wrapper,
    buttons,
    problem,
  );
}
