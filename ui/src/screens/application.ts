// The first question after Connect: what the application is called and where it runs. The answer
// decides user or role (and the role's trust); the name gives the key alias, the user or role and
// the policy their names, each still editable on its own screen.

import { announce, disableWithReason, enterSubmits } from "../a11y";
import { actions, button, field, screenTitle, setStatus, type Context, type Field } from "../components";
import { h } from "../dom";
import { appNameProblem, applyAppName } from "../naming";
import type { Wizard } from "../state";
import { EKS_MODES, principalFor, TRUST_TEXT, trustKindFor, WHERE, WHERE_HELP, type EksMode, type Where } from "../where";

function radio(name: string, id: string, checked: boolean, label: string, help: string, onPick: () => void): HTMLElement {
  const input = h("input", { type: "radio", name, id, checked });
  input.addEventListener("change", onPick);
  return h("div", { class: "choice" }, input, h("label", { for: id }, h("strong", {}, label), h("span", { class: "choice-help" }, help)));
}

/** The names the application name gives, shown as they follow it. */
function derivedList(wizard: Wizard): { list: HTMLElement; render: () => void } {
  const list = h("dl", { class: "facts derived-names", id: "derived-names" });
  const render = () => {
    const principal = wizard.where === null ? "IAM user or role" : principalFor(wizard.where) === "role" ? "IAM role" : "IAM user";
    const name = wizard.principal === "role" ? wizard.roleName : wizard.userName;
    const rows: [string, string, string][] = [
      ["Key alias (if you create a new key)", wizard.alias, "derived-alias"],
      [principal, name, "derived-principal"],
      ["Inline policy", wizard.policyName, "derived-policy"],
    ];
    list.replaceChildren(...rows.flatMap(([label, value, id]) => [h("dt", {}, label), h("dd", { class: "mono", id }, value || "—")]));
  };
  render();
  return { list, render };
}

interface Parts {
  name: HTMLInputElement;
  nameField: Field;
  detail: HTMLInputElement;
  detailField: Field;
  eksModes: HTMLElement;
  derived: { list: HTMLElement; render: () => void };
  next: HTMLButtonElement;
}

/** Shows what the current answers need (EKS's sub-choice, the trust's text) and whether Continue can go. */
function refresh(wizard: Wizard, parts: Parts): void {
  parts.eksModes.hidden = wizard.where !== "eks";
  const text = TRUST_TEXT[wizard.trust];
  const needsText = wizard.principal === "role" && text !== undefined;
  parts.detailField.wrapper.hidden = !needsText;
  if (needsText) {
    const label = parts.detailField.wrapper.querySelector("label");
    if (label) label.textContent = text.label;
    const help = parts.detailField.wrapper.querySelector(".field-help");
    if (help) help.textContent = text.help;
    parts.detail.placeholder = text.placeholder;
  }
  parts.derived.render();
  const reason = appNameProblem(wizard.appName)
    ? "Enter a valid application name first."
    : wizard.where === null
      ? "Choose where your application runs first."
      : needsText && wizard.trustArn.trim() === ""
        ? `Enter the ${text.label.toLowerCase()} first.`
        : null;
  disableWithReason(parts.next, reason);
}

function whereChoices(wizard: Wizard, pick: (where: Where) => void, eksModes: HTMLElement): HTMLElement {
  return h(
    "fieldset",
    { class: "choices", id: "where", "aria-describedby": "where-help" },
    h("legend", {}, "Where does your application run?"),
    h("p", { class: "field-help", id: "where-help" }, WHERE_HELP),
    ...WHERE.flatMap((choice) => {
      const row = radio("where", `where-${choice.value}`, wizard.where === choice.value, choice.label, choice.help, () => pick(choice.value));
      return choice.value === "eks" ? [row, eksModes] : [row];
    }),
  );
}

function eksModeChoices(wizard: Wizard, pick: (mode: EksMode) => void): HTMLElement {
  return h(
    "fieldset",
    { class: "choices sub-choices", id: "eks-mode" },
    h("legend", {}, "How do the pods get credentials?"),
    ...EKS_MODES.map((mode) => radio("eks-mode", `eks-mode-${mode.value}`, wizard.eksMode === mode.value, mode.label, mode.help, () => pick(mode.value))),
  );
}

function nameInput(id: string, value: string, placeholder: string): HTMLInputElement {
  return h("input", { id, type: "text", value, autocomplete: "off", spellcheck: "false", placeholder });
}

export function applicationScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const name = nameInput("app-name", wizard.appName, "orders");
  const nameField = field("Application name", name, "Letters, digits, _ and -. The key alias, the IAM user or role and its policy are named after it; you can change each on the next screens.");
  name.setAttribute("aria-describedby", `${name.getAttribute("aria-describedby") ?? ""} derived-names`.trim());
  const detail = nameInput("trust-arn", wizard.trustArn, "");
  const detailField = field("Principal ARN or account id", detail, TRUST_TEXT.arn.help);
  const next = button("Continue", () => ctx.go("key"), "primary", "app-continue");
  const parts: Parts = { name, nameField, detail, detailField, eksModes: h("div"), derived: derivedList(wizard), next };
  const setTrust = () => {
    if (wizard.where === null) return;
    wizard.principal = principalFor(wizard.where);
    wizard.trust = trustKindFor(wizard.where, wizard.eksMode) ?? wizard.trust;
  };
  parts.eksModes = eksModeChoices(wizard, (mode) => {
    wizard.eksMode = mode;
    setTrust();
    refresh(wizard, parts);
  });
  const choices = whereChoices(wizard, (where) => {
    wizard.where = where;
    setTrust();
    refresh(wizard, parts);
    announce(principalFor(where) === "role" ? "Your application gets an IAM role: no key to store or rotate." : "Your application gets an IAM user with an access key.");
  }, parts.eksModes);
  name.addEventListener("input", () => {
    applyAppName(wizard, name.value);
    const problem = appNameProblem(name.value);
    setStatus(nameField, problem && name.value !== "" ? "bad" : "none", name.value === "" ? "" : (problem ?? ""));
    refresh(wizard, parts);
  });
  detail.addEventListener("input", () => {
    wizard.trustArn = detail.value;
    refresh(wizard, parts);
  });
  setTrust();
  refresh(wizard, parts);
  const body = h(
    "section",
    { class: "screen-body", "data-screen": "app" },
    ...screenTitle("Your application", "Name the application that will encrypt and decrypt, and say where it runs: that decides how it signs in to AWS. Nothing changes in AWS until you confirm the plan."),
    nameField.wrapper,
    h("p", { class: "field-help" }, "It gives these names:"),
    parts.derived.list,
    choices,
    detailField.wrapper,
    actions(button("Back", () => ctx.go("connect")), next),
  );
  enterSubmits(body, next);
  return body;
}
