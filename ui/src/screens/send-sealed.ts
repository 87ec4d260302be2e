// "Send to another computer": a user setup's keychain item sealed with age to the computer where
// the application runs. The admin pastes that computer's recipient (printed there by
// `csfle-provisioner-cli receive`, a public value) and chooses where to save the file; the secret
// itself never reaches this window.

import type { Delivered, SetupSummary } from "../bindings";
import { announce, disableWithReason, focusOn } from "../a11y";
import { actions, button, field, setStatus, whileBusy, type Context } from "../components";
import { h } from "../dom";
import { showError } from "./setup-actions";

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const value of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ value) >>> 0;
    GENERATOR.forEach((g, i) => {
      if ((top >>> i) & 1) chk = (chk ^ g) >>> 0;
    });
  }
  return chk;
}

/**
 * Whether `value` is an age X25519 recipient: Bech32 (BIP 173) with the prefix "age", its
 * checksum right, and 32 bytes of key (52 characters of data): a typo or a pasted identity
 * (AGE-SECRET-KEY-1…) is caught before anything is asked of the keychain. The engine checks again.
 */
export function isAgeRecipient(value: string): boolean {
  const text = value.trim();
  if (text !== text.toLowerCase() || !text.startsWith("age1") || text.length !== 62) return false;
  const data = [...text.slice(4)].map((c) => CHARSET.indexOf(c));
  if (data.some((d) => d < 0)) return false;
  const hrp = [..."age"].map((c) => c.charCodeAt(0));
  const expanded = [...hrp.map((c) => c >> 5), 0, ...hrp.map((c) => c & 31)];
  return polymod([...expanded, ...data]) === 1;
}

function reasonToWait(recipient: string, path: string): string | null {
  if (!recipient.trim()) return "Paste the recipient the other computer printed first.";
  if (!isAgeRecipient(recipient)) return "The recipient is not a complete age1… line.";
  if (!path.trim()) return "Choose where to save the file first.";
  return null;
}

function deliveredPanel(done: Delivered): HTMLElement {
  const command = `csfle-provisioner-cli import ${done.file}`;
  return h(
    "section",
    { class: "panel panel-ok", id: `send-result-${done.user}`, tabindex: "-1" },
    h("h3", {}, "Sealed and saved"),
    h("p", {}, `The credentials of ${done.user} are sealed in `, h("code", { class: "mono" }, done.file), ". Only the computer whose recipient is ", h("code", { class: "mono" }, done.recipient), " can open it; the file alone shows nothing."),
    h("p", {}, "Copy the file to that computer, then run there:"),
    h("pre", { class: "code", id: `send-import-${done.user}` }, command),
    h("p", {}, "After that, credential-process, exec and aws-profile work on that computer as they do here. Delete the file once it is imported."),
  );
}

/** Opens the panel in the card's `area`: the recipient field has focus; Cancel or Escape closes it. */
export function openSendPanel(ctx: Context, setup: SetupSummary, area: HTMLElement, opener: HTMLElement): void {
  const name = setup.name;
  const recipient = h("input", { id: `send-recipient-${name}`, type: "text", autocomplete: "off", spellcheck: "false", placeholder: "age1…" });
  const path = h("input", { id: `send-path-${name}`, type: "text", autocomplete: "off", spellcheck: "false" });
  const recipientField = field("The other computer's recipient", recipient, "On the computer where the application runs, the command csfle-provisioner-cli receive prints one line starting with age1. It is public: it can come by chat or mail.");
  const pathField = field("Save the sealed file as", path, "A new file: an existing file is never replaced.");
  const close = (): void => {
    area.replaceChildren();
    focusOn(opener.isConnected ? opener : null);
  };
  const go: HTMLButtonElement = button("Seal and save", () => {
    void whileBusy(go, "Sealing…", async () => {
      try {
        const done = await ctx.api.deliverSealed(name, recipient.value.trim(), path.value.trim());
        const shown = deliveredPanel(done);
        area.replaceChildren(shown);
        focusOn(shown);
        announce(`The credentials of ${name} are sealed in ${done.file}. Copy it to the other computer and run csfle-provisioner-cli import there.`);
      } catch (error) {
        showError(area, error);
      }
    }).finally(() => refresh());
  }, "primary", `send-go-${name}`);
  const refresh = (): void => {
    if (go.getAttribute("aria-busy") === "true") return;
    disableWithReason(go, reasonToWait(recipient.value, path.value));
  };
  recipient.addEventListener("input", () => {
    const value = recipient.value;
    if (!value.trim()) setStatus(recipientField, "none");
    else if (isAgeRecipient(value)) setStatus(recipientField, "ok", "✓ An age recipient");
    else setStatus(recipientField, "bad", value.trim().startsWith("AGE-SECRET-KEY") ? "That is the other computer's secret identity, not its recipient: paste the age1… line receive prints, and keep the identity where it is." : "Not an age recipient: it is one line of 62 characters starting with age1.");
    refresh();
  });
  path.addEventListener("input", refresh);
  const headingId = `send-title-${name}`;
  const panel = h(
    "section",
    { class: "panel send-panel", id: `send-${name}`, role: "group", "aria-labelledby": headingId },
    h("h3", { id: headingId }, `Send ${name}'s credentials to another computer`),
    h("p", {}, "The file is sealed with age to that computer alone: nobody else can open it, this window never shows the secret, and any age tool there can read it."),
    recipientField.wrapper,
    pathField.wrapper,
    actions(go, button("Cancel", close, "secondary", `send-cancel-${name}`)),
  );
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || go.getAttribute("aria-busy") === "true") return;
    event.preventDefault();
    event.stopPropagation();
    close();
  });
  area.replaceChildren(panel);
  refresh();
  focusOn(recipient);
  ctx.api
    .suggestDeliveryPath(name)
    .then((suggested) => {
      if (!path.value) {
        path.value = suggested;
        refresh();
      }
    })
    .catch(() => undefined);
}
