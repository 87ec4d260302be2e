// What assistive technology needs beyond the markup: one live region that is in the page, empty,
// from the start (a region created holding its text is not read out), focus that never falls to
// the page body after a re-render, and disabled buttons that say why.

import { uid } from "./dom";

const ANNOUNCER_ID = "announcer";

/** Creates the one polite live region, empty; called once at start-up. */
export function installAnnouncer(root: Document = document): HTMLElement {
  const existing = root.getElementById(ANNOUNCER_ID);
  if (existing) return existing;
  const region = root.createElement("div");
  region.id = ANNOUNCER_ID;
  region.className = "offscreen";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  root.body.append(region);
  return region;
}

/** Says `text` through the announcer. The same text twice in a row is still a change, so it is read again. */
export function announce(text: string): void {
  const region = document.getElementById(ANNOUNCER_ID) ?? installAnnouncer(document);
  region.textContent = region.textContent === text ? `${text}\u00a0` : text;
}

/** Enables `control`, or disables it with `reason` as its description (and tooltip) so nobody has to guess why. */
export function disableWithReason(control: HTMLButtonElement, reason: string | null): void {
  control.disabled = reason !== null;
  const whyId = control.dataset.whyId ?? `${control.id || uid("button")}-why`;
  control.dataset.whyId = whyId;
  const next = control.nextElementSibling;
  let why = next instanceof HTMLElement && next.id === whyId ? next : document.getElementById(whyId);
  if (reason === null) {
    control.removeAttribute("title");
    control.removeAttribute("aria-describedby");
    why?.remove();
    return;
  }
  control.title = reason;
  if (!why && control.parentElement) {
    why = document.createElement("span");
    why.id = whyId;
    why.className = "why";
    control.after(why);
  }
  // Not placed yet: the title alone describes it until the next call.
  if (!why) return;
  why.textContent = reason;
  control.setAttribute("aria-describedby", whyId);
}

/** True when nothing useful has focus: the page body, or an element a re-render took away. */
export function focusLost(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body || !active.isConnected;
}

/** Focuses `target` (made focusable if it is not), when it exists. */
export function focusOn(target: HTMLElement | null | undefined): void {
  if (!target) return;
  if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) target.tabIndex = -1;
  target.focus();
}

/**
 * Enter in a text field or a list box presses the screen's primary button: `target`, or the one it
 * names at that moment (Connect's is "Check connection" until the identity is checked). A
 * disabled button says why instead.
 */
export function enterSubmits(container: HTMLElement, target: HTMLButtonElement | (() => HTMLButtonElement)): void {
  container.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !submitsOnEnter(event.target)) return;
    event.preventDefault();
    const button = typeof target === "function" ? target() : target;
    if (button.disabled) announce(button.title || "This screen is not complete yet.");
    else button.click();
  });
}

function submitsOnEnter(target: EventTarget | null): boolean {
  if (target instanceof HTMLSelectElement) return true;
  // Not a search box: Enter there finishes the search, it does not leave the screen.
  return target instanceof HTMLInputElement && target.type === "text";
}
