// An inline confirmation for a destructive action: what happens, the confirm button, and always a
// way back (Cancel or Escape) that returns focus to the button that opened it.

import { focusOn } from "./a11y";
import { button } from "./components";
import { h, uid } from "./dom";

export interface Confirmation {
  id: string;
  title: string;
  body: (Node | string)[];
  confirm: HTMLButtonElement;
  /** Takes the panel away; the panel then returns focus to `opener`. */
  close(): void;
  opener?: HTMLElement | null;
  cancelLabel?: string;
  cancelId: string;
}

/** Builds the panel; call `openConfirmation` once it is on screen. */
export function confirmationPanel(spec: Confirmation): HTMLElement {
  const headingId = uid("confirm-title");
  const cancel = (): void => {
    spec.close();
    focusOn(spec.opener?.isConnected ? spec.opener : null);
  };
  const panel = h(
    "section",
    { class: "panel panel-error confirmation", id: spec.id, role: "group", "aria-labelledby": headingId },
    h("h3", { id: headingId }, spec.title),
    ...spec.body,
    h("div", { class: "actions" }, spec.confirm, button(spec.cancelLabel ?? "Cancel", cancel, "secondary", spec.cancelId)),
  );
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || spec.confirm.getAttribute("aria-busy") === "true") return;
    event.preventDefault();
    event.stopPropagation();
    cancel();
  });
  return panel;
}

/** Focuses `fieldId` (the field that confirms), else the panel's first field, else its Cancel button (the safe choice). */
export function openConfirmation(panel: HTMLElement, cancelId: string, fieldId?: string): void {
  const byId = (id: string) => [...panel.querySelectorAll<HTMLElement>("[id]")].find((e) => e.id === id) ?? null;
  const first = (fieldId ? byId(fieldId) : null) ?? panel.querySelector<HTMLElement>("input, select, textarea") ?? byId(cancelId);
  focusOn(first);
}
