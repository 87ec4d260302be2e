// "Copy to a secret store": a user setup's credentials written into the organisation's store,
// HashiCorp Vault / OpenBao (KV version 2) or AWS Secrets Manager, never shown. The plan (where
// the copy goes, which access key it holds, the resource policy) comes first and nothing is
// written until the admin says so. The Vault token is typed in a password field, sent with the
// one call that writes, and is in no reply; the field is emptied once the copy is written.

import type { CopyTarget, Pushed, SetupSummary, VaultLogin } from "../bindings";
import { announce, disableWithReason, focusOn } from "../a11y";
import { actions, button, errorPanel, field, reportOf, setStatus, whileBusy, type Context, type Field } from "../components";
import { h } from "../dom";
import { maskAccessKeyId } from "../state";
import { readerLines, readersProblem, secretNameProblem, vaultPathProblem, vaultUrlProblem } from "../store-inputs";
import type { Reload } from "./setup-actions";

type Store = CopyTarget["store"];

interface Inputs {
  store: () => Store;
  url: HTMLInputElement;
  path: HTMLInputElement;
  method: HTMLSelectElement;
  token: HTMLInputElement;
  roleId: HTMLInputElement;
  secretId: HTMLInputElement;
  name: HTMLInputElement;
  readers: HTMLTextAreaElement;
}

function input(id: string, type: "text" | "password" = "text"): HTMLInputElement {
  return h("input", { id, type, autocomplete: type === "password" ? "new-password" : "off", spellcheck: "false" });
}

/** What is wrong with the destination, in the order the fields are on screen; null: nothing. */
export function targetProblem(inputs: Inputs): string | null {
  if (inputs.store() === "vault") return vaultUrlProblem(inputs.url.value) ?? vaultPathProblem(inputs.path.value);
  return secretNameProblem(inputs.name.value) ?? readersProblem(inputs.readers.value);
}

function loginProblem(inputs: Inputs): string | null {
  if (inputs.store() !== "vault") return null;
  if (inputs.method.value === "token") return inputs.token.value.trim() ? null : "Paste the Vault token first.";
  if (!inputs.roleId.value.trim()) return "Type the AppRole's role id first.";
  return inputs.secretId.value.trim() ? null : "Paste the AppRole's secret id first.";
}

function target(inputs: Inputs): CopyTarget {
  return inputs.store() === "vault"
    ? { store: "vault", url: inputs.url.value.trim(), path: inputs.path.value.trim() }
    : { store: "secrets-manager", name: inputs.name.value.trim(), readers: readerLines(inputs.readers.value) };
}

function login(inputs: Inputs): VaultLogin | null {
  if (inputs.store() !== "vault") return null;
  return inputs.method.value === "token" ? { method: "token", token: inputs.token.value.trim() } : { method: "app-role", role_id: inputs.roleId.value.trim(), secret_id: inputs.secretId.value.trim() };
}

function storeChoice(name: string, value: Store, label: string, help: string, checked: boolean, onChange: () => void): HTMLElement {
  const radio = h("input", { type: "radio", name: `copy-store-${name}`, id: `copy-store-${value}-${name}`, value, checked });
  radio.addEventListener("change", onChange);
  return h("div", { class: "choice" }, radio, h("label", { for: radio.id }, h("strong", {}, label), h("span", { class: "choice-help" }, help)));
}

/** The plan, as the engine made it: where, which access key, what is done, the policy. */
function planPanel(plan: Pushed, name: string): HTMLElement {
  const where = plan.kind === "vault" ? "Vault" : "Secrets Manager";
  return h(
    "section",
    { class: "panel panel-note", id: `copy-plan-result-${name}`, tabindex: "-1", "aria-labelledby": `copy-plan-title-${name}` },
    h("h4", { id: `copy-plan-title-${name}` }, "The plan (nothing is written yet)"),
    h("dl", { class: "facts" }, h("dt", {}, "Copy goes to"), h("dd", { class: "mono", id: `copy-plan-location-${name}` }, `${where}: ${plan.location}`), h("dt", {}, "Access key it holds"), h("dd", { class: "mono", id: `copy-plan-key-${name}` }, maskAccessKeyId(plan.access_key_id))),
    h("ol", {}, ...plan.steps.map((step) => h("li", {}, step))),
    plan.resource_policy ? h("details", {}, h("summary", {}, "The resource policy, exactly as it is written"), h("pre", { class: "code" }, JSON.stringify(plan.resource_policy, null, 2))) : null,
    h("p", {}, "The secret access key goes from your keychain to the store over the store's API; this window never shows it."),
  );
}

