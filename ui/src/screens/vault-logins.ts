// Rotation with copies in Vault: the window has no VAULT_TOKEN, so the rotate confirmation and
// "Finish rotation" ask for a token per Vault server the setup has copies on (password fields,
// sent with the one call and emptied after it). Without a token, that copy keeps the old key and
// the old key stays active until the rotation is finished.

import type { RotateReport, SetupSummary, VaultSignIn } from "../bindings";
import { focusOn } from "../a11y";
import { button, errorPanel, field, reportOf, whileBusy, type Context } from "../components";
import { confirmationPanel, openConfirmation } from "../confirm";
import { h } from "../dom";
import { guardRun } from "../run-guard";
import type { Reload } from "./setup-actions";

/** The Vault servers the setup has copies on, each once. */
export function vaultServers(setup: SetupSummary): string[] {
  const urls = (setup.deliveries ?? []).filter((copy) => copy.kind === "vault" && copy.vault_url).map((copy) => copy.vault_url as string);
  return [...new Set(urls)];
}

export interface LoginFields {
  parts: HTMLElement[];
  /** The tokens typed, one per server that has one. */
  logins(): VaultSignIn[];
  /** Empties every token field (after the call: the window keeps none). */
  clear(): void;
}

/** What the tokens are for, in the words of the panel that asks for them. */
const PURPOSE = {
  rotate: { why: "so the copy gets the new key before the old key goes. Without one, the old key stays active until you finish the rotation.", use: "this rotation" },
  finish: { why: "so the copy gets the new key. Without one, the old key stays active.", use: "finishing this rotation" },
  teardown: { why: "so teardown can delete the copy. Without one, the copy stays in Vault (holding a key that no longer works) and you delete it there.", use: "this teardown" },
} as const;

/** A password field per Vault server; none when the setup has no Vault copy. */
export function loginFields(setup: SetupSummary, purpose: keyof typeof PURPOSE): LoginFields {
  const idPrefix = `${purpose}-token`;
  const words = PURPOSE[purpose];
  const servers = vaultServers(setup);
  const inputs = servers.map((url, i) => h("input", { id: `${idPrefix}-${setup.name}-${i}`, type: "password", autocomplete: "new-password", spellcheck: "false", "data-vault-url": url }));
  const parts = servers.length
    ? [
        h("p", {}, `${setup.name} has ${servers.length === 1 ? "a copy" : "copies"} in Vault. Paste a token that may write ${servers.length === 1 ? "it" : "them"}, ${words.why}`),
        ...inputs.map((input, i) => field(`Vault token for ${servers[i]}`, input, `Used for ${words.use} only: it is not stored, and never shown again.`).wrapper),
      ]
    : [];
  return {
    parts,
    logins: () => inputs.filter((input) => input.value.trim()).map((input) => ({ url: input.dataset.vaultUrl ?? "", login: { method: "token", token: input.value.trim() } })),
    clear: () => inputs.forEach((input) => (input.value = "")),
  };
}

/** The setup's sealed files that wait for their computer to import the new key. */
function sealedWaiting(setup: SetupSummary): number {
  return (setup.deliveries ?? []).filter((copy) => copy.kind === "sealed" && !copy.confirmed).length;
}

function finished(report: RotateReport): string {
  return report.old_key_kept ? `⚠ ${report.message}` : `✓ ${report.message}`;
}

/** "Finish rotation": what `rotate --finish` does, asked first with Cancel and Escape. */
export function openFinishRotation(ctx: Context, setup: SetupSummary, area: HTMLElement, opener: HTMLElement, reload: Reload): void {
  const name = setup.name;
  const tokens = loginFields(setup, "finish");
  const imported = h("input", { type: "checkbox", id: `finish-imported-${name}` });
  const waiting = sealedWaiting(setup);
  const go: HTMLButtonElement = button("Finish rotation", () => {
    void whileBusy(go, "Finishing…", () =>
      guardRun(async () => {
        const logins = tokens.logins();
        tokens.clear();
        try {
          const report = await ctx.api.finishRotation(name, waiting > 0 && imported.checked, logins);
          reload({ name, text: finished(report) });
        } catch (error) {
          const shown = errorPanel(reportOf(error));
          shown.tabIndex = -1;
          area.replaceChildren(shown);
          focusOn(shown);
        }
      }),
    );
  }, "primary", `finish-go-${name}`);
  const panel = confirmationPanel({
    id: `finish-rotation-${name}`,
    title: `Finish the rotation of ${name}?`,
    body: [
      h("p", {}, "The copies still behind get the new access key (the one in your keychain). Once every copy holds it, the old key is deactivated and deleted in AWS."),
      ...tokens.parts,
      ...(waiting
        ? [h("label", { class: "check" }, imported, ` Each new sealed file (${waiting}) was imported on its computer`), h("p", { class: "field-help" }, "Leave this unticked until the other computer has run csfle-provisioner-cli import: the old key keeps working there until then.")]
        : []),
    ],
    confirm: go,
    close: () => area.replaceChildren(),
    opener,
    cancelId: `finish-cancel-${name}`,
  });
  area.replaceChildren(panel);
  openConfirmation(panel, `finish-cancel-${name}`, tokens.parts.length ? `finish-token-${name}-0` : undefined);
}
