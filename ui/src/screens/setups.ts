import type { CleanupPreview, Delivery, Finding, InterruptedRun, SetupSummary, VaultSignIn } from "../bindings";
import { announce, disableWithReason, focusLost, focusOn } from "../a11y";
import { actions, button, reportOf, screenTitle, whileBusy, type Context } from "../components";
import { confirmationPanel, openConfirmation } from "../confirm";
import { h } from "../dom";
import { guardRun } from "../run-guard";
import { maskAccessKeyId, termsInWords } from "../state";
import { arnValue, copyable, setupSummary, summaryButton } from "../handoff";
import type { Api } from "../ipc";
import { exactTime, timeElement } from "../time";
import { legacyNote } from "./legacy-note";
import { pendingDeletionsPanel } from "./pending-deletions";
import { openTeardown, rotateConfirmation, showError, type Reload } from "./setup-actions";
import { openSendPanel } from "./send-sealed";
import { openCopyPanel } from "./copy-store";
import { openFinishRotation, vaultServers } from "./vault-logins";

const POLICY_LABEL = { "least-privilege": "✓ Least privilege", drifted: "⚠ Drifted from least privilege", missing: "⚠ Missing" } as const;

function result(area: HTMLElement, text: string, ok = true): void {
  area.replaceChildren(h("p", { class: ok ? "panel panel-ok" : "panel panel-note", tabindex: "-1" }, text));
  announce(text);
}

const STATUS_LABEL = { passed: "✓ Passes", failed: "⚠ Fails", unknown: "? Could not check" } as const;

/** The buttons that fix a finding, when the app can fix it; the message says the rest. */
type Fixes = { enableRotation: () => HTMLElement; rotateNow: (where: string) => HTMLElement; removeUnused: (keyId: string | null, where: string) => HTMLElement | null };

function findingItem(finding: Finding, fixes: Fixes): HTMLElement {
  let fix: HTMLElement | null = null;
  if (finding.status === "failed") {
    if (finding.action === "enable-rotation") fix = fixes.enableRotation();
    else if (finding.action === "rotate-access-key") fix = fixes.rotateNow("finding");
    else if (finding.action === "remove-unused-key") fix = fixes.removeUnused(finding.access_key_id, "finding");
  }
  return h(
    "li",
    { class: `finding finding-${finding.status}`, "data-control": finding.control },
    h("strong", {}, `${finding.control} ${STATUS_LABEL[finding.status]}`),
    ` · ${finding.title}. `,
    h("span", { class: "finding-message" }, finding.message),
    ...(fix ? [" ", fix] : []),
  );
}

function findingsSection(setup: SetupSummary, fixes: Fixes): HTMLElement {
  // Failed first: what needs the admin comes before what is fine.
  const order = { failed: 0, unknown: 1, passed: 2 } as const;
  const sorted = [...setup.findings].sort((a, b) => order[a.status] - order[b.status]);
  return h(
    "section",
    { class: "findings", id: `findings-${setup.name}` },
    h("h3", {}, "AWS Security Hub checks"),
    h("ul", { class: "plain" }, ...sorted.map((f) => findingItem(f, fixes))),
  );
}

function verifyButton(ctx: Context, name: string, area: HTMLElement): HTMLButtonElement {
  const verify: HTMLButtonElement = button("Verify", () => {
    void whileBusy(verify, "Verifying…", async () => {
      try {
        result(area, `✓ ${(await ctx.api.verifySetup(name)).message}`);
      } catch (error) {
        showError(area, error);
      }
    });
  }, "secondary", `verify-${name}`);
  return verify;
}

function enableRotationButton(ctx: Context, setup: SetupSummary, area: HTMLElement, reload: Reload): HTMLButtonElement {
  const name = setup.name;
  const enable: HTMLButtonElement = button("Enable rotation", () => {
    void whileBusy(enable, "Enabling…", async () => {
      try {
        const report = await ctx.api.enableKeyRotation(setup.key_arn ?? "");
        reload({ name, text: `✓ ${report.message}` });
      } catch (error) {
        showError(area, error);
      }
    });
  }, "secondary", `enable-rotation-${name}`);
  return enable;
}

/** The card's buttons; each reports into the card's `area`. */
interface CardButtons {
  verify: HTMLButtonElement;
  rotateButton: HTMLButtonElement;
  teardown: HTMLButtonElement;
  fixes: Fixes;
}