function doneText(done: Pushed): string {
  const key = maskAccessKeyId(done.access_key_id);
  return done.kind === "vault"
    ? `✓ Copied to Vault: ${done.location} now holds ${key} (version ${done.vault_version ?? "?"}). Rotation keeps it current.`
    : `✓ Copied to Secrets Manager: ${done.location} now holds ${key}. Only the readers you named may read it. Rotation keeps it current.`;
}

interface Parts {
  inputs: Inputs;
  vault: HTMLElement;
  secrets: HTMLElement;
  token: HTMLElement;
  approle: HTMLElement;
  statuses: Map<HTMLElement, [Field, (value: string) => string | null]>;
}

function parts(name: string, onStore: () => void): { parts: Parts; choices: HTMLElement } {
  let store: Store = "vault";
  const pick = (value: Store) => () => {
    store = value;
    onStore();
  };
  const choices = h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, "Secret store"),
    storeChoice(name, "vault", "HashiCorp Vault or OpenBao", "A KV version 2 secret, written over Vault's HTTP API with check-and-set.", true, pick("vault")),
    storeChoice(name, "secrets-manager", "AWS Secrets Manager", "A secret in the connected account, encrypted with a KMS key made for it, readable only by the roles or users you name.", false, pick("secrets-manager")),
  );
  const inputs: Inputs = {
    store: () => store,
    url: input(`copy-vault-url-${name}`),
    path: input(`copy-vault-path-${name}`),
    method: h("select", { id: `copy-vault-method-${name}` }, h("option", { value: "token" }, "Token"), h("option", { value: "app-role" }, "AppRole (role id and secret id)")),
    token: input(`copy-vault-token-${name}`, "password"),
    roleId: input(`copy-vault-role-id-${name}`),
    secretId: input(`copy-vault-secret-id-${name}`, "password"),
    name: input(`copy-sm-name-${name}`),
    readers: h("textarea", { id: `copy-sm-readers-${name}`, rows: 3, spellcheck: "false", autocomplete: "off" }),
  };
  const url = field("Vault server address", inputs.url, "For example https://vault.example.com:8200 (plain http only for a server on this computer).");
  const path = field("KV path (MOUNT/PATH)", inputs.path, "The KV version 2 mount, then the secret's path, for example secret/apps/billing.");
  const secretName = field("Secret name", inputs.name, "For example apps/billing/mongodb-csfle. An existing secret is updated only if this app made it for this setup.");
  const readers = field("Who may read it (one role or user ARN per line)", inputs.readers, "The principal the application runs as, for example arn:aws:iam::123456789012:role/billing.");
  const statuses = new Map<HTMLElement, [Field, (value: string) => string | null]>([
    [inputs.url, [url, vaultUrlProblem]],
    [inputs.path, [path, vaultPathProblem]],
    [inputs.name, [secretName, secretNameProblem]],
    [inputs.readers, [readers, readersProblem]],
  ]);
  const token = h("div", {}, field("Vault token", inputs.token, "Used for this copy only: it is not stored, and never shown again.").wrapper);
  const approle = h("div", { hidden: true }, field("AppRole role id", inputs.roleId).wrapper, field("AppRole secret id", inputs.secretId, "Used for this copy only: it is not stored, and never shown again.").wrapper);
  const vault = h("div", { id: `copy-vault-${name}` }, url.wrapper, path.wrapper, field("Sign in with", inputs.method).wrapper, token, approle);
  const secrets = h("div", { id: `copy-sm-${name}`, hidden: true }, secretName.wrapper, readers.wrapper);
  return { parts: { inputs, vault, secrets, token, approle, statuses }, choices };
}

interface Controls {
  planButton: HTMLButtonElement;
  go: HTMLButtonElement;
  busy: () => boolean;
  /** Any field changed: a plan for another destination is taken away, the buttons say why they wait. */
  changed: () => void;
}

