// Dates as people read them, with the exact time a hover away (`title`) and in `datetime`.

import { h } from "./dom";

const DAY_MS = 24 * 60 * 60 * 1000;

function relative(date: Date, now: Date): string {
  const startOf = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(date) - startOf(now)) / DAY_MS);
  if (days === 0) return "today";
  if (days === 1) return "tomorrow";
  if (days === -1) return "yesterday";
  return days > 0 ? `in ${days} days` : `${-days} days ago`;
}

/** "Thursday, 31 December 2026 (in 30 days)"; null when `value` is not a date. */
export function dateInWords(value: string | number | Date, now: Date = new Date()): string | null {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const day = date.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  return `${day} (${relative(date, now)})`;
}

/** The exact moment, with its time zone, for the tooltip. */
export function exactTime(date: Date): string {
  return date.toLocaleString("en-GB", { dateStyle: "full", timeStyle: "long" });
}

/** A `<time>` element: the date in words, the exact time on hover. Text that is no date is shown as it is. */
export function timeElement(value: string | number | Date, now: Date = new Date()): HTMLElement {
  const date = value instanceof Date ? value : new Date(value);
  const words = dateInWords(date, now);
  if (words === null) return h("span", {}, String(value));
  return h("time", { datetime: date.toISOString(), title: exactTime(date) }, words);
}