function cardButtons(ctx: Context, setup: SetupSummary, area: HTMLElement, reload: Reload): CardButtons {
  const name = setup.name;
  const rotate = (deleteInactive: boolean, control: HTMLButtonElement, logins: VaultSignIn[]): void => {
    void whileBusy(control, "Rotating…", () =>
      guardRun(async () => {
        try {
          const report = await ctx.api.rotate(name, deleteInactive, logins);
          reload({ name, text: `${report.old_key_kept ? "⚠" : "✓"} ${report.message}` });
        } catch (error) {
          const report = reportOf(error);
          showError(area, error);
          if (report.code === "access-key-limit" && report.hint.includes("inactive")) {
            // The tokens typed were dropped with the first call: ask for them again, if any are needed.
            const again = (): void => (vaultServers(setup).length ? rotateConfirmation(setup, area, retry, (control, logins) => rotate(true, control, logins)) : rotate(true, retry, []));
            const retry: HTMLButtonElement = button("Delete the inactive key and rotate", again, "primary", `rotate-delete-inactive-${name}`);
            area.append(actions(retry));
          }
        }
      }),
    );
  };
  // Rotating is asked first: the confirmation says what happens to the applications running now.
  const askRotate = (opener: HTMLElement) => rotateConfirmation(setup, area, opener, (control, logins) => rotate(false, control, logins));
  const rotateButton: HTMLButtonElement = button("Rotate access key…", () => askRotate(rotateButton), "secondary", `rotate-${name}`);
  // A third key is over AWS's limit and the copies behind would be skipped: finish first.
  if (setup.rotation_waiting) disableWithReason(rotateButton, "The last rotation is not finished: use Finish rotation first.");
  const teardown: HTMLButtonElement = button("Tear down…", () => openTeardown(ctx, setup, area, reload, teardown), "secondary", `teardown-${name}-open`);
  const enable = enableRotationButton(ctx, setup, area, reload);
  const fixes: Fixes = {
    enableRotation: () => enable,
    rotateNow: (where) => {
      const now: HTMLButtonElement = button("Rotate now…", () => askRotate(now), "secondary", `rotate-now-${where}-${name}`);
      return now;
    },
    removeUnused: (keyId, where) => {
      const key = setup.access_keys.find((k) => k.access_key_id === keyId);
      // The key in the keychain is the setup's only credential: removing it is tearing the setup down.
      if (key?.in_keychain) {
        const remove: HTMLButtonElement = button("Remove unused key…", () => openTeardown(ctx, setup, area, reload, remove), "secondary", `remove-unused-${where}-${name}`);
        return remove;
      }
      return h("span", { class: "hint" }, "Delete it in the AWS console: IAM → Users → Security credentials.");
    },
  };
  return { verify: verifyButton(ctx, name, area), rotateButton, teardown, fixes };
}

/** The words AWS's date was put in, with the exact time on hover when there is one. */
function lastUsed(iso: string | null, words: string): HTMLElement {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return h("span", {}, words);
  return h("time", { datetime: date.toISOString(), title: exactTime(date) }, words);
}

/** One line per access key, with what Security Hub would flag about it and the fix. */
function accessKeyItems(setup: SetupSummary, fixes: Fixes): HTMLElement[] {
  return setup.access_keys.map((key) => {
    const age = setup.key_ages.find((a) => a.access_key_id === key.access_key_id);
    const warnings: HTMLElement[] = [];
    if (age?.too_old) warnings.push(h("span", { class: "warning" }, " ⚠ Older than 90 days (Security Hub IAM.3). "), fixes.rotateNow("key"));
    if (age?.unused) {
      warnings.push(h("span", { class: "warning" }, " ⚠ Unused for 45 days or more (Security Hub IAM.22). "));
      const remove = fixes.removeUnused(key.access_key_id, "key");
      if (remove) warnings.push(remove);
    }
    return h(
      "li",
      { "data-access-key": maskAccessKeyId(key.access_key_id) },
      // Shown masked, copied whole: an access key id is not a secret, and support asks for it.
      copyable(key.access_key_id, `access key id ${maskAccessKeyId(key.access_key_id)}`, `access-key-${setup.name}-${key.access_key_id.slice(-4)}`, maskAccessKeyId(key.access_key_id)),
      ` · ${key.status} · made ${age?.created ?? "?"} · last used `,
      lastUsed(key.last_used, age?.last_used ?? "?"),
      key.in_keychain ? " · in keychain" : "",
      ...warnings,
    );
  });
}

