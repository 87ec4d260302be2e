import { actions, button, errorPanel, field, reportOf, screenTitle, setStatus, whileBusy, type Context } from "../components";
import { debounce, h } from "../dom";

const TRUSTS: readonly [string, string][] = [
  ["ec2", "EC2 instances (an instance profile is made too)"],
  ["ecs-tasks", "ECS tasks (use it as the task role)"],
  ["lambda", "Lambda functions (use it as the execution role)"],
  ["arn", "Another principal (an ARN or account id)"],
];

export function accountScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const problem = h("div", { "aria-live": "polite" });
  let userOk = false;
  let policyOk = true;

  const user = h("input", { id: "user-name", type: "text", value: wizard.userName, autocomplete: "off", spellcheck: "false" });
  const userField = field(
    "IAM user name",
    user,
    "Your application signs in to AWS as this user. 1–64 letters, digits and + = , . @ _ -. It must not exist yet.",
  );
  const roleName = h("input", { id: "role-name", type: "text", value: wizard.roleName, autocomplete: "off", spellcheck: "false" });
  const roleField = field("IAM role name", roleName, "1–64 letters, digits and + = , . @ _ -. It must not exist yet.");
  const trust = h("select", { id: "trust" }, ...TRUSTS.map(([value, label]) => h("option", { value, selected: wizard.trust === value }, label)));
  const trustArn = h("input", { id: "trust-arn", type: "text", value: wizard.trustArn, autocomplete: "off", spellcheck: "false", placeholder: "arn:aws:iam::111122223333:role/app" });
  const trustArnField = field("Principal ARN or account id", trustArn);
  const policy = h("input", { id: "policy-name", type: "text", value: wizard.policyName, autocomplete: "off", spellcheck: "false" });
  const policyField = field("Policy name (optional)", policy, "Leave empty to use csfle-kms-<name>.");

  const userPane = h("div", { id: "user-pane" }, userField.wrapper);
  const rolePane = h(
    "div",
    { id: "role-pane" },
    roleField.wrapper,
    field("Who runs your application", trust, "Only this principal may assume the role. It gets no access key: drivers fetch temporary credentials themselves.").wrapper,
    trustArnField.wrapper,
  );

  const review = button("Review plan", () => {
    problem.replaceChildren();
    const key = wizard.keyMode === "new"
      ? { kind: "new" as const, alias: wizard.alias, description: wizard.description }
      : { kind: "existing" as const, key: wizard.existingKeyArn ?? "" };
    void whileBusy(review, "Preparing the plan…", async () => {
      try {
        if (wizard.principal === "user") {
          wizard.plan = await ctx.api.plan({ key, user_name: wizard.userName, policy_name: wizard.policyName || null });
          wizard.job = { kind: "user" };
        } else {
          const trustValue = wizard.trust === "arn" ? wizard.trustArn : wizard.trust;
          wizard.rolePlan = await ctx.api.planRole({ key, role_name: wizard.roleName, trust: trustValue, policy_name: wizard.policyName || null });
          wizard.job = { kind: "role" };
        }
        ctx.go("review");
      } catch (error) {
        const report = reportOf(error);
        problem.append(errorPanel(report));
        // The key's own policy shuts IAM out: offer the fix, but only as the admin's choice.
        if (report.code === "key-policy-blocks-iam" && key.kind === "existing") {
          const fix: HTMLButtonElement = button("Let IAM policies use this key", () => {
            void whileBusy(fix, "Changing the key policy…", async () => {
              try {
                problem.replaceChildren(h("p", { class: "panel panel-ok", id: "key-policy-fixed" }, await ctx.api.fixKeyPolicy(key.key)));
              } catch (fixError) {
                problem.replaceChildren(errorPanel(reportOf(fixError)));
              }
            });
          }, "secondary", "fix-key-policy");
          problem.append(h("p", {}, "This adds the statement shown above to the key's policy (kms:PutKeyPolicy). It lets IAM policies in this account grant access to the key, which is how KMS sets up keys by default."), actions(fix));
        }
      }
    });
  }, "primary", "account-review");
  const refresh = () => {
    const principalOk = wizard.principal === "user" ? userOk : roleName.value.trim().length > 0 && (wizard.trust !== "arn" || trustArn.value.trim().length > 0);
    review.disabled = !(principalOk && policyOk);
  };
  const showPrincipal = () => {
    userPane.hidden = wizard.principal !== "user";
    rolePane.hidden = wizard.principal !== "role";
    trustArnField.wrapper.hidden = wizard.trust !== "arn";
    const name = wizard.principal === "user" ? wizard.userName : wizard.roleName;
    policy.placeholder = `csfle-kms-${name}`;
    refresh();
  };

  const checkUser = debounce(async (value: string) => {
    try {
      const check = await ctx.api.checkUserName(value);
      if (user.value !== value) return;
      userOk = check.ok;
      setStatus(userField, check.ok ? "ok" : "bad", check.ok ? "✓ Available" : (check.message ?? "Not valid"));
    } catch (error) {
      userOk = false;
      setStatus(userField, "bad", reportOf(error).message);
    }
    refresh();
  }, 300);
  user.addEventListener("input", () => {
    wizard.userName = user.value;
    userOk = false;
    showPrincipal();
    setStatus(userField, "pending", "Checking…");
    checkUser(user.value);
  });
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
  policy.addEventListener("input", async () => {
    wizard.policyName = policy.value;
    const value = policy.value;
    const check = await ctx.api.checkPolicyName(value).catch(() => ({ ok: false, message: "Could not check the name" }));
    if (policy.value !== value) return;
    policyOk = check.ok;
    setStatus(policyField, check.ok ? "none" : "bad", check.ok ? "" : (check.message ?? ""));
    refresh();
  });

  const choice = (value: "user" | "role", label: string, help: string) => {
    const radio = h("input", { type: "radio", name: "principal", id: `principal-${value}`, value, checked: wizard.principal === value });
    radio.addEventListener("change", () => {
      wizard.principal = value;
      showPrincipal();
    });
    return h("div", { class: "choice" }, radio, h("label", { for: radio.id }, h("strong", {}, label), h("span", { class: "choice-help" }, help)));
  };
  user.dispatchEvent(new Event("input"));
  showPrincipal();

  return h(
    "section",
    { class: "screen-body", "data-screen": "account" },
    ...screenTitle(
      "Service account",
      "Who your application acts as. It may only encrypt and decrypt with the master key: it cannot manage the key, see other keys, or sign in to the console.",
    ),
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, "Kind of account"),
      choice("user", "IAM user with an access key", "For applications outside AWS. The access key goes straight into your keychain."),
      choice("role", "IAM role (recommended in production on AWS)", "For applications on EC2, ECS or Lambda: no long-lived key to store or rotate."),
    ),
    userPane,
    rolePane,
    policyField.wrapper,
    actions(button("Back", () => ctx.go("key")), review),
    problem,
  );
}
