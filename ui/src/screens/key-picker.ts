import type { KeySummary } from "../bindings";
import { button, errorPanel, reportOf, type Context } from "../components";
import { debounce, h } from "../dom";

/** Keys shown (and described) at a time: a screenful, so a big account paints as fast as a small one. */
export const PAGE = 50;

/** Whether the admin typed a key reference (alias, key ARN or key id) rather than a search word. */
export function looksLikeKeyRef(text: string): boolean {
  return /^alias\/./.test(text) || /^arn:[a-z-]+:kms:/.test(text) || /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(text);
}

/** The listed keys that match `query`, in the list's order (aliased keys first). */
export function matching(keys: KeySummary[], query: string): KeySummary[] {
  const q = query.trim().toLowerCase();
  if (q === "") return keys;
  return keys.filter(
    (key) =>
      key.key_id.toLowerCase().includes(q) ||
      key.arn.toLowerCase() === q ||
      key.aliases.some((alias) => alias.toLowerCase().includes(q)) ||
      (key.described && key.description.toLowerCase().includes(q)),
  );
}

/**
 * The existing-key list: every key of the region from one cheap listing; only the rows on screen
 * are described (state, spec, why not usable). A typed alias or ARN is described on its own, so a
 * key the listing cannot show (another account's, or one ListKeys hides from this admin) can still be chosen.
 */
export function keyPicker(ctx: Context, pane: HTMLElement, onPick: () => void): () => Promise<void> {
  const { wizard } = ctx;
  let keys: KeySummary[] = [];
  // Position of each key in `keys`, so a key whose aliases span two pages is merged, not repeated.
  const position = new Map<string, number>();
  let shown = PAGE;
  let query = "";
  let typed: KeySummary | null = null;
  let loading = true;
  // One refresh at a time: a page arriving mid-describe must not describe the same keys again.
  let queue: Promise<void> = Promise.resolve();

  const search = h("input", {
    id: "key-search",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Search by alias, key id or description, or enter a key ARN or alias/…",
    "aria-label": "Search keys, or enter a key ARN or alias",
  });
  const status = h("p", { class: "key-count", "aria-live": "polite" });
  const list = h("ul", {});
  const more = h("div", { class: "key-more" });

  const row = (key: KeySummary) => {
    const radio = h("input", {
      type: "radio",
      name: "existing-key",
      value: key.arn,
      id: `key-${key.key_id}`,
      disabled: !key.usable,
      checked: key.usable && key.arn === wizard.existingKeyArn,
    });
    radio.addEventListener("change", () => {
      wizard.existingKeyArn = key.arn;
      onPick();
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
        key.state ? h("span", { class: `key-state state-${key.state.toLowerCase()}` }, key.state) : null,
        key.description ? h("span", { class: "key-description" }, key.description) : null,
        key.reason ? h("span", { class: "key-reason" }, `Cannot be used: ${key.reason}`) : null,
      ),
    );
  };

  // Describes what is about to be shown that was not described yet, then merges the answers into
  // the listed keys (the listing knows the aliases; DescribeKey knows the rest).
  const describe = async (wanted: KeySummary[]) => {
    const missing = wanted.filter((key) => !key.described);
    if (missing.length === 0) return;
    const answers = await ctx.api.describeKeys(missing.map((key) => key.key_id));
    const byId = new Map(answers.map((answer, i) => [missing[i].key_id, answer]));
    keys = keys.map((key) => {
      const answer = byId.get(key.key_id);
      return answer ? { ...answer, key_id: key.key_id, arn: answer.arn || key.arn, aliases: key.aliases } : key;
    });
  };

  const render = () => {
    const found = matching(keys, query);
    const visible = found.slice(0, shown);
    const rows = visible.map(row);
    if (typed) rows.unshift(row(typed));
    list.replaceChildren(...rows);
    const total = `${keys.length.toLocaleString()} keys${loading ? " so far (still listing)" : ""}`;
    status.textContent =
      query.trim() === ""
        ? `${total} in ${wizard.identity?.region ?? "this region"}; showing ${visible.length.toLocaleString()}. Search to find one, or enter its ARN or alias.`
        : `${found.length.toLocaleString()} of ${total} match; showing ${visible.length.toLocaleString()}.`;
    const rest = found.length - visible.length;
    more.replaceChildren(
      rest > 0
        ? button(`Show ${Math.min(PAGE, rest).toLocaleString()} more (${rest.toLocaleString()} not shown)`, () => void showMore(), "secondary", "key-show-more")
        : "",
    );
  };

  const refreshNow = async () => {
    const text = query.trim();
    const wanted = matching(keys, text).slice(0, shown);
    const exact = wanted.some((key) => key.arn === text || key.key_id === text || key.aliases.includes(text));
    const [, typedAnswer] = await Promise.all([
      describe(wanted),
      looksLikeKeyRef(text) && !exact ? ctx.api.describeKeys([text]).then((answers) => answers[0] ?? null) : Promise.resolve(null),
    ]);
    typed = typedAnswer;
    render();
  };
  const refresh = () => {
    const run = queue.then(refreshNow);
    queue = run.catch(() => undefined);
    return run;
  };

  const showMore = async () => {
    shown += PAGE;
    try {
      await refresh();
    } catch (error) {
      more.replaceChildren(errorPanel(reportOf(error)));
    }
  };

  const onSearch = debounce(() => {
    refresh().catch((error: unknown) => list.replaceChildren(h("li", {}, errorPanel(reportOf(error)))));
  }, 250);
  search.addEventListener("input", () => {
    query = search.value;
    shown = PAGE;
    onSearch();
  });

  const shell = () => {
    const intro =
      keys.length === 0 && !loading
        ? h("p", { class: "empty" }, `This account has no customer-managed keys in ${wizard.identity?.region ?? "this region"} that you may list. Enter a key ARN or alias above, or choose "Create a new key".`)
        : "";
    pane.replaceChildren(h("fieldset", { class: "key-list" }, h("legend", {}, "Keys in this region"), search, status, intro, list, more));
  };

  return async () => {
    pane.replaceChildren(h("p", { "aria-live": "polite" }, "Loading keys…"));
    let first = true;
    // Pages arrive as AWS lists them: the first is described and painted at once, later ones only
    // grow the count (and the rows, when fewer than a screenful are shown).
    const onPage = (page: KeySummary[]) => {
      for (const key of page) {
        const at = position.get(key.key_id);
        if (at === undefined) {
          position.set(key.key_id, keys.length);
          keys.push(key);
        } else {
          keys[at] = { ...keys[at], aliases: [...keys[at].aliases, ...key.aliases].sort() };
        }
      }
      const painting = refresh();
      if (first) {
        first = false;
        painting.then(shell, (error: unknown) => pane.replaceChildren(errorPanel(reportOf(error))));
      }
    };
    try {
      await ctx.api.listKeys(onPage);
      loading = false;
      await refresh();
      if (first) shell();
      else if (keys.length === 0) shell();
    } catch (error) {
      pane.replaceChildren(errorPanel(reportOf(error)));
    }
  };
}
