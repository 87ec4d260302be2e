import { disableWithReason, enterSubmits } from "../a11y";
import { actions, button, field, reportOf, screenTitle, setStatus, type Context } from "../components";
import { debounce, h } from "../dom";
import { derivedNames } from "../naming";
import type { Wizard } from "../state";
import { keyAccountFields, keyAccountProblem } from "./key-account";
import { keyPicker } from "./key-picker";

/** New key: the alias is checked live against KMS's rules and the region's existing aliases. */
function newKeyFields(ctx: Context, pane: HTMLElement, aliasCheck: { ok: boolean }, refreshNext: () => void): HTMLInputElement {
  const { wizard } = ctx;
  const alias = h("input", { id: "alias", type: "text", value: wizard.alias, autocomplete: "off", spellcheck: "false" });
  const aliasField = field(
    "Alias",
    alias,
    `Made from the application name${wizard.appName ? ` ${wizard.appName}` : ""}; you may change it. Starts with alias/, then letters, digits, /, _ or -. Your team will recognise the key by it.`,
  );
  const description = h("textarea", { id: "description", rows: "2" });
  description.value = wizard.description;
  description.addEventListener("input", () => {
    wizard.description = description.value;
    wizard.edited.description = description.value !== derivedNames(wizard.appName).description;
  });
  const checkAlias = debounce(async (value: string) => {
    try {
      const check = await ctx.api.checkAlias(value);
      if (alias.value !== value) return;
      aliasCheck.ok = check.ok;
      setStatus(aliasField, check.ok ? "ok" : "bad", check.ok ? "✓ Available" : (check.message ?? "Not valid"));
    } catch (error) {
      aliasCheck.ok = false;
      setStatus(aliasField, "bad", reportOf(error).message);
    }
    refreshNext();
  }, 300);
  alias.addEventListener("input", () => {
    wizard.alias = alias.value;
    // Changed by hand, it no longer follows the application name (typed back, it does again).
    wizard.edited.alias = alias.value !== derivedNames(wizard.appName).alias;
    aliasCheck.ok = false;
    refreshNext();
    setStatus(aliasField, "pending", "Checking…");
    checkAlias(alias.value);
  });
  pane.append(aliasField.wrapper, field("Description (optional)", description).wrapper);
  return alias;
}

function keyModeChoice(wizard: Wizard, showMode: () => void, value: "new" | "existing", label: string, help: string): HTMLElement {
  const radio = h("input", { type: "radio", name: "key-mode", id: `mode-${value}`, value, checked: wizard.keyMode === value });
  radio.addEventListener("change", () => {
    wizard.keyMode = value;
    showMode();
  });
  return h("div", { class: "choice" }, radio, h("label", { for: radio.id }, h("strong", {}, label), h("span", { class: "choice-help" }, help)));
}

function keyModeChoices(wizard: Wizard, showMode: () => void): HTMLElement {
  return h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, "Which key?"),
    keyModeChoice(wizard, showMode, "new", "Create a new key", "A symmetric encryption key made for this application (recommended)."),
    keyModeChoice(wizard, showMode, "existing", "Use an existing key", "A key your account already manages in this region."),
  );
}

export function keyScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const next = button("Continue", () => ctx.go("account"), "primary", "key-continue");
  const newPane = h("div", { class: "choice-pane", id: "new-key-pane" });
  const existingPane = h("div", { class: "choice-pane", id: "existing-key-pane" });
  const aliasCheck = { ok: false };
  const refreshNext = () => {
    const reason =
      wizard.keyMode === "new"
        ? aliasCheck.ok
          ? null
          : "Choose an alias that is free in this account first."
        : wizard.existingKeyArn === null
          ? "Choose a usable key first."
          : keyAccountProblem(ctx);
    disableWithReason(next, reason);
  };
  const alias = newKeyFields(ctx, newPane, aliasCheck, refreshNext);
  // Existing key: the account's keys from one listing, described as they come on screen.
  const loadKeys = keyPicker(ctx, existingPane, refreshNext);
  // A key of another account is not in this account's listing: entered by ARN, with the profile
  // of the account that holds it.
  const otherAccountPane = h("div", { class: "choice-pane", id: "other-account-key-pane" }, keyAccountFields(ctx, refreshNext));
  let keysLoaded = false;
  const showMode = () => {
    newPane.hidden = wizard.keyMode !== "new";
    existingPane.hidden = wizard.keyMode !== "existing";
    otherAccountPane.hidden = wizard.keyMode !== "existing";
    if (wizard.keyMode === "existing" && !keysLoaded) {
      keysLoaded = true;
      void loadKeys();
    }
    refreshNext();
  };
  const buttons = actions(button("Back", () => ctx.go("app")), next);
  showMode();
  alias.dispatchEvent(new Event("input"));

  const body = h(
    "section",
    { class: "screen-body", "data-screen": "key" },
    ...screenTitle(
      "Master key",
      "The master key (a KMS key) protects the data keys that MongoDB uses to encrypt your fields. It never leaves AWS.",
    ),
    keyModeChoices(wizard, showMode),
    newPane,
    existingPane,
    otherAccountPane,
    buttons,
  );
  enterSubmits(body, next);
  return body;
}