/** "Show the plan" and "Write the copy": the second waits for a plan of exactly what is in the fields. */
function controls(ctx: Context, name: string, inputs: Inputs, slots: { plan: HTMLElement; message: HTMLElement }, reload: Reload): Controls {
  let planned: string | null = null;
  const key = (): string => JSON.stringify(target(inputs));
  const fail = (error: unknown): void => {
    const panel = errorPanel(reportOf(error));
    panel.tabIndex = -1;
    slots.message.replaceChildren(panel);
    focusOn(panel);
  };
  const planButton: HTMLButtonElement = button("Show the plan", () => {
    void whileBusy(planButton, "Planning…", async () => {
      slots.message.replaceChildren();
      try {
        const asked = key();
        const plan = await ctx.api.planCopy(name, target(inputs));
        planned = asked;
        const shown = planPanel(plan, name);
        slots.plan.replaceChildren(shown);
        focusOn(shown);
        announce(`The plan: the copy goes to ${plan.location} and holds the access key ${maskAccessKeyId(plan.access_key_id)}. Nothing is written yet.`);
      } catch (error) {
        fail(error);
      }
    }).finally(refresh);
  }, "secondary", `copy-plan-${name}`);
  const go: HTMLButtonElement = button("Write the copy", () => {
    void whileBusy(go, "Writing…", async () => {
      slots.message.replaceChildren();
      try {
        const done = await ctx.api.copyToStore(name, target(inputs), login(inputs));
        inputs.token.value = "";
        inputs.secretId.value = "";
        reload({ name, text: doneText(done) });
      } catch (error) {
        fail(error);
      }
    }).finally(refresh);
  }, "primary", `copy-go-${name}`);
  const busy = (): boolean => planButton.getAttribute("aria-busy") === "true" || go.getAttribute("aria-busy") === "true";
  const refresh = (): void => {
    if (busy()) return;
    const problem = targetProblem(inputs);
    disableWithReason(planButton, problem);
    const stale = planned !== null && planned !== key();
    disableWithReason(go, problem ?? (planned === null ? "Show the plan first." : stale ? "The destination changed since the plan: show the plan again." : loginProblem(inputs)));
  };
  const changed = (): void => {
    if (planned !== null && planned !== key()) slots.plan.replaceChildren();
    refresh();
  };
  return { planButton, go, busy, changed };
}

function wire(built: Parts, changed: () => void): void {
  const { inputs } = built;
  for (const [control, [shown, problem]] of built.statuses) {
    control.addEventListener("input", () => {
      const value = (control as HTMLInputElement).value;
      const why = value.trim() ? problem(value) : null;
      setStatus(shown, why ? "bad" : "none", why ?? "");
      changed();
    });
  }
  inputs.method.addEventListener("change", () => {
    built.token.hidden = inputs.method.value !== "token";
    built.approle.hidden = inputs.method.value === "token";
    changed();
  });
  for (const control of [inputs.token, inputs.roleId, inputs.secretId]) control.addEventListener("input", changed);
}

/** Opens the panel in the card's `area`; the first field has focus; Cancel or Escape closes it. */
export function openCopyPanel(ctx: Context, setup: SetupSummary, area: HTMLElement, opener: HTMLElement, reload: Reload): void {
  const name = setup.name;
  const slots = { plan: h("div", {}), message: h("div", { id: `copy-message-${name}` }) };
  let buttons: Controls | null = null;
  const built = parts(name, () => {
    built.parts.vault.hidden = built.parts.inputs.store() !== "vault";
    built.parts.secrets.hidden = built.parts.inputs.store() === "vault";
    buttons?.changed();
  });
  const ready = controls(ctx, name, built.parts.inputs, slots, reload);
  buttons = ready;
  wire(built.parts, ready.changed);
  const close = (): void => {
    area.replaceChildren();
    focusOn(opener.isConnected ? opener : null);
  };
  const headingId = `copy-title-${name}`;
  const panel = h(
    "section",
    { class: "panel copy-panel", id: `copy-${name}`, role: "group", "aria-labelledby": headingId },
    h("h3", { id: headingId }, `Copy ${name}'s credentials to a secret store`),
    h("p", {}, "The application reads them from the store. This window never shows the secret; rotating the access key later writes the new key to the copy before the old key goes."),
    built.choices,
    built.parts.vault,
    built.parts.secrets,
    slots.plan,
    slots.message,
    actions(ready.planButton, ready.go, button("Cancel", close, "secondary", `copy-cancel-${name}`)),
  );
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || ready.busy()) return;
    event.preventDefault();
    event.stopPropagation();
    close();
  });
  area.replaceChildren(panel);
  ready.changed();
  focusOn(panel.querySelector<HTMLInputElement>("input[type=radio]:checked"));
}
