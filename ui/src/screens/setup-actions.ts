// The destructive actions of a setup card, each asked first with Cancel and Escape: tear down
// (typed name, the master key as its own question) and rotate (what happens to running applications).

import type { SetupSummary, TeardownPreview, TeardownReport, VaultSignIn } from "../bindings";
import { announce, disableWithReason, focusOn } from "../a11y";
import { button, errorPanel, field, reportOf, whileBusy, type Context } from "../components";
import { confirmationPanel, openConfirmation } from "../confirm";
import { h } from "../dom";
import { guardRun } from "../run-guard";
import { timeElement } from "../time";
import { loginFields } from "./vault-logins";
import { teardownKeyAccount } from "./teardown-key-account";

/** Reloads the list; `note` is shown on that setup's fresh card, so the result stays visible. */
export type Reload = (note?: { name: string; text: string }) => void;

/** Shows an error in `area` and moves focus there, so it is read and nothing falls to the page body. */
export function showError(area: HTMLElement, error: unknown): void {
  const panel = errorPanel(reportOf(error));
  panel.tabIndex = -1;
  area.replaceChildren(panel);
  focusOn(panel);
}

/** What rotating does to the applications that use the setup now, in the setup's own terms. */
export function rotateConsequences(setup: SetupSummary): string[] {
  const terms = setup.credential_terms;
  const minutes = terms ? Math.round(terms.max_session_seconds / 60) : null;
  const lines = [
    "A new access key is made and stored in your keychain, then the old key is deleted in AWS.",
    `Applications that get session credentials through credential-process keep working: the session credentials they hold stay valid until they expire (at most ${minutes === null ? "the setup's session duration" : `${minutes} minutes, this setup's session duration`}), then their AWS SDK gets new ones through credential-process, made with the new key. Nothing to restart.`,
  ];
  if (!terms || terms.allow_long_lived) {
    lines.push(
      `${terms ? "This setup allows the long-lived key" : "If this setup allows the long-lived key"}: an application that holds the old access key itself fails as soon as the old key is deleted. Restart it after rotating so it reads the new key.`,
    );
  }
  return lines;
}

/** Asks before rotating; `run` rotates with the Vault tokens typed (one per server the setup has
 * copies on; the fields are emptied as the call goes), showing its progress on the confirm button. */
export function rotateConfirmation(setup: SetupSummary, area: HTMLElement, opener: HTMLElement, run: (control: HTMLButtonElement, logins: VaultSignIn[]) => void): void {
  const name = setup.name;
  const tokens = loginFields(setup, "rotate");
  const go: HTMLButtonElement = button("Rotate the access key", () => {
    const logins = tokens.logins();
    tokens.clear();
    run(go, logins);
  }, "primary", `rotate-go-${name}`);
  const panel = confirmationPanel({
    id: `rotate-confirm-${name}`,
    title: `Rotate the access key of ${name}?`,
    body: [...rotateConsequences(setup).map((line) => h("p", {}, line)), ...tokens.parts],
    confirm: go,
    close: () => area.replaceChildren(),
    opener,
    cancelId: `rotate-cancel-${name}`,
  });
  area.replaceChildren(panel);
  openConfirmation(panel, `rotate-cancel-${name}`, tokens.parts.length ? `rotate-token-${name}-0` : undefined);
}

function teardownResult(report: TeardownReport, reload: Reload): HTMLElement {
  const date = report.key_deletion_date;
  return h(
    "section",
    { class: report.failed.length ? "panel panel-error" : "panel panel-ok", id: "teardown-result", tabindex: "-1" },
    h("h3", {}, report.failed.length ? "Torn down, with problems" : "Torn down"),
    h("ul", {}, ...report.removed.map((line) => h("li", {}, `Removed ${line}`)), ...report.kept.map((line) => h("li", {}, `Kept ${line}`)), ...report.failed.map((line) => h("li", {}, `Could not remove ${line}`))),
    date
      ? h("p", { id: "key-deletion-date" }, "KMS deletes the key on ", timeElement(date), ". Until then you can cancel the deletion in the AWS console (KMS → Customer managed keys → Cancel key deletion).")
      : null,
    button("Reload setups", () => reload(), "secondary", "teardown-reload"),
  );
}

interface KeyQuestion {
  deleteKey: HTMLInputElement;
  days: HTMLSelectElement;
  parts: HTMLElement[];
}

