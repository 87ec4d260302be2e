import { actions, button, errorPanel, field, reportOf, screenTitle, setStatus, whileBusy, type Context } from "../components";
import { debounce, h } from "../dom";

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
  const policy = h("input", { id: "policy-name", type: "text", value: wizard.policyName, autocomplete: "off", spellcheck: "false" });
  const policyField = field("Policy name (optional)", policy, "Leave empty to use csfle-kms-<user name>.");
  policy.placeholder = `csfle-kms-${wizard.userName}`;

  const review = button("Review plan", () => {
    problem.replaceChildren();
    void whileBusy(review, "Preparing the plan…", async () => {
      try {
        wizard.plan = await ctx.api.plan({
          key: wizard.keyMode === "new"
            ? { kind: "new", alias: wizard.alias, description: wizard.description }
            : { kind: "existing", key: wizard.existingKeyArn ?? "" },
          user_name: wizard.userName,
          policy_name: wizard.policyName || null,
        });
        ctx.go("review");
      } catch (error) {
        problem.append(errorPanel(reportOf(error)));
      }
    });
  }, "primary", "account-review");
  const refresh = () => (review.disabled = !(userOk && policyOk));

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
    policy.placeholder = `csfle-kms-${user.value}`;
    userOk = false;
    refresh();
    setStatus(userField, "pending", "Checking…");
    checkUser(user.value);
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
  user.dispatchEvent(new Event("input"));

  return h(
    "section",
    { class: "screen-body", "data-screen": "account" },
    ...screenTitle(
      "Service account",
      "A new IAM user for your application. It may only encrypt and decrypt with the master key: it cannot manage the key, see other keys, or sign in to the console.",
    ),
    userField.wrapper,
    policyField.wrapper,
    h(
      "aside",
      { class: "panel panel-note" },
      h("h2", {}, "In production"),
      h("p", {}, "MongoDB recommends an IAM role instead of a user when your application runs on AWS (EC2, ECS, Lambda): a role has no long-lived access key to store or rotate."),
    ),
    actions(button("Back", () => ctx.go("key")), review),
    problem,
  );
}
