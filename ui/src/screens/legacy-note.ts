import { disableWithReason } from "../a11y";
import type { LegacyScan } from "../bindings";
import { button, type Context } from "../components";
import { h } from "../dom";

/** What the setups view says about setups older than the app's IAM path: how they were found. */
export function legacyText(scan: LegacyScan): string {
  const found = [...scan.users, ...scan.roles];
  const when = new Date(scan.scanned_at * 1000).toLocaleDateString();
  const among = `${scan.users_scanned.toLocaleString()} users and ${scan.roles_scanned.toLocaleString()} roles`;
  const result = found.length === 0 ? "none found" : `found ${found.join(", ")}`;
  return `Setups made before this app kept its users and roles under the IAM path /csfle-provisioner/ were looked for on this computer (${when}), by their tags, among ${among}: ${result}. If an older version of this app made setups since, look again.`;
}

/** The note with a button that looks (again). The look reads every user and role of the account, so
 * it runs only when the admin asks, never on a first visit. */
export async function legacyNote(ctx: Context, reload: () => void): Promise<HTMLElement | null> {
  const scan = await ctx.api.legacyScan(false).catch(() => null);
  const look = button(
    scan ? "Look again" : "Look for setups made by older versions",
    () => {
      disableWithReason(look, "Looking: this reads every user and role of the account.");
      look.textContent = "Looking…";
      void ctx.api.legacyScan(true).finally(reload);
    },
    "secondary",
    "legacy-rescan",
  );
  if (!scan) {
    return h("p", { class: "panel panel-note", id: "legacy-scan" }, "Versions of this app from before it kept its users and roles under the IAM path /csfle-provisioner/ made them elsewhere. Looking for those reads every user and role of the account, so it is done only when you ask.", " ", look);
  }
  return h("p", { class: "panel panel-note", id: "legacy-scan" }, legacyText(scan), " ", look);
}
