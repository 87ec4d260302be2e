import { announce } from "../a11y";
import type { Outcome, RoleOutcome } from "../bindings";
import { actions, button, copy, copyButton, errorPanel, field, reportOf, screenTitle, whileBusy, type Context } from "../components";
import { h } from "../dom";
import { FROM_ROLE, profileName, profileSetup, snippets } from "../snippets";
import { maskAccessKeyId } from "../state";
import { arnValue, copyable, outcomeSummary, roleSummary, summaryButton } from "../handoff";

/** Each fact with its value; a value given as an element (an ARN with Copy) is shown as it is. */
function facts(rows: [string, string | HTMLElement, string?][]): HTMLElement {
  return h(
    "dl",
    { class: "facts", id: "outcome" },
    ...rows.flatMap(([label, value, id]) => [h("dt", {}, label), typeof value === "string" ? h("dd", { class: "mono", id: id ?? null }, value) : h("dd", {}, value)]),
  );
}

function driverSection(master: { region: string; key_arn: string }, source?: string, user?: string): HTMLElement[] {
  const drivers = snippets(master, source, user);
  const select = h("select", { id: "driver" }, ...drivers.map((s, i) => h("option", { value: String(i) }, s.driver)));
  const code = h("pre", { class: "code", id: "driver-snippet", tabindex: "0", "aria-label": "Driver configuration" });
  const copySnippet: HTMLButtonElement = button("Copy driver code", () => void copy(code.textContent ?? "", copySnippet));
  const show = () => (code.textContent = drivers[Number(select.value)]?.code ?? "");
  select.addEventListener("change", show);
  show();
  return [h("div", { class: "field" }, h("label", { for: "driver" }, "Driver"), select), code, actions(copySnippet)];
}

function userDone(ctx: Context, outcome: Outcome): HTMLElement[] {
  const masterKey = JSON.stringify({ region: outcome.region, key: outcome.key_arn }, null, 2);
  const verifyResult = h("div", { id: "verify-result" });
  const verify: HTMLButtonElement = button("Verify again", () => {
    verifyResult.replaceChildren();
    void whileBusy(verify, "Verifying…", async () => {
      try {
        const report = await ctx.api.verifyAgain();
        verifyResult.append(h("p", { class: "panel panel-ok" }, `✓ ${report.message}`));
        announce(report.message);
      } catch (error) {
        verifyResult.append(errorPanel(reportOf(error)));
      }
    });
  }, "secondary", "done-verify");

  const profile = h("input", { id: "profile-name", type: "text", value: profileName(outcome), autocomplete: "off", spellcheck: "false" });
  const profileResult = h("div", { id: "profile-result" });
  const addProfile: HTMLButtonElement = button("Add AWS profile", () => {
    profileResult.replaceChildren();
    void whileBusy(addProfile, "Adding…", async () => {
      try {
        const written = await ctx.api.addAwsProfile(outcome.user_name, profile.value.trim());
        announce(`Profile ${written.profile} added.`);
        profileResult.append(
          h(
            "p",
            { class: "panel panel-ok" },
            `✓ Profile ${written.profile} added to ${written.config_file}${written.backup ? ` (previous file kept as ${written.backup})` : ""}. Set AWS_PROFILE=${written.profile} for your application.`,
          ),
        );
      } catch (error) {
        profileResult.append(errorPanel(reportOf(error)));
      }
    });
  }, "secondary", "done-add-profile");

  return [
    ...screenTitle("Done: credentials stored and proven", "The new credentials encrypted and decrypted a test value with the master key. The secret access key is only in your keychain."),
    facts([
      ["Key ARN", arnValue(ctx.api, outcome.key_arn, "Key ARN", "outcome-key-arn")],
      ["Key alias", outcome.key_alias ?? "(none)"],
      ["Region", outcome.region],
      ["IAM user", arnValue(ctx.api, outcome.user_arn, "IAM user ARN", "outcome-user-arn")],
      ["Access key ID", copyable(outcome.access_key_id, "access key id", "outcome-access-key", maskAccessKeyId(outcome.access_key_id))],
      ["Keychain item", `${outcome.keychain.store}: ${outcome.keychain.service} / ${outcome.keychain.account}`, "outcome-keychain"],
    ]),
    ...outcome.warnings.map((warning) => h("p", { class: "panel panel-note" }, warning)),
    actions(verify, copyButton(masterKey, "Copy masterKey"), summaryButton(outcomeSummary(outcome), "done-copy-summary")),
    verifyResult,
    h("h2", {}, "Give your application the credentials"),
    h("p", {}, "Drivers fetch credentials on demand from the AWS default chain. An AWS profile can read them from the keychain (no plaintext file); set AWS_PROFILE for the application. It gets one-hour session credentials made with the stored key, never the key itself, and its AWS SDK renews them on its own:"),
    field("Profile name", profile).wrapper,
    actions(addProfile),
    profileResult,
    h("p", {}, "Or from a terminal:"),
    h("pre", { class: "code", id: "profile-setup", tabindex: "0" }, profileSetup(outcome)),
    ...deliveryOptions(),
    h("h2", {}, "Configure your MongoDB driver"),
    ...driverSection(outcome, undefined, outcome.user_name),
  ];
}