function setupFacts(setup: SetupSummary, keys: HTMLElement[], api: Api | null): HTMLElement {
  const isRole = setup.kind === "role";
  const what = isRole ? "IAM role ARN" : "IAM user ARN";
  return h(
    "dl",
    { class: "facts" },
    h("dt", {}, isRole ? "Role" : "User"),
    h("dd", {}, setup.principal_arn ? arnValue(api, setup.principal_arn, what, `principal-arn-${setup.name}`) : "missing in AWS"),
    h("dt", {}, "Key"),
    h("dd", { class: "mono" }, `${setup.key_aliases.join(", ") || setup.key_arn || "unknown"} · ${setup.key_state ?? "?"}${setup.key_created_by_app ? "" : " · not created by this app"}`),
    ...(setup.key_arn ? [h("dt", {}, "Key ARN"), h("dd", {}, arnValue(api, setup.key_arn, "Key ARN", `key-arn-${setup.name}`))] : []),
    h("dt", {}, "Policy"),
    h("dd", { class: `policy-${setup.policy}` }, `${setup.policy_name ?? "-"}: ${POLICY_LABEL[setup.policy]}`),
    ...(isRole
      ? [h("dt", {}, "Credentials"), h("dd", {}, "Temporary, from the role: nothing to store or rotate")]
      : [
          h("dt", {}, "Access keys"),
          h("dd", {}, keys.length ? h("ul", { class: "plain" }, ...keys) : "none"),
          h("dt", {}, "Keychain"),
          h("dd", {}, setup.keychain_present ? "✓ Present" : "⚠ Missing: rotate to store a fresh key"),
          ...(setup.credential_terms ? [h("dt", {}, "For applications"), h("dd", { class: "credential-terms" }, termsInWords(setup.credential_terms))] : []),
          ...copyFacts(setup),
        ]),
  );
}

const COPY_KIND: Record<Delivery["kind"], string> = {
  sealed: "Sealed file",
  vault: "Vault",
  "secrets-manager": "Secrets Manager",
};

/** Every copy of the credentials outside this keychain, the key each holds, and a waiting rotation. */
function copyFacts(setup: SetupSummary): HTMLElement[] {
  if (!setup.deliveries.length && !setup.rotation_waiting) return [];
  const items = setup.deliveries.map((copy) =>
    h(
      "li",
      { "data-copy": copy.kind },
      `${COPY_KIND[copy.kind]}: `,
      h("span", { class: "mono" }, copy.location),
      ` · holds ${maskAccessKeyId(copy.access_key_id)} · written ${new Date(copy.written_at * 1000).toLocaleString()}`,
      copy.kind === "sealed" && !copy.confirmed ? " · waiting for the target to import it" : "",
    ),
  );
  return [
    h("dt", {}, "Copies"),
    h(
      "dd",
      { class: "copies" },
      items.length ? h("ul", { class: "plain" }, ...items) : "none",
      ...(setup.rotation_waiting ? [h("p", { class: "panel panel-warning rotation-waiting" }, setup.rotation_waiting)] : []),
    ),
  ];
}

/** A setup this app cannot prove it made: its facts, why, and no button that changes anything. */
function unprovenCard(setup: SetupSummary): HTMLElement {
  const noFixes: Fixes = {
    enableRotation: () => h("span", {}),
    rotateNow: () => h("span", {}),
    removeUnused: () => h("span", {}),
  };
  return h(
    "article",
    { class: "setup setup-unproven", "data-setup": setup.name, "data-ownership": "unproven" },
    h("h2", {}, `${setup.name} (read-only)`),
    h(
      "p",
      { class: "panel panel-note", id: `unproven-${setup.name}` },
      setup.ownership_reason ?? "This app cannot prove it made this setup, so it will not change it.",
      " Manage it in the AWS console, or ask whoever changed it.",
    ),
    setupFacts(setup, accessKeyItems(setup, noFixes), null),
  );
}

