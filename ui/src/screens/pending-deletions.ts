import type { PendingDeletion } from "../bindings";
import { actions, button, errorPanel, reportOf, type Context } from "../components";
import { h } from "../dom";
import { copyable } from "../handoff";
import { timeElement } from "../time";

/** This app's keys that KMS will delete, each with Cancel deletion: the way back for as long as KMS
 * waits. Null when there are none (nothing to say). */
export async function pendingDeletionsPanel(ctx: Context, reload: () => void): Promise<HTMLElement | null> {
  // The list is extra: a refusal to read it (kms:ListKeys on a narrow policy) must not hide the setups.
  const pending = await ctx.api.pendingDeletions().catch(() => null);
  if (!Array.isArray(pending) || pending.length === 0) return null;
  return h(
    "section",
    { class: "panel panel-note", id: "pending-deletions" },
    h("h2", {}, "Keys waiting for deletion"),
    h("p", {}, "KMS deletes these keys of this app on the date shown; data encrypted with them can then never be read again. Until then a deletion can be cancelled."),
    ...pending.map((key) => pendingRow(ctx, key, reload)),
  );
}

function pendingRow(ctx: Context, key: PendingDeletion, reload: () => void): HTMLElement {
  const keyId = key.key_arn.split("/").pop() ?? "";
  const area = h("div", {});
  const cancel: HTMLButtonElement = button(
    "Cancel deletion",
    () => {
      cancel.disabled = true;
      ctx.api
        .cancelKeyDeletion(key.key_arn)
        .then(() => reload())
        .catch((error: unknown) => {
          cancel.disabled = false;
          area.replaceChildren(errorPanel(reportOf(error)));
        });
    },
    "secondary",
    `cancel-deletion-${keyId}`,
  );
  const when = key.deletion_date === null ? h("span", {}, "on a date KMS did not give") : timeElement(key.deletion_date * 1000);
  return h(
    "div",
    { class: "pending-key", "data-key-arn": key.key_arn },
    h("p", {}, copyable(key.key_arn, "key ARN of the key waiting for deletion", `pending-key-${keyId}`), " · ", key.description || "(no description)", " · deleted ", when),
    actions(cancel),
    area,
  );
}
