import { actions, button, errorPanel, reportOf, screenTitle, whileBusy, type Context } from "../components";
import { h } from "../dom";
import { profileSetup, snippets } from "../snippets";
import { maskAccessKeyId } from "../state";

async function copy(text: string, control: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Older WebKit: copy through a hidden text area.
    const area = h("textarea", { class: "offscreen", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  const label = control.textContent;
  control.textContent = "Copied";
  setTimeout(() => (control.textContent = label), 1500);
}

function copyButton(text: string, label: string): HTMLButtonElement {
  const control: HTMLButtonElement = button(label, () => void copy(text, control));
  return control;
}

export function doneScreen(ctx: Context): HTMLElement {
  const outcome = ctx.wizard.outcome;
  if (!outcome) {
    return h("section", { class: "screen-body" }, ...screenTitle("Done", "No setup has finished yet."), actions(button("Start", () => ctx.go("connect"))));
  }
  const masterKey = JSON.stringify({ region: outcome.region, key: outcome.key_arn }, null, 2);
  const verifyResult = h("div", { "aria-live": "polite", id: "verify-result" });
  const verify: HTMLButtonElement = button("Verify again", () => {
    verifyResult.replaceChildren();
    void whileBusy(verify, "Verifying…", async () => {
      try {
        const report = await ctx.api.verifyAgain();
        verifyResult.append(h("p", { class: "panel panel-ok" }, `✓ ${report.message}`));
      } catch (error) {
        verifyResult.append(errorPanel(reportOf(error)));
      }
    });
  }, "secondary", "done-verify");

  const drivers = snippets(outcome);
  const select = h("select", { id: "driver" }, ...drivers.map((s, i) => h("option", { value: String(i) }, s.driver)));
  const code = h("pre", { class: "code", id: "driver-snippet", tabindex: "0", "aria-label": "Driver configuration" });
  const copySnippet: HTMLButtonElement = button("Copy driver code", () => void copy(code.textContent ?? "", copySnippet));
  const show = () => (code.textContent = drivers[Number(select.value)]?.code ?? "");
  select.addEventListener("change", show);
  show();

  return h(
    "section",
    { class: "screen-body", "data-screen": "done" },
    ...screenTitle("Done: credentials stored and proven", "The new credentials encrypted and decrypted a test value with the master key. The secret access key is only in your keychain."),
    h(
      "dl",
      { class: "facts", id: "outcome" },
      h("dt", {}, "Key ARN"),
      h("dd", { class: "mono", id: "outcome-key-arn" }, outcome.key_arn),
      h("dt", {}, "Key alias"),
      h("dd", { class: "mono" }, outcome.key_alias ?? "(none)"),
      h("dt", {}, "Region"),
      h("dd", {}, outcome.region),
      h("dt", {}, "IAM user"),
      h("dd", { class: "mono", id: "outcome-user-arn" }, outcome.user_arn),
      h("dt", {}, "Access key ID"),
      h("dd", { class: "mono", id: "outcome-access-key" }, maskAccessKeyId(outcome.access_key_id)),
      h("dt", {}, "Keychain item"),
      h("dd", { id: "outcome-keychain" }, `${outcome.keychain.store}: ${outcome.keychain.service} / ${outcome.keychain.account}`),
    ),
    actions(verify, copyButton(masterKey, "Copy masterKey")),
    verifyResult,
    h("h2", {}, "Configure your MongoDB driver"),
    h("p", {}, "The driver needs the master key and fetches credentials on demand. Point an AWS profile at the keychain once (no plaintext file), then set AWS_PROFILE for the application:"),
    h("pre", { class: "code", id: "profile-setup", tabindex: "0" }, profileSetup(outcome)),
    actions(copyButton(profileSetup(outcome), "Copy profile setup")),
    h("div", { class: "field" }, h("label", { for: "driver" }, "Driver"), select),
    code,
    actions(copySnippet, button("Set up another", () => ctx.go("connect"), "primary", "done-again")),
  );
}
