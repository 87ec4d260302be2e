import { actions, button, copy, reportOf, errorPanel, type Context } from "../components";
import { h } from "../dom";

/**
 * The least-privilege IAM policy an admin needs, generated from the same list the code and the
 * README use. Fetched only when opened, so the first screen paints without waiting for it.
 */
export function adminPolicyDetails(ctx: Context): HTMLElement {
  const code = h("pre", { class: "code", id: "admin-policy", tabindex: "0", "aria-label": "Administrator IAM policy" });
  const area = h("div", {});
  const copyPolicy: HTMLButtonElement = button("Copy policy", () => void copy(code.textContent ?? "", copyPolicy), "secondary", "admin-policy-copy");
  const details = h(
    "details",
    { id: "admin-policy-details" },
    h("summary", {}, "Which AWS permissions do I need?"),
    h("p", {}, "Your AWS identity needs these actions. Give this policy to your AWS administrator, or attach it to the identity you connect with. Its IAM writes are limited to the app's own path (/csfle-provisioner/) and its KMS writes to keys tagged as the app's. The statement LegacySetupsAtRootPath is only for setups made before the app used that path: leave it out if you have none. Deleting a master key is only ever done when you ask for it in a teardown."),
    code,
    actions(copyPolicy),
    area,
  );
  details.addEventListener("toggle", () => {
    if (!details.open || code.textContent) return;
    ctx.api
      .adminPolicy()
      .then((policy) => (code.textContent = policy))
      .catch((error: unknown) => area.replaceChildren(errorPanel(reportOf(error))));
  });
  return details;
}