/** An application outside AWS runs elsewhere than this computer, often: every way there, none showing the secret. */
function deliveryOptions(): HTMLElement[] {
  return [
    h("h3", {}, "When the application runs on another computer"),
    h(
      "ul",
      { id: "delivery-options" },
      h("li", {}, h("strong", {}, "Send it sealed: "), "on Setups, “Send to another computer…” on this setup's card seals the credentials in a file only that computer can open; it imports them into its own keychain, then uses an AWS profile as above."),
      h("li", {}, h("strong", {}, "Vault or OpenBao, or AWS Secrets Manager: "), "the command-line tool copies them there (csfle-provisioner-cli deliver), and rotation keeps the copy current."),
      h("li", {}, h("strong", {}, "Drivers that read no AWS profile "), "(Go, C, PHP): start the application with csfle-provisioner-cli exec, which gives only that process session credentials."),
    ),
  ];
}

/** What hands the application its credentials on a role setup (the CLI says the same). */
function credentialSource(outcome: RoleOutcome): string {
  const role = outcome.role_arn;
  if (outcome.instance_profile_arn) return `Attach the instance profile ${outcome.instance_profile_arn} to the EC2 instances that run your application. The instance profile gives it its credentials: the instance metadata service hands the AWS SDK temporary credentials for ${role} and renews them before they expire.`;
  if (outcome.trust.kind === "principal") return `${outcome.trust.arn} calls sts:AssumeRole on ${role} and gives the application the temporary credentials (for example an AWS profile with role_arn and source_profile).`;
  if (outcome.trust.kind === "podIdentity") return `EKS Pod Identity gives pods of the service account ${outcome.trust.namespace}/${outcome.trust.service_account} in ${outcome.trust.cluster} temporary credentials for ${role} through the container credentials endpoint. The Go, C and PHP drivers cannot read that endpoint yet: give them an IRSA role (an EKS service account with IAM roles for service accounts) instead.`;
  if (outcome.trust.kind === "webIdentity") return `${outcome.trust.source} gives the workload an OIDC token from ${outcome.trust.issuer} for ${outcome.trust.subject}. With AWS_ROLE_ARN=${role} and AWS_WEB_IDENTITY_TOKEN_FILE pointing at the token, the AWS SDK (and the drivers that read these two variables) trade it for temporary credentials with sts:AssumeRoleWithWebIdentity.`;
  const service = outcome.trust.service;
  if (service.startsWith("ecs-tasks")) return `Set ${role} as the task role (taskRoleArn) of your ECS task definition. The task role gives the application its credentials: the ECS agent hands the AWS SDK temporary credentials through the container credentials endpoint and renews them.`;
  if (service.startsWith("lambda")) return `Make ${role} your Lambda function's execution role. Lambda gives every execution environment temporary credentials for it in the environment variables the AWS SDK reads.`;
  return `${service} hands the application temporary credentials for ${role}.`;
}

function roleDone(ctx: Context, outcome: RoleOutcome): HTMLElement[] {
  const where = credentialSource(outcome);
  return [
    ...screenTitle("Done: the role is ready", "The role has exactly kms:Encrypt and kms:Decrypt on the master key, and no access key to store or rotate."),
    facts([
      ["Key ARN", arnValue(ctx.api, outcome.key_arn, "Key ARN", "outcome-key-arn")],
      ["Key alias", outcome.key_alias ?? "(none)"],
      ["Region", outcome.region],
      ["IAM role", arnValue(ctx.api, outcome.role_arn, "IAM role ARN", "outcome-role-arn")],
      ["Instance profile", outcome.instance_profile_arn ? copyable(outcome.instance_profile_arn, "Instance profile ARN") : "(none)"],
    ]),
    actions(summaryButton(roleSummary(outcome), "done-copy-summary")),
    h("p", { class: outcome.verified ? "panel panel-ok" : "panel panel-note", id: "role-verification" }, `${outcome.verified ? "✓ " : ""}${outcome.verification}`),
    ...outcome.warnings.map((warning) => h("p", { class: "panel panel-note" }, warning)),
    h("h2", {}, "Give your application the role"),
    h("p", {}, where),
    ...(outcome.workload_snippet
      ? [h("p", {}, "In the workflow:"), h("pre", { class: "code", id: "workload-snippet", tabindex: "0" }, outcome.workload_snippet)]
      : []),
    h("h2", {}, "Configure your MongoDB driver"),
    ...driverSection(outcome, FROM_ROLE),
  ];
}

export function doneScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const body = wizard.outcome ? userDone(ctx, wizard.outcome) : wizard.roleOutcome ? roleDone(ctx, wizard.roleOutcome) : null;
  const warnings = wizard.outcome?.warnings ?? wizard.roleOutcome?.warnings ?? [];
  if (warnings.length) announce(`Done, with ${warnings.length === 1 ? "a warning" : `${warnings.length} warnings`}: ${warnings.join(" ")}`);
  if (!body) {
    return h("section", { class: "screen-body" }, ...screenTitle("Done", "No setup has finished yet."), actions(button("Start", () => ctx.go("connect"))));
  }
  return h(
    "section",
    { class: "screen-body", "data-screen": "done" },
    ...body,
    actions(button("See all setups", () => ctx.go("setups"), "secondary", "done-setups"), button("Set up another", () => ctx.go("connect"), "primary", "done-again")),
  );
}
