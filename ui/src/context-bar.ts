// The bar at the top of every screen: where requests go (SANDBOX, a custom endpoint or REAL AWS),
// which account, who is acting and in which region. It stays in view (sticky) during Apply and
// Done, so the admin always sees what the next click acts on.

import type { Identity } from "./bindings";
import { h } from "./dom";
import { endpointBanner } from "./state";

export type Mode = "sandbox" | "custom" | "real";

export function contextMode(endpoint: string | null): { mode: Mode; text: string } {
  const text = endpointBanner(endpoint);
  if (text === null) return { mode: "real", text: "REAL AWS — every change is made in the AWS account below." };
  return { mode: text.startsWith("SANDBOX") ? "sandbox" : "custom", text };
}

export interface ContextBar {
  banner: HTMLElement;
  facts: HTMLElement;
}

/** Shows the mode and, once checked, the identity; "Not connected" until then. */
export function renderContext(bar: ContextBar, endpoint: string | null, identity: Identity | null): void {
  const { mode, text } = contextMode(identity?.endpoint_override ?? endpoint);
  bar.banner.hidden = false;
  bar.banner.textContent = text;
  bar.banner.dataset.mode = mode;
  bar.banner.className = `banner banner-${mode}`;
  if (!identity) {
    bar.facts.replaceChildren(h("span", { id: "context-none" }, "Not connected: check the connection on the Connect screen."));
    return;
  }
  const fact = (label: string, value: string, id: string) => h("span", { class: "context-fact" }, h("span", { class: "context-label" }, `${label} `), h("span", { class: "mono", id }, value));
  bar.facts.replaceChildren(
    fact("Account", identity.account_alias ? `${identity.account_id} (${identity.account_alias})` : identity.account_id, "context-account"),
    fact("Acting as", identity.arn, "context-identity"),
    fact("Region", identity.region, "context-region"),
  );
}
