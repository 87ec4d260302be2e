import { announce, disableWithReason, enterSubmits } from "../a11y";
import { actions, button, errorPanel, field, reportOf, screenTitle, whileBusy, type Context } from "../components";
import { h } from "../dom";
import type { Wizard } from "../state";
import { adminPolicyDetails } from "./permissions";

const DEFAULT_CHAIN = "";

function profileSelect(wizard: Wizard): HTMLSelectElement {
  return h(
    "select",
    { id: "profile" },
    h("option", { value: DEFAULT_CHAIN }, "Default credentials (environment or default profile)"),
    ...wizard.info.profiles.map((p) =>
      h("option", { value: p.name, selected: p.name === wizard.profile }, p.region ? `${p.name} (${p.region})` : p.name),
    ),
  );
}

function regionSelect(wizard: Wizard): HTMLSelectElement {
  return h(
    "select",
    { id: "region" },
    h("option", { value: "" }, "Choose a region…"),
    ...wizard.info.regions.map((r) => h("option", { value: r, selected: r === wizard.region }, r)),
  );
}

/** Who the app is connected as, or nothing while not connected. */
function showIdentity(wizard: Wizard, result: HTMLElement): void {
  const who = wizard.identity;
  result.replaceChildren();
  if (!who) return;
  result.append(
    h(
      "section",
      { class: "panel panel-ok", id: "identity" },
      h("h2", {}, "Connected"),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Acting as"),
        h("dd", { class: "mono" }, who.arn),
        h("dt", {}, "Account"),
        h("dd", { class: "mono", id: "account-id" }, who.account_id),
        ...(who.account_alias ? [h("dt", {}, "Account alias"), h("dd", { class: "mono", id: "account-alias" }, who.account_alias)] : []),
        h("dt", {}, "Region"),
        h("dd", {}, who.region),
      ),
      h("p", {}, "Nothing has been changed. Continue to name your application and say where it runs."),
    ),
  );
}

/** Says so when an earlier setup did not finish, so the admin resumes or cleans it up first. */
async function noteInterruptedRuns(ctx: Context, result: HTMLElement): Promise<string> {
  const interrupted = await ctx.api.interruptedRuns().catch(() => []);
  if (interrupted.length === 0) return "";  result.append(
    h(
      "section",
      { class: "panel panel-note", id: "interrupted-notice" },
      h("h2", {}, "An earlier setup was interrupted"),
      h("p", {}, `The setup of ${interrupted.map((r) => r.user_name).join(", ")} did not finish. Open "Manage existing setups" to resume it or clean it up.`),
    ),
  );
  return " An earlier setup was interrupted: open Manage existing setups to resume it or clean it up.";
}

interface ConnectControls {
  profile: HTMLSelectElement;
  region: HTMLSelectElement;
  result: HTMLElement;
  next: HTMLButtonElement;
  manage: HTMLButtonElement;
}

const NOT_CHECKED = "Check the connection first.";
const CHANGED = "The profile or region changed: check the connection again.";

/** Continue and Manage act on the checked identity only: disabled, with the reason, without one. */
function allowNext(controls: ConnectControls, reason: string | null): void {
  disableWithReason(controls.next, reason);
  disableWithReason(controls.manage, reason);
}

/** A changed profile or region makes the checked identity stale: forget it until checked again. */
function forgetConnection(ctx: Context, controls: ConnectControls): void {
  if (ctx.wizard.identity === null) return;
  ctx.setIdentity(null);
  controls.result.replaceChildren();
  allowNext(controls, CHANGED);
  announce("Connection cleared. Check the connection for the new profile or region.");
}

function checkButton(ctx: Context, controls: ConnectControls): HTMLButtonElement {
  const { wizard } = ctx;
  const { profile, region, result, next } = controls;
  const check: HTMLButtonElement = button(
    "Check connection",
    () => {
      wizard.profile = profile.value || null;
      wizard.region = region.value || null;
      ctx.setIdentity(null);
      allowNext(controls, NOT_CHECKED);
      result.replaceChildren();
      void whileBusy(check, "Checking…", async () => {
        try {
          const asked = { profile: wizard.profile, region: wizard.region };
          const who = await ctx.api.connect(asked);
          // Changed while the check ran: this identity is not the one the screen now shows.
          if ((profile.value || null) !== asked.profile || (region.value || null) !== asked.region) {
            allowNext(controls, CHANGED);
            announce(CHANGED);
            return;
          }
          ctx.setIdentity(who);
          showIdentity(wizard, result);
          allowNext(controls, null);
          next.focus();
          const note = await noteInterruptedRuns(ctx, result);
          if (wizard.identity === who) announce(`Connected as ${who.arn} in account ${who.account_id}, region ${who.region}.${note}`);
        } catch (error) {
          result.append(errorPanel(reportOf(error)));
          announce("The connection check failed.");
        }
      });
    },
    "primary",
    "connect-check",
  );
  return check;
}

export function connectScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const profile = profileSelect(wizard);
  const region = regionSelect(wizard);
  const result = h("div", { class: "result" });
  const next = button("Continue", () => ctx.go("app"), "primary", "connect-continue");
  const manage = button("Manage existing setups", () => ctx.go("setups"), "secondary", "connect-setups");
  const controls: ConnectControls = { profile, region, result, next, manage };
  profile.addEventListener("change", () => {
    const chosen = wizard.info.profiles.find((p) => p.name === profile.value);
    if (chosen?.region) region.value = chosen.region;
    forgetConnection(ctx, controls);
  });
  region.addEventListener("change", () => forgetConnection(ctx, controls));
  const check = checkButton(ctx, controls);
  const buttons = actions(check, next, manage);
  allowNext(controls, wizard.identity === null ? NOT_CHECKED : null);
  showIdentity(wizard, result);
  const body = h(
    "section",
    { class: "screen-body", "data-screen": "connect" },
    ...screenTitle(
      "Connect to AWS",
      "Choose the AWS identity that will create the key and the service account, and the region for the key. You need permission to create KMS keys and IAM users. Nothing changes until you confirm the plan.",
    ),
    field("AWS profile", profile, "Profiles come from your AWS configuration files. SSO profiles need a current sign-in.").wrapper,
    field("Region", region, "The region where the KMS key lives. Your MongoDB application will use the key in this region.").wrapper,
    buttons,
    result,
    adminPolicyDetails(ctx),
  );
  // Enter checks the connection until it is checked, then continues.
  enterSubmits(body, () => (next.disabled ? check : next));
  return body;
}
