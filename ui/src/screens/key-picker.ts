import type { KeySummary } from "../bindings";
import { button, errorPanel, reportOf, type Context } from "../components";
import { debounce, h } from "../dom";
import { copyControl } from "../handoff";
import type { Wizard } from "../state";

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

function keyRow(wizard: Wizard, key: KeySummary, onPick: () => void): HTMLElement {
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
    // Beside the label, not in it: a button inside a radio's label would choose the key as well.
    key.arn ? copyControl(key.arn, `key ARN of ${name}`, `key-${key.key_id}-copy`) : null,
  );
}

/** The picker's state: the keys listed so far, how many are shown, and the search box's text. */
class KeyList {
  private keys: KeySummary[] = [];
  // Position of each key in `keys`, so a key whose aliases span two pages is merged, not repeated.
  private readonly position = new Map<string, number>();
  private shown = PAGE;
  private query = "";
  private typed: KeySummary | null = null;
  private loading = true;
  // One refresh at a time: a page arriving mid-describe must not describe the same keys again.
  private queue: Promise<void> = Promise.resolve();
  private readonly ctx: Context;
  private readonly pane: HTMLElement;
  private readonly onPick: () => void;
  private readonly search = h("input", {
    id: "key-search",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Search by alias, key id or description, or enter a key ARN or alias/…",
    "aria-label": "Search keys, or enter a key ARN or alias",
  });
  private readonly status = h("p", { class: "key-count", "aria-live": "polite" });
  private readonly list = h("ul", {});
  private readonly more = h("div", { class: "key-more" });

  constructor(ctx: Context, pane: HTMLElement, onPick: () => void) {
    this.ctx = ctx;
    this.pane = pane;
    this.onPick = onPick;
    const onSearch = debounce(() => {
      this.refresh().catch((error: unknown) => this.list.replaceChildren(h("li", {}, errorPanel(reportOf(error)))));
    }, 250);
    this.search.addEventListener("input", () => {
      this.query = this.search.value;
      this.shown = PAGE;
      onSearch();
    });
  }

  get count(): number {
    return this.keys.length;
  }

  finishListing(): void {
    this.loading = false;
  }

  /** Adds a listed page; a key already listed under another alias gains the alias instead. */
  add(page: KeySummary[]): void {
    for (const key of page) {
      const at = this.position.get(key.key_id);
      if (at === undefined) {
        this.position.set(key.key_id, this.keys.length);
        this.keys.push(key);
      } else {
        this.keys[at] = { ...this.keys[at], aliases: [...this.keys[at].aliases, ...key.aliases].sort() };
      }
    }
  }

  // Describes what is about to be shown that was not described yet, then merges the answers into
  // the listed keys (the listing knows the aliases; DescribeKey knows the rest).
  private async describe(wanted: KeySummary[]): Promise<void> {
    const missing = wanted.filter((key) => !key.described);
    if (missing.length === 0) return;
    const answers = await this.ctx.api.describeKeys(missing.map((key) => key.key_id));
    const byId = new Map(answers.map((answer, i) => [missing[i].key_id, answer]));
    this.keys = this.keys.map((key) => {
      const answer = byId.get(key.key_id);
      return answer ? { ...answer, key_id: key.key_id, arn: answer.arn || key.arn, aliases: key.aliases } : key;
    });
  }

  private render(): void {
    const found = matching(this.keys, this.query);
    const visible = found.slice(0, this.shown);
    const rows = visible.map((key) => keyRow(this.ctx.wizard, key, this.onPick));
    if (this.typed) rows.unshift(keyRow(this.ctx.wizard, this.typed, this.onPick));
    this.list.replaceChildren(...rows);
    const total = `${this.keys.length.toLocaleString()} keys${this.loading ? " so far (still listing)" : ""}`;
    this.status.textContent =
      this.query.trim() === ""
        ? `${total} in ${this.ctx.wizard.identity?.region ?? "this region"}; showing ${visible.length.toLocaleString()}. Search to find one, or enter its ARN or alias.`
        : `${found.length.toLocaleString()} of ${total} match; showing ${visible.length.toLocaleString()}.`;
    const rest = found.length - visible.length;
    this.more.replaceChildren(
      rest > 0
        ? button(`Show ${Math.min(PAGE, rest).toLocaleString()} more (${rest.toLocaleString()} not shown)`, () => void this.showMore(), "secondary", "key-show-more")
        : "",
    );
  }

  private async refreshNow(): Promise<void> {
    const text = this.query.trim();
    const wanted = matching(this.keys, text).slice(0, this.shown);
    const exact = wanted.some((key) => key.arn === text || key.key_id === text || key.aliases.includes(text));
    const [, typedAnswer] = await Promise.all([
      this.describe(wanted),
      looksLikeKeyRef(text) && !exact ? this.ctx.api.describeKeys([text]).then((answers) => answers[0] ?? null) : Promise.resolve(null),
    ]);
    this.typed = typedAnswer;
    this.render();
  }

  refresh(): Promise<void> {
    const run = this.queue.then(() => this.refreshNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async showMore(): Promise<void> {
    this.shown += PAGE;
    try {
      await this.refresh();
    } catch (error) {
      this.more.replaceChildren(errorPanel(reportOf(error)));
    }
  }

  /** Replaces the loading note with the search box and the list. */
  shell(): void {
    const intro =
      this.keys.length === 0 && !this.loading
        ? h("p", { class: "empty" }, `This account has no customer-managed keys in ${this.ctx.wizard.identity?.region ?? "this region"} that you may list. Enter a key ARN or alias above, or choose "Create a new key".`)
        : "";
    this.pane.replaceChildren(h("fieldset", { class: "key-list" }, h("legend", {}, "Keys in this region"), this.search, this.status, intro, this.list, this.more));
  }

  fail(error: unknown): void {
    this.pane.replaceChildren(errorPanel(reportOf(error)));
  }
}

/** Lists the region's keys into the picker. */
async function load(ctx: Context, pane: HTMLElement, picker: KeyList): Promise<void> {
  pane.replaceChildren(h("p", {}, "Loading keys…"));
  let first = true;
  // Pages arrive as AWS lists them: the first is described and painted at once, later ones only
  // grow the count (and the rows, when fewer than a screenful are shown).
  const onPage = (page: KeySummary[]) => {
    picker.add(page);
    const painting = picker.refresh();
    if (first) {
      first = false;
      painting.then(() => picker.shell(), (error: unknown) => picker.fail(error));
    }
  };
  try {
    await ctx.api.listKeys(onPage);
    picker.finishListing();
    await picker.refresh();
    if (first) picker.shell();
    else if (picker.count === 0) picker.shell();
  } catch (error) {
    picker.fail(error);
  }
}

/**
 * The existing-key list: every key of the region from one cheap listing; only the rows on screen
 * are described (state, spec, why not usable). A typed alias or ARN is described on its own, so a
 * key the listing cannot show (another account's, or one ListKeys hides from this admin) can still be chosen.
 */
export function keyPicker(ctx: Context, pane: HTMLElement, onPick: () => void): () => Promise<void> {
  const picker = new KeyList(ctx, pane, onPick);
  return () => load(ctx, pane, picker);
}
