import { actions, button, field, reportOf, screenTitle, setStatus, type Context } from "../components";
import { debounce, h } from "../dom";
import { keyPicker } from "./key-picker";

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

  // Existing key: the account's keys from one listing, described as they come on screen.
  const loadKeys = keyPicker(ctx, existingPane, refreshNext);

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
