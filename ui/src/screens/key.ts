import type { KeySummary } from "../bindings";
import { actions, button, errorPanel, field, reportOf, screenTitle, setStatus, type Context } from "../components";
import { debounce, h } from "../dom";

export function keyScreen(ctx: Context): HTMLElement {
  const { wizard } = ctx;
  const next = button("Continue", () => ctx.go("account"), "primary", "key-continue");
  const newPane = h("div", { class: "choice-pane", id: "new-key-pane" });
  const existingPane = h("div", { class: "choice-pane", id: "existing-key-pane" });
  let aliasOk = false;

  const refreshNext = () => {
    next.disabled = wizard.keyMode === "new" ? !aliasOk : wizard.existingKeyArn === null;
  };

  // New key: alias checked live against KMS's rules and the region's existing aliases.
  const alias = h("input", { id: "alias", type: "text", value: wizard.alias, autocomplete: "off", spellcheck: "false" });
  const aliasField = field("Alias", alias, "Starts with alias/, then letters, digits, /, _ or -. Your team will recognise the key by it.");
  const description = h("textarea", { id: "description", rows: "2" });
  description.value = wizard.description;
  description.addEventListener("input", () => (wizard.description = description.value));
  const checkAlias = debounce(async (value: string) => {
    try {
      const check = await ctx.api.checkAlias(value);
      if (alias.value !== value) return;
      aliasOk = check.ok;
      setStatus(aliasField, check.ok ? "ok" : "bad", check.ok ? "✓ Available" : (check.message ?? "Not valid"));
    } catch (error) {
      aliasOk = false;
      setStatus(aliasField, "bad", reportOf(error).message);
    }
    refreshNext();
  }, 300);
  alias.addEventListener("input", () => {
    wizard.alias = alias.value;
    aliasOk = false;
    refreshNext();
    setStatus(aliasField, "pending", "Checking…");
    checkAlias(alias.value);
  });
  newPane.append(aliasField.wrapper, field("Description (optional)", description).wrapper);

  // Existing key: the account's customer-managed keys, unsuitable ones shown but not selectable.
  const renderKeys = (keys: KeySummary[]) => {
    existingPane.replaceChildren();
    if (keys.length === 0) {
      existingPane.append(h("p", { class: "empty" }, `This account has no customer-managed keys in ${wizard.identity?.region ?? "this region"}. Choose "Create a new key" instead.`));
      return;
    }
    const rows = keys.map((key) => {
      const radio = h("input", {
        type: "radio",
        name: "existing-key",
        value: key.arn,
        id: `key-${key.key_id}`,
        disabled: !key.usable,
        checked: key.arn === wizard.existingKeyArn,
      });
      radio.addEventListener("change", () => {
        wizard.existingKeyArn = key.arn;
        refreshNext();
      });
      const name = key.aliases.length > 0 ? key.aliases.join(", ") : "(no alias)";
      return h(
        "li",
        { class: key.usable ? "key-row" : "key-row key-unusable" },
        radio,
        h(
          "label",
          { for: radio.id },
          h("span", { class: "key-name" }, name),
          h("span", { class: "key-id mono" }, key.key_id),
          h("span", { class: `key-state state-${key.state.toLowerCase()}` }, key.state),
          key.description ? h("span", { class: "key-description" }, key.description) : null,
          key.reason ? h("span", { class: "key-reason" }, `Cannot be used: ${key.reason}`) : null,
        ),
      );
    });
    existingPane.append(h("fieldset", { class: "key-list" }, h("legend", {}, "Keys in this region"), h("ul", {}, ...rows)));
  };
  const loadKeys = async () => {
    existingPane.replaceChildren(h("p", { "aria-live": "polite" }, "Loading keys…"));
    try {
      renderKeys(await ctx.api.listKeys());
    } catch (error) {
      existingPane.replaceChildren(errorPanel(reportOf(error)));
    }
  };

  const mode = (value: "new" | "existing", label: string, help: string) => {
    const radio = h("input", { type: "radio", name: "key-mode", id: `mode-${value}`, value, checked: wizard.keyMode === value });
    radio.addEventListener("change", () => {
      wizard.keyMode = value;
      showMode();
    });
    return h("div", { class: "choice" }, radio, h("label", { for: radio.id }, h("strong", {}, label), h("span", { class: "choice-help" }, help)));
  };
  let keysLoaded = false;
  const showMode = () => {
    newPane.hidden = wizard.keyMode !== "new";
    existingPane.hidden = wizard.keyMode !== "existing";
    if (wizard.keyMode === "existing" && !keysLoaded) {
      keysLoaded = true;
      void loadKeys();
    }
    refreshNext();
  };
  showMode();
  alias.dispatchEvent(new Event("input"));

  return h(
    "section",
    { class: "screen-body", "data-screen": "key" },
    ...screenTitle(
      "Master key",
      "The master key (a KMS key) protects the data keys that MongoDB uses to encrypt your fields. It never leaves AWS.",
    ),
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, "Which key?"),
      mode("new", "Create a new key", "A symmetric encryption key made for this application (recommended)."),
      mode("existing", "Use an existing key", "A key your account already manages in this region."),
    ),
    newPane,
    existingPane,
    actions(button("Back", () => ctx.go("connect")), next),
  );
}