/** A user setup's "Send to another computer…": its keychain item, sealed to the computer where the application runs. */
function sendButton(ctx: Context, setup: SetupSummary, area: HTMLElement): HTMLButtonElement {
  const send: HTMLButtonElement = button("Send to another computer…", () => openSendPanel(ctx, setup, area, send), "secondary", `send-${setup.name}-open`);
  if (!setup.keychain_present) disableWithReason(send, "The keychain item is missing: rotate the access key to store a fresh one first.");
  return send;
}

/** "Copy to a secret store…": Vault / OpenBao or Secrets Manager, the plan first. */
function copyButton(ctx: Context, setup: SetupSummary, area: HTMLElement, reload: Reload): HTMLButtonElement {
  const copy: HTMLButtonElement = button("Copy to a secret store…", () => openCopyPanel(ctx, setup, area, copy, reload), "secondary", `copy-${setup.name}-open`);
  if (!setup.keychain_present) disableWithReason(copy, "The keychain item is missing: rotate the access key to store a fresh one first.");
  return copy;
}

/** The user setup's buttons; "Finish rotation…" first while a rotation waits for its copies. */
function userActions(ctx: Context, setup: SetupSummary, area: HTMLElement, reload: Reload, buttons: CardButtons): HTMLElement {
  const finish: HTMLButtonElement | null = setup.rotation_waiting ? button("Finish rotation…", () => openFinishRotation(ctx, setup, area, finish ?? area, reload), "primary", `finish-rotation-${setup.name}-open`) : null;
  const all = [buttons.verify, ...(finish ? [finish] : []), buttons.rotateButton, sendButton(ctx, setup, area), copyButton(ctx, setup, area, reload), buttons.teardown, summaryButton(setupSummary(setup), `summary-${setup.name}`)];
  return actions(...all);
}

function setupCard(ctx: Context, setup: SetupSummary, reload: Reload, note?: string): HTMLElement {
  if (setup.ownership === "unproven") return unprovenCard(setup);
  const area = h("div", { class: "card-area", id: `area-${setup.name}` });
  if (note) result(area, note, !note.startsWith("⚠"));
  const buttons = cardButtons(ctx, setup, area, reload);
  const keys = accessKeyItems(setup, buttons.fixes);
  return h(
    "article",
    { class: "setup", "data-setup": setup.name, "data-ownership": "proven" },
    h("h2", {}, setup.name),
    setupFacts(setup, keys, ctx.api),
    setup.findings.length ? findingsSection(setup, buttons.fixes) : "",
    setup.kind === "role" ? actions(buttons.teardown, summaryButton(setupSummary(setup), `summary-${setup.name}`)) : userActions(ctx, setup, area, reload, buttons),
    area,
  );
}

/** Asks before removing what an interrupted run made; "Keep them" (or Escape) leaves everything. */
function cleanUpQuestion(name: string, preview: CleanupPreview, confirm: HTMLButtonElement, area: HTMLElement, opener: HTMLElement): HTMLElement {
  return confirmationPanel({
    id: `clean-up-question-${name}`,
    title: `Remove what the interrupted setup of ${name} made?`,
    body: [
      h("p", {}, preview.remove.join("; ") || "AWS shows nothing it made."),
      ...(preview.left_alone.length ? [h("p", { id: `clean-up-left-alone-${name}` }, `Left alone: ${preview.left_alone.join("; ")}`)] : []),
      h("p", {}, "Only what AWS shows made by this run is removed (its tag, and made while it ran). A keychain item is removed only if it holds an access key this run made."),
    ],
    confirm,
    close: () => area.replaceChildren(),
    opener,
    cancelLabel: "Keep them",
    cancelId: `clean-up-keep-${name}`,
  });
}

