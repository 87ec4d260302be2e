// The teardown's part in the key's account, for a setup whose key is in another account: the
// statement the setup owns in that key's policy is removed with that account's profile. The app
// recorded the profile's name when it made the setup; where it did not (made on another computer),
// the panel asks for it, and the preview checks it signs in to the key's account first.

import type { TeardownPreview } from "../bindings";
import { field, type Context } from "../components";
import { h } from "../dom";

export interface KeyAccountPart {
  parts: HTMLElement[];
  /** Why Tear down waits on this part, or null. */
  problem: string | null;
  /** The checked profile the teardown passes on, or null. */
  profile: string | null;
}

/** `choose` opens the preview again with the profile the admin picked. */
export function teardownKeyAccount(ctx: Context, name: string, preview: TeardownPreview, choose: (profile: string) => void): KeyAccountPart {
  const access = preview.key_account;
  if (!access) return { parts: [], problem: null, profile: null };
  const account = access.account_id;
  if (!access.problem) {
    const how = access.profile ? `with the profile ${access.profile}, which signs in to that account (checked)` : "with the key account's credentials connected in this session";
    return {
      parts: [h("p", { id: `teardown-key-account-${name}` }, `The key is in account ${account}. Its policy's statement for ${name} is removed there ${how}; the key itself is never touched.`)],
      problem: null,
      profile: access.profile,
    };
  }
  const picker = h(
    "select",
    { id: `teardown-key-profile-${name}` },
    h("option", { value: "" }, "Choose a profile"),
    ...ctx.wizard.info.profiles.map((p) => h("option", { value: p.name, selected: p.name === access.profile }, p.name)),
  );
  picker.addEventListener("change", () => {
    if (picker.value) choose(picker.value);
  });
  const chosen = field(
    "Key's account profile",
    picker,
    `The AWS profile of account ${account}, which holds the key. The app checks that it signs in to that account before it changes anything.`,
  );
  return {
    parts: [
      h("div", { class: "panel panel-note", id: `teardown-key-account-${name}` }, h("p", {}, access.problem), h("p", {}, `The key's policy in account ${account} has a statement for ${name} that only that account can remove. Choose that account's profile below.`)),
      chosen.wrapper,
    ],
    problem: preview.principal_exists ? `Choose the profile of account ${account}, which holds the key.` : null,
    profile: null,
  };
}
