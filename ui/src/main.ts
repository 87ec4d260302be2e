import "./styles.css";
import { installAnnouncer } from "./a11y";
import { errorPanel, reportOf, type Context } from "./components";
import { renderContext } from "./context-bar";
import type { AppInfo, Identity } from "./bindings";
import { api, type Api } from "./ipc";
import { accountScreen } from "./screens/account";
import { applicationScreen } from "./screens/application";
import { applyScreen } from "./screens/apply";
import { connectScreen } from "./screens/connect";
import { doneScreen } from "./screens/done";
import { keyScreen } from "./screens/key";
import { reviewScreen } from "./screens/review";
import { setupsScreen } from "./screens/setups";
import { installRunGuard } from "./run-guard";
import { applyAppName, notEdited } from "./naming";
import { initialWizard, type ScreenName, type Wizard } from "./state";
import { findTabs, installTabs, renderStepper, renderTabs } from "./tabs";

declare global {
  interface Window {
    __CSFLE_APP_INFO__?: AppInfo | null;
  }
}

// Start-up marks, read by the benchmark (bench/bench.py) to see where the time to first screen goes.
performance.mark("csfle:script");

const RENDER: Record<ScreenName, (ctx: Context) => HTMLElement> = {
  connect: connectScreen,
  app: applicationScreen,
  key: keyScreen,
  account: accountScreen,
  review: reviewScreen,
  apply: applyScreen,
  done: doneScreen,
  setups: setupsScreen,
};

export async function start(root: Document, ipc: Api): Promise<Context | null> {
  const screen = root.getElementById("screen");
  const stepper = root.getElementById("stepper");
  const banner = root.getElementById("banner");
  const facts = root.getElementById("context-facts");
  if (!screen || !stepper || !banner || !facts) return null;
  installAnnouncer(root);
  installRunGuard();
  const tabs = findTabs(root);
  // New setup keeps its place: Setups and back returns to the step the admin left.
  let wizardScreen: ScreenName = "connect";
  let endpoint: string | null = null;
  let wizard: Wizard;
  try {
    // Handed over by the app before this script ran (src-tauri/src/lib.rs); asked for otherwise.
    const info = window.__CSFLE_APP_INFO__ ?? (await ipc.appInfo());
    performance.mark("csfle:info");
    wizard = initialWizard(info);
    endpoint = info.endpoint_override;
    renderContext({ banner, facts }, endpoint, null);
  } catch (error) {
    screen.replaceChildren(errorPanel(reportOf(error)));
    return null;
  }
  const ctx: Context = {
    wizard,
    api: ipc,
    setIdentity(identity: Identity | null) {
      wizard.identity = identity;
      if (identity === null) {
        // Whatever was planned belongs to the old identity.
        wizard.plan = null;
        wizard.rolePlan = null;
      }
      renderContext({ banner, facts }, endpoint, identity);
      if (tabs) renderTabs(tabs, (screen.dataset.screen as ScreenName | undefined) ?? "connect", identity !== null);
    },
    go(name: ScreenName) {
      if ((name === "connect" || name === "app" || name === "key") && (wizard.outcome || wizard.roleOutcome)) {
        // A finished setup starts a fresh one; the connection (and where applications run) is kept,
        // the names are not: they belong to the application just set up.
        wizard.outcome = null;
        wizard.roleOutcome = null;
        wizard.plan = null;
        wizard.rolePlan = null;
        wizard.edited = notEdited();
        applyAppName(wizard, "");
      }
      if (name !== "setups") wizardScreen = name;
      renderStepper(stepper, name);
      screen.replaceChildren(RENDER[name](ctx));
      screen.dataset.screen = name;
      if (tabs) renderTabs(tabs, name, wizard.identity !== null);
      // Move focus to the new heading so keyboard and screen-reader users start at the top.
      (screen.querySelector("h1") as HTMLElement | null)?.focus();
    },
  };
  if (tabs) {
    installTabs(tabs, (tab) => {
      ctx.go(tab === "setups" ? "setups" : wizardScreen);
    });
  }
  ctx.go("connect");
  performance.mark("csfle:painted");
  return ctx;
}

if (!import.meta.env.VITEST) {
  void start(document, api);
}