function interruptedRun(ctx: Context, run: InterruptedRun, reload: Reload): HTMLElement {
  const area = h("div", { class: "card-area" });
  const confirmCleanUp: HTMLButtonElement = button("Remove them", () => {
    const stop = button("Cancel", () => void ctx.api.cancel(), "secondary", `clean-up-cancel-${run.user_name}`);
    area.append(actions(stop));
    void whileBusy(confirmCleanUp, "Cleaning up…", () =>
      guardRun(async () => {
        try {
          const report = await ctx.api.cleanUpRun(run.run_id, () => undefined);
          result(area, `✓ Removed: ${report.undone.join("; ") || "nothing was left"}`);
          reload();
        } catch (error) {
          showError(area, error);
        }
      }),
    );
  }, "danger", `clean-up-confirm-${run.user_name}`);
  // Removing is not undoable: say exactly what goes and what stays, as AWS shows it now.
  const cleanUp: HTMLButtonElement = button("Clean up…", () => {
    void whileBusy(cleanUp, "Checking…", async () => {
      try {
        const preview = await ctx.api.cleanUpPreview(run.run_id);
        const question = cleanUpQuestion(run.user_name, preview, confirmCleanUp, area, cleanUp);
        area.replaceChildren(question);
        openConfirmation(question, `clean-up-keep-${run.user_name}`);
      } catch (error) {
        showError(area, error);
      }
    });
  }, "secondary", `clean-up-${run.user_name}`);
  const resume: HTMLButtonElement = button("Resume", () => {
    ctx.wizard.job = { kind: "resume", runId: run.run_id };
    ctx.go("apply");
  }, "primary", `resume-${run.user_name}`);
  return h(
    "div",
    { class: "interrupted-run" },
    h("p", {}, h("strong", {}, run.user_name), " (started ", timeElement(run.started_at * 1000), `) had made: ${run.created.join("; ") || "nothing yet"}`),
    run.kind === "role" ? actions(cleanUp) : actions(resume, cleanUp),
    area,
  );
}

function interruptedPanel(ctx: Context, runs: InterruptedRun[], reload: Reload): HTMLElement | null {
  if (runs.length === 0) return null;
  return h(
    "section",
    { class: "panel panel-note", id: "interrupted" },
    h("h2", {}, "Interrupted setups"),
    h("p", {}, "The app was closed or killed while these setups ran. Finish them, or remove what they made."),
    ...runs.map((run) => interruptedRun(ctx, run, reload)),
  );
}

/** After a reload: focus the note on the card it is about, else wherever focus was lost to, the title. */
function restoreFocus(list: HTMLElement, note?: { name: string; text: string }): void {
  const card = note ? [...list.querySelectorAll<HTMLElement>("[data-setup]")].find((c) => c.dataset.setup === note.name) : undefined;
  const noted = card?.querySelector<HTMLElement>(".card-area > *");
  if (noted) return focusOn(noted);
  if (focusLost()) focusOn(list.closest("[data-screen]")?.querySelector<HTMLElement>("h1") ?? list);
}

export function setupsScreen(ctx: Context): HTMLElement {
  // Not a live region: a reload would read every card. What changed is said through announce().
  const list = h("div", { id: "setups" }, h("p", {}, "Loading setups…"));
  const load = async (note?: { name: string; text: string }) => {
    const reload: Reload = (next) => void load(next);
    const cardOf = (s: SetupSummary) => setupCard(ctx, s, reload, note?.name === s.name ? note.text : undefined);
    // Cards appear as each setup is judged; the whole list then replaces them in its stable order.
    const arrived = h("div", { class: "setups-arriving" });
    const pending = h("p", { class: "loading" }, "Reading setups…");
    list.replaceChildren(arrived, pending);
    try {
      const [runs, setups] = await Promise.all([ctx.api.interruptedRuns(), ctx.api.listSetups((s) => arrived.append(cardOf(s)))]);
      list.replaceChildren(
        ...[interruptedPanel(ctx, runs, reload)].filter((x): x is HTMLElement => x !== null),
        ...(setups.length ? setups.map(cardOf) : [h("p", { class: "empty" }, "No setups made by this app in this account and region yet.")]),
      );
      restoreFocus(list, note);
      announce(note ? `Setups reloaded. ${note.name}: ${note.text}` : `${setups.length} ${setups.length === 1 ? "setup" : "setups"} loaded.`);
      const legacy = await legacyNote(ctx, () => void load());
      if (legacy) list.append(legacy);
      const pendingKeys = await pendingDeletionsPanel(ctx, () => void load());
      if (pendingKeys) list.prepend(pendingKeys);
    } catch (error) {
      showError(list, error);
    }
  };
  void load();
  return h(
    "section",
    { class: "screen-body", "data-screen": "setups" },
    ...screenTitle("Setups", "Everything this app made in this account: the key, the service account, its policy, its access keys and the keychain item, with what needs attention."),
    list,
    actions(button("New setup", () => ctx.go("key"), "primary", "setups-new"), button("Back to connection", () => ctx.go("connect"))),
  );
}
