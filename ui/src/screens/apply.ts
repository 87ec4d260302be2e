import type { Progress, StepId } from "../bindings";
import { announce, disableWithReason } from "../a11y";
import { actions, button, screenTitle, type Context } from "../components";
import { h } from "../dom";
import { guardRun } from "../run-guard";
import type { Wizard } from "../state";
import { showFailure } from "./apply-failure";

/** A resumed run shows the whole user setup; steps already made report "already created". */
const RESUME_STEPS = (
  [
    ["create-key", "Create the symmetric encryption key (if the setup makes one)."],
    ["enable-key-rotation", "Turn on automatic yearly rotation of the new key (if the setup makes one)."],
    ["create-alias", "Give the key its alias."],
    ["create-user", "Create the IAM user."],
    ["put-user-policy", "Allow the user kms:Encrypt and kms:Decrypt on the key only."],
    ["create-access-key", "Create a fresh access key (a key made before the interruption is deleted: its secret was lost)."],
    ["store-in-keychain", "Store the access key in your keychain."],
    ["verify", "Prove it works with the new credentials."],
  ] as const
).map(([id, summary]) => ({ id, action: id, target: "", summary }));

export type StepState = "pending" | "running" | "done" | "failed" | "rolled-back" | "rollback-failed" | "not-run";

const LABEL: Record<StepState, string> = {
  pending: "Pending",
  running: "Running",
  done: "Done",
  failed: "Failed",
  "rolled-back": "Rolled back",
  "rollback-failed": "Could not roll back",
  "not-run": "Not run",
};

type Row = { row: HTMLElement; summary: string; state: HTMLElement; detail: HTMLElement; timer: HTMLElement; started: number };

/** The step list of the run, one row per step, with a timer that ticks while a step runs. */
export class StepRows {
  readonly list = h("ol", { class: "progress", id: "progress" });
  private readonly rows = new Map<StepId, Row>();
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(steps: readonly { id: StepId; summary: string }[]) {
    for (const step of steps) {
      const state = h("span", { class: "step-state" });
      const detail = h("span", { class: "step-detail" });
      const timer = h("span", { class: "step-time" });
      const row = h("li", { class: "progress-step", "data-step": step.id }, h("span", { class: "step-action" }, step.summary), state, timer, detail);
      this.rows.set(step.id, { row, summary: step.summary, state, detail, timer, started: 0 });
      this.set(step.id, "pending");
      this.list.append(row);
    }
    this.ticker = setInterval(() => {
      for (const entry of this.rows.values()) {
        if (entry.row.dataset.state === "running") {
          entry.timer.textContent = `${((performance.now() - entry.started) / 1000).toFixed(1)} s`;
        }
      }
    }, 200);
  }

  set(id: StepId, state: StepState, detail?: string, elapsedMs?: number): void {
    const entry = this.rows.get(id);
    if (!entry) return;
    if (state === "running" && entry.row.dataset.state !== "running") entry.started = performance.now();
    entry.row.dataset.state = state;
    entry.state.textContent = LABEL[state];
    if (detail !== undefined) entry.detail.textContent = detail;
    if (elapsedMs !== undefined) entry.timer.textContent = `${(elapsedMs / 1000).toFixed(1)} s`;
  }

  /** Applies one progress event from the engine to its step's row, and says it through the announcer. */
  show(event: Progress): void {
    this.announce(event);
    switch (event.event) {
      case "started":
        return this.set(event.step, "running");
      case "finished":
        return this.set(event.step, "done", event.detail, event.elapsed_ms);
      case "waiting":
        return this.set(event.step, "running", event.message);
      case "failed":
        return this.set(event.step, "failed", event.message, event.elapsed_ms);
      case "rolledBack":
        return this.set(event.step, "rolled-back", event.message);
      case "rollbackFailed":
        return this.set(event.step, "rollback-failed", event.message);
    }
  }

  private announce(event: Progress): void {
    const ids = [...this.rows.keys()];
    const summary = this.rows.get(event.step)?.summary ?? event.step;
    const position = `Step ${ids.indexOf(event.step) + 1} of ${ids.length}`;
    if (event.event === "started") announce(`${position}: ${summary}`);
    else if (event.event === "failed") announce(`${position} failed: ${event.message}`);
    else if (event.event === "rollbackFailed") announce(`Could not roll back: ${event.message}`);
  }

  /** Steps still pending when the run stopped never ran: say so instead of "Pending". */
  markNotRun(): void {
    for (const [id, entry] of this.rows) if (entry.row.dataset.state === "pending") this.set(id, "not-run");
  }

  /** One line per step: what it does, how it ended, and its detail. */
  lines(): string[] {
    return [...this.rows.values()].map((entry) => `- ${entry.summary} ${LABEL[(entry.row.dataset.state ?? "pending") as StepState]}${entry.detail.textContent ? `: ${entry.detail.textContent}` : ""}`);
  }

  stopTicking(): void {
    clearInterval(this.ticker);
  }
}

function jobSteps(wizard: Wizard): readonly { id: StepId; summary: string }[] {
  const job = wizard.job;
  return job.kind === "role" ? (wizard.rolePlan?.steps ?? []) : job.kind === "user" ? (wizard.plan?.steps ?? []) : RESUME_STEPS;
}

/** Starts the job the wizard holds and keeps its outcome for the Done screen. */
function runJob(ctx: Context, onProgress: (event: Progress) => void): Promise<unknown> {
  const { wizard } = ctx;
  const job = wizard.job;
  return job.kind === "role"
    ? ctx.api.applyRole(onProgress).then((outcome) => {
        wizard.roleOutcome = outcome;
        wizard.outcome = null;
      })
    : (job.kind === "user" ? ctx.api.apply(onProgress) : ctx.api.resumeRun(job.runId, onProgress)).then((outcome) => {
        wizard.outcome = outcome;
        wizard.roleOutcome = null;
      });
}

export function applyScreen(ctx: Context): HTMLElement {
  const steps = new StepRows(jobSteps(ctx.wizard));
  // Not a live region: the announcer says each step and the result.
  const status = h("p", { class: "apply-status", id: "apply-status" }, "Working… Keep this window open.");
  const outcomeArea = h("div");
  const cancel = button("Cancel and roll back", () => {
    disableWithReason(cancel, "Cancelling: the current step finishes first.");
    status.textContent = "Cancelling: the current step finishes, then everything made so far is removed…";
    announce(status.textContent);
    void ctx.api.cancel().catch(() => undefined);
  }, "secondary", "apply-cancel");
  const controls = actions(cancel);

  void guardRun(() => runJob(ctx, (event) => steps.show(event)))
    .then(() => {
      announce("The setup finished.");
      ctx.go("done");
    })
    .catch((error: unknown) => {
      steps.markNotRun();
      showFailure(ctx, error, { status, outcomeArea, controls, steps });
    })
    .finally(() => steps.stopTicking());

  return h(
    "section",
    { class: "screen-body", "data-screen": "apply" },
    ...screenTitle("Setting up", "Each step runs in AWS as shown. If any step fails, everything made so far is removed again."),
    steps.list,
    status,
    outcomeArea,
    controls,
  );
}