/** The master key as a separate question: kept unless the admin asks, with the consequence in plain words. */
function keyQuestion(name: string, preview: TeardownPreview, go: HTMLButtonElement): KeyQuestion {
  const deleteKey = h("input", { id: `delete-key-${name}`, type: "checkbox" });
  const days = h("select", { id: `days-${name}` }, ...[7, 14, 30].map((d) => h("option", { value: String(d), selected: d === 30 }, `${d} days`)));
  const keyWarning = h(
    "div",
    { class: "panel panel-error", id: `delete-key-warning-${name}`, hidden: true },
    h("p", {}, h("strong", {}, "Data encrypted with this key can never be read again once AWS deletes it."), " Every application that stored encrypted fields with it loses them. Keep the key unless you are sure nothing needs that data."),
    field("Waiting period before AWS deletes the key (you can cancel until then)", days).wrapper,
  );
  deleteKey.addEventListener("change", () => {
    keyWarning.hidden = !deleteKey.checked;
    go.textContent = deleteKey.checked ? "Tear down and delete the key" : "Tear down";
  });
  const verdict = preview.key;
  const parts: HTMLElement[] = preview.key_arn
    ? [
        h("h4", {}, "The master key"),
        h("p", {}, `${preview.key_arn}${preview.key_aliases.length ? ` (${preview.key_aliases.join(", ")})` : ""} is kept unless you choose otherwise, so data encrypted with it stays readable.`),
        ...(verdict?.deletable
          ? [h("label", { class: "check" }, deleteKey, " Also schedule this key for deletion"), keyWarning]
          : [h("p", { class: "panel panel-note", id: `key-kept-${name}` }, verdict?.reason ?? "The key is kept.")]),
      ]
    : [];
  return { deleteKey, days, parts };
}

/** The confirmation: what goes, what someone else added (and what happens to it), and the master key. */
function teardownForm(ctx: Context, setup: SetupSummary, preview: TeardownPreview, area: HTMLElement, reload: Reload, opener: HTMLElement | null): HTMLElement {
  const name = setup.name;
  const keyAccount = teardownKeyAccount(ctx, name, preview, (profile) => openTeardown(ctx, setup, area, reload, opener, profile));
  const confirmation = h("input", { id: `confirm-${name}`, type: "text", autocomplete: "off", spellcheck: "false" });
  // Teardown removes the copies in Vault too: it needs a token for each server, typed here.
  const tokens = loginFields(setup, "teardown");
  const go: HTMLButtonElement = button("Tear down", () => {
    void whileBusy(go, "Tearing down…", () =>
      guardRun(async () => {
        const logins = tokens.logins();
        tokens.clear();
        try {
          const report = await ctx.api.teardown(name, setup.kind === "role", key.deleteKey.checked ? Number(key.days.value) : null, key.deleteKey.checked ? (preview.key?.key_arn ?? null) : null, confirmation.value, keyAccount.profile, logins);
          const shown = teardownResult(report, reload);
          area.replaceChildren(shown);
          focusOn(shown);
          announce(report.failed.length ? `${name} torn down, with problems.` : `${name} torn down.`);
        } catch (error) {
          showError(area, error);
        }
      }),
    );
  }, "danger", `teardown-go-${name}`);
  const key = keyQuestion(name, preview, go);
  const typeFirst = `Type ${name} above to confirm.`;
  const waitsOn = () => keyAccount.problem ?? (confirmation.value.trim() === name ? null : typeFirst);
  confirmation.addEventListener("input", () => disableWithReason(go, waitsOn()));
  const panel = confirmationPanel({
    id: `teardown-${name}`,
    title: `Tear down ${name}?`,
    body: [
      h(
        "p",
        {},
        setup.kind === "role"
          ? "This deletes the role's policy, its instance profile and the role: applications using the role lose access."
          : "This deletes the access keys (applications using them stop working), the keychain item, the policy and the user.",
      ),
      ...(preview.outside_changes.length
        ? [
            h("p", {}, "Someone changed this principal outside the app. AWS only deletes it once these are gone, so teardown will also:"),
            h("ul", { id: `outside-changes-${name}` }, ...preview.outside_changes.map((change) => h("li", {}, change))),
          ]
        : []),
      ...(preview.copies.length
        ? [
            h("p", {}, "Copies of the credentials outside this keychain:"),
            h("ul", { id: `teardown-copies-${name}` }, ...preview.copies.map((copy) => h("li", {}, copy))),
          ]
        : []),
      ...keyAccount.parts,
      ...key.parts,
      ...tokens.parts,
      field(`Type ${name} to confirm`, confirmation).wrapper,
    ],
    confirm: go,
    close: () => area.replaceChildren(),
    opener,
    cancelId: `teardown-cancel-${name}`,
  });
  disableWithReason(go, waitsOn());
  return panel;
}

/** Opens the teardown question in the card's `area`; its first field gets focus once it is there.
 * `keyProfile` is the key account's profile the admin chose in an earlier opening. */
export function openTeardown(ctx: Context, setup: SetupSummary, area: HTMLElement, reload: Reload, opener: HTMLElement | null, keyProfile: string | null = null): void {
  const name = setup.name;
  const checking = h("section", { class: "panel panel-error", id: `teardown-${name}` }, h("h3", {}, `Tear down ${name}?`), h("p", {}, "Checking what tearing down involves…"));
  area.replaceChildren(checking);
  announce(`Checking what tearing down ${name} involves.`);
  ctx.api
    .teardownPreview(name, setup.kind === "role", keyProfile)
    .then((preview) => {
      if (!checking.isConnected) return;
      const panel = teardownForm(ctx, setup, preview, area, reload, opener);
      area.replaceChildren(panel);
      const stillAsks = preview.key_account?.problem && preview.principal_exists;
      openConfirmation(panel, `teardown-cancel-${name}`, stillAsks ? `teardown-key-profile-${name}` : `confirm-${name}`);
    })
    .catch((error: unknown) => showError(area, error));
}
