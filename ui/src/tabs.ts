// "New setup" and "Setups" as two tabs (WAI-ARIA tabs: arrow keys, Home and End move between them,
// Enter or Space opens one). New setup keeps its place: coming back from Setups returns to the
// wizard step the admin left. Within New setup, the steps show where the admin is (aria-current)
// and what is finished (✓).

import { announce } from "./a11y";
import { h } from "./dom";
import { runInProgress } from "./run-guard";
import { SCREENS, type ScreenName } from "./state";

export interface Tabs {
  newSetup: HTMLButtonElement;
  setups: HTMLButtonElement;
  panel: HTMLElement;
  why: HTMLElement;
}

const RUNNING = "A change to AWS is running: wait until it finishes.";
const NOT_CONNECTED = "Check the connection first: Setups lists what this identity's account holds.";

/** Finds the tabs in the page; null when the page has none (a test's bare page). */
export function findTabs(root: Document): Tabs | null {
  const newSetup = root.getElementById("tab-new");
  const setups = root.getElementById("tab-setups");
  const panel = root.getElementById("tab-panel");
  const why = root.getElementById("tabs-why");
  if (!(newSetup instanceof HTMLButtonElement) || !(setups instanceof HTMLButtonElement) || !panel || !why) return null;
  return { newSetup, setups, panel, why };
}

/** Marks the tab of `current` selected (the other one out of the Tab order), and says why Setups is unavailable. */
export function renderTabs(tabs: Tabs, current: ScreenName, connected: boolean): void {
  const onSetups = current === "setups";
  for (const [tab, selected] of [
    [tabs.newSetup, !onSetups],
    [tabs.setups, onSetups],
  ] as const) {
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  tabs.panel.setAttribute("aria-labelledby", onSetups ? tabs.setups.id : tabs.newSetup.id);
  const reason = !connected && !onSetups ? NOT_CONNECTED : null;
  tabs.setups.setAttribute("aria-disabled", String(reason !== null));
  tabs.why.textContent = reason ?? "";
  if (reason) {
    tabs.setups.title = reason;
    tabs.setups.setAttribute("aria-describedby", tabs.why.id);
  } else {
    tabs.setups.removeAttribute("title");
    tabs.setups.removeAttribute("aria-describedby");
  }
}

/** Wires the two tabs: `open` shows a tab's screen; nothing switches while a run changes AWS. */
export function installTabs(tabs: Tabs, open: (tab: "new" | "setups") => void): void {
  const activate = (tab: HTMLButtonElement) => {
    if (tab.getAttribute("aria-selected") === "true") return;
    if (runInProgress()) return announce(RUNNING);
    if (tab.getAttribute("aria-disabled") === "true") return announce(tab.title);
    open(tab === tabs.setups ? "setups" : "new");
    tab.focus();
  };
  tabs.newSetup.addEventListener("click", () => activate(tabs.newSetup));
  tabs.setups.addEventListener("click", () => activate(tabs.setups));
  const list = tabs.newSetup.parentElement;
  list?.addEventListener("keydown", (event) => {
    const order = [tabs.newSetup, tabs.setups];
    const at = order.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: order.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    order[(next + order.length) % order.length]?.focus();
  });
}

/** The wizard's steps: the current one marked (aria-current), finished ones with ✓. */
export function renderStepper(stepper: HTMLElement, current: ScreenName): void {
  const index = SCREENS.findIndex((s) => s.name === current);
  // Setups is the other tab: its panel has no wizard steps.
  const nav = stepper.closest("nav") ?? stepper;
  nav.hidden = index < 0;
  stepper.replaceChildren(
    ...SCREENS.map((screen, i) =>
      h(
        "li",
        {
          class: i < index ? "step step-done" : i === index ? "step step-current" : "step",
          "aria-current": i === index ? "step" : null,
        },
        h("span", { class: "step-number", "aria-hidden": "true" }, i < index ? "✓" : String(i + 1)),
        i < index ? h("span", { class: "why" }, "Finished: ") : null,
        screen.title,
      ),
    ),
  );
}
