import { field, type Context } from "../components";
import { h } from "../dom";

/** The account of a key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`), else null. */
export function keyAccountOf(text: string): string | null {
  const match = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key\/[A-Za-z0-9-]+$/.exec(text.trim());
  return match ? match[1] : null;
}

/** Why Continue waits on this part, or null. */
export function keyAccountProblem(ctx: Context): string | null {
  const { wizard } = ctx;
  if (wizard.keyMode !== "existing" || wizard.existingKeyArn === null) return null;
  const account = keyAccountOf(wizard.existingKeyArn);
  const other = account !== null && account !== wizard.identity?.account_id;
  return other && !wizard.keyProfile ? `Choose the profile of account ${account}, which holds the key.` : null;
}

/**
 * A key kept in another account (a security account) than the application's: its ARN, and the
 * optional "Key's account profile" shown once the ARN names another account. The plan then adds
 * one statement to that key's policy with that profile's credentials.
 */
export function keyAccountFields(ctx: Context, onChange: () => void): HTMLElement {
  const { wizard } = ctx;
  const typed = h("input", {
    id: "other-account-key",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "arn:aws:kms:REGION:ACCOUNT:key/ID",
  });
  const profile = h(
    "select",
    { id: "key-profile" },
    h("option", { value: "" }, "Choose a profile"),
    ...wizard.info.profiles.map((p) => h("option", { value: p.name }, p.name)),
  );
  const profileField = field(
    "Key's account profile",
    profile,
    "The AWS profile of the account that holds the key. The key's policy gets one statement naming your application (kms:Encrypt and kms:Decrypt only), written with this profile; every other statement stays as it is.",
  );
  profileField.wrapper.hidden = true;
  const note = h("p", { class: "field-help", id: "key-account-note", "aria-live": "polite" });
  const update = () => {
    const arn = typed.value.trim();
    const account = keyAccountOf(arn);
    const other = account !== null && account !== wizard.identity?.account_id;
    profileField.wrapper.hidden = !other;
    if (other) {
      wizard.existingKeyArn = arn;
      wizard.keyProfile = profile.value || null;
      note.textContent = `This key is in account ${account}, not in ${wizard.identity?.account_id ?? "yours"}: both accounts must allow your application to use it.`;
    } else {
      if (wizard.keyProfile !== null || (wizard.existingKeyArn !== null && wizard.existingKeyArn === arn)) wizard.existingKeyArn = null;
      wizard.keyProfile = null;
      note.textContent = arn !== "" && account === null ? "Enter the key's full ARN, as the key's account shows it in the KMS console." : "";
    }
    onChange();
  };
  typed.addEventListener("input", update);
  profile.addEventListener("change", update);
  return h(
    "fieldset",
    { class: "key-account", id: "key-account" },
    h("legend", {}, "Or a key in another account"),
    field("Key ARN in another account", typed, "For a key your organisation keeps in a separate (security) account.").wrapper,
    note,
    profileField.wrapper,
  );
}
