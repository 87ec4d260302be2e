// What a failed or cancelled run leaves on screen: what happened and what was undone, the
// explanation, then the ways on: back to the review (planned again), try again, details to copy
// for the AWS administrator, start over.

import type { ErrorReport, Identity } from "../bindings";
import { announce, focusOn } from "../a11y";
import { button, copy, errorPanel, reportOf, whileBusy, type Context } from "../components";
import { h } from "../dom";
import { maskAccessKeyId } from "../state";
import { chosenKey, makePlan } from "./account";

export interface FailureParts {
  status: HTMLElement;
  outcomeArea: HTMLElement;
  controls: HTMLElement;
  steps: { lines(): string[] };
}

/** Access key ids are not secret, but the copied text needs none of them whole. */
function maskIds(text: string): string {
  return text.replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, (id) => maskAccessKeyId(id));
}

/** The text an admin hands on: who acted where, the error, its hint, each step and the rollback. Never a secret. */
export function adminDetails(report: ErrorReport, identity: Identity | null, steps: string[]): string {
  const rollback = report.rollback;
  const list = (title: string, items: string[] | undefined) => (items && items.length ? [`${title}:`, ...items.map((item) => `- ${item}`)] : []);
  return maskIds(
    [
      "CSFLE Provisioner: a setup did not finish",
      identity ? `Account ${identity.account_id}, acting as ${identity.arn}, region ${identity.region}` : "Not connected",
      `Error code: ${report.code}`,
      `Message: ${report.message}`,
      `What to do: ${report.hint}`,
      ...list("Steps", steps.map((line) => line.replace(/^- /, ""))),
      ...list("Rolled back", rollback?.undone),
      ...list("Could not be removed (remove by hand)", rollback?.left_behind),
      ...list("Left alone (not shown by AWS as made by this run)", rollback?.left_alone),
    ].join("\n"),
  );
}

/** Plans again with what the admin chose (the engine used up the reviewed plan); true if it is unchanged. */
async function planAgain(ctx: Context): Promise<boolean> {
  const { wizard } = ctx;
  const before = JSON.stringify(wizard.job.kind === "role" ? wizard.rolePlan : wizard.plan);
  await makePlan(ctx, chosenKey(wizard));
  return JSON.stringify(wizard.job.kind === "role" ? wizard.rolePlan : wizard.plan) === before;
}

function recoveryButtons(ctx: Context, problem: HTMLElement): HTMLButtonElement[] {
  const resume = ctx.wizard.job.kind === "resume";
  const fail = (error: unknown) => {
    const panel = errorPanel(reportOf(error));
    panel.tabIndex = -1;
    problem.replaceChildren(panel);
    focusOn(panel);
  };
  const back: HTMLButtonElement = resume
    ? button("Back to setups", () => ctx.go("setups"), "secondary", "apply-back")
    : button("Back to review", () => {
        void whileBusy(back, "Planning again…", () => planAgain(ctx).then(() => ctx.go("review"), fail));
      }, "secondary", "apply-back");
  const retry: HTMLButtonElement = button("Try again", () => {
    if (resume) return ctx.go("apply");
    void whileBusy(retry, "Planning again…", () =>
      planAgain(ctx).then((same) => {
        if (same) return ctx.go("apply");
        // AWS changed meanwhile: the admin sees the new plan before anything runs.
        announce("The plan changed since you reviewed it: review it again.");
        ctx.go("review");
      }, fail),
    );
  }, "primary", "apply-try-again");
  return [back, retry];
}

export function showFailure(ctx: Context, error: unknown, parts: FailureParts): void {
  const report = reportOf(error);
  const leftBehind = (report.rollback?.left_behind.length ?? 0) > 0;
  parts.status.textContent =
    report.code === "cancelled"
      ? "Cancelled. Everything made so far was removed."
      : leftBehind
        ? "The setup failed. Some of what it made could not be removed: see below."
        : "The setup failed and was rolled back.";
  const panel = errorPanel(report);
  panel.tabIndex = -1;
  const problem = h("div", { id: "apply-problem" });
  const details: HTMLButtonElement = button("Copy details for your AWS administrator", () => void copy(adminDetails(report, ctx.wizard.identity, parts.steps.lines()), details), "secondary", "apply-copy-details");
  const explanation = h(
    "p",
    { class: "failure-explanation", id: "apply-explanation" },
    ctx.wizard.job.kind === "resume"
      ? "Try again resumes the interrupted setup once more. Copy details gives whoever manages your AWS permissions the error, its hint and what was rolled back, without any secret."
      : "Back to review plans the setup again against AWS as it is now and shows it. Try again plans it again and runs it at once if nothing changed. Copy details gives whoever manages your AWS permissions the error, its hint and what was rolled back, without any secret.",
  );
  parts.outcomeArea.replaceChildren(panel, explanation, problem);
  parts.controls.replaceChildren(...recoveryButtons(ctx, problem), details, button("Start over", () => ctx.go("connect"), "secondary", "apply-start-over"));
  announce(parts.status.textContent);
  // The explanation comes first: focus it so it is read out and scrolled into view.
  focusOn(panel);
  panel.scrollIntoView?.({ block: "start" });
}
