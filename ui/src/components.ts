// Pieces every screen uses: labelled fields, error panels, button rows.

import type { ErrorReport, Identity } from "./bindings";
import { announce } from "./a11y";
import { h, uid } from "./dom";
import { IpcFailure, toReport, type Api } from "./ipc";
import type { ScreenName, Wizard } from "./state";

export interface Context {
  wizard: Wizard;
  api: Api;
  go(screen: ScreenName): void;
  /** Records who the app acts as (null: not connected) and shows it in the context bar. */
  setIdentity(identity: Identity | null): void;
}

export function reportOf(error: unknown): ErrorReport {
  return error instanceof IpcFailure ? error.report : toReport(error);
}

/** What happened, what was undone, and what to do next. */
export function errorPanel(report: ErrorReport): HTMLElement {
  const rollback = report.rollback;
  return h(
    "section",
    { class: "panel panel-error", role: "alert", "data-error-code": report.code },
    h("h2", {}, "Something went wrong"),
    h("p", { class: "error-message" }, report.message),
    rollback && rollback.undone.length > 0
      ? h(
          "div",
          {},
          h("h3", {}, "Rolled back"),
          h("ul", { class: "rollback-list" }, ...rollback.undone.map((item) => h("li", {}, item))),
        )
      : null,
    rollback && rollback.left_behind.length > 0
      ? h(
          "div",
          { class: "left-behind" },
          h("h3", {}, "Could not be removed — please remove by hand"),
          h("ul", {}, ...rollback.left_behind.map((item) => h("li", {}, item))),
        )
      : null,
    h("p", { class: "error-hint" }, h("strong", {}, "What to do: "), report.hint),
  );
}

export interface Field {
  wrapper: HTMLElement;
  status: HTMLElement;
}

/** A label, the control, optional help text and a live status line, wired for screen readers. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, help?: string): Field {
  const id = control.id || uid("field");
  control.id = id;
  const helpId = `${id}-help`;
  const statusId = `${id}-status`;
  control.setAttribute("aria-describedby", `${help ? helpId + " " : ""}${statusId}`);
  const status = h("p", { class: "field-status", id: statusId, "aria-live": "polite" });
  const wrapper = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    help ? h("p", { class: "field-help", id: helpId }, help) : null,
    status,
  );
  return { wrapper, status };
}

export function setStatus(field: Field, state: "ok" | "bad" | "pending" | "none", text = ""): void {
  field.status.textContent = text;
  field.status.className = `field-status status-${state}`;
  const control = field.wrapper.querySelector("input, select, textarea");
  control?.setAttribute("aria-invalid", state === "bad" ? "true" : "false");
}

export function actions(...buttons: HTMLElement[]): HTMLElement {
  return h("div", { class: "actions" }, ...buttons);
}

export function button(label: string, onClick: () => void, kind: "primary" | "secondary" | "danger" = "secondary", id?: string): HTMLButtonElement {
  return h("button", { type: "button", class: `btn btn-${kind}`, id: id ?? null, onclick: onClick }, label);
}

/** Disables `control` and shows `busyLabel` while `work` runs. */
export async function whileBusy<T>(control: HTMLButtonElement, busyLabel: string, work: () => Promise<T>): Promise<T> {
  const label = control.textContent;
  control.disabled = true;
  control.setAttribute("aria-busy", "true");
  control.textContent = busyLabel;
  try {
    return await work();
  } finally {
    control.disabled = false;
    control.removeAttribute("aria-busy");
    control.textContent = label;
  }
}

export function screenTitle(text: string, intro: string): HTMLElement[] {
  return [h("h1", { tabindex: "-1", class: "screen-title" }, text), h("p", { class: "intro" }, intro)];
}

/** Copies `text` to the clipboard, says so on the button for a moment and through the announcer. */
export async function copy(text: string, control: HTMLButtonElement, what = "Text"): Promise<void> {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    // No asynchronous clipboard (WebKitGTK outside a secure context): copy through a hidden text area.
    const area = h("textarea", { class: "offscreen", "aria-hidden": "true", tabindex: "-1" });
    area.value = text;
    const back = document.activeElement instanceof HTMLElement ? document.activeElement : control;
    document.body.append(area);
    area.select();
    copied = document.execCommand("copy");
    area.remove();
    back.focus();
  }
  if (!copied) {
    announce(`${what} could not be copied: select it and press Ctrl+C.`);
    return;
  }
  const label = control.textContent;
  control.textContent = "Copied";
  announce(`${what} copied.`);
  setTimeout(() => (control.textContent = label), 1500);
}

export function copyButton(text: string, label: string): HTMLButtonElement {
  const control: HTMLButtonElement = button(label, () => void copy(text, control));
  return control;
}
