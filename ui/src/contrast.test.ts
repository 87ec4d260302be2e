// WCAG 2.2 AA colours, computed from the style sheet itself: non-text contrast (input borders,
// the focus ring) at least 3:1 and text at least 4.5:1, in the light and the dark theme.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";

// Vitest runs from ui/ (its config's folder).
const css = readFileSync("src/styles.css", "utf8");

function variables(block: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})\s*;/gi)) found[match[1]] = match[2];
  return found;
}

const light = variables(css.slice(css.indexOf(":root"), css.indexOf("@media (prefers-color-scheme: dark)")));
const dark = { ...light, ...variables(css.slice(css.indexOf("@media (prefers-color-scheme: dark)"), css.indexOf("* { box-sizing"))) };

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function ratio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe.each([
  ["light", light],
  ["dark", dark],
])("the %s theme", (_name, theme) => {
  it("gives input borders and the focus ring 3:1 against the surface and the input fill", () => {
    for (const against of [theme.surface, theme.bg]) {
      expect(ratio(theme["input-border"], against)).toBeGreaterThanOrEqual(3);
      expect(ratio(theme.focus, against)).toBeGreaterThanOrEqual(3);
    }
  });

  it("gives text 4.5:1, the banners included", () => {
    for (const against of [theme.surface, theme.bg]) {
      expect(ratio(theme.text, against)).toBeGreaterThanOrEqual(4.5);
      expect(ratio(theme.muted, against)).toBeGreaterThanOrEqual(4.5);
    }
    expect(ratio(theme["banner-text"], theme["banner-bg"])).toBeGreaterThanOrEqual(4.5);
    expect(ratio(theme["real-text"], theme["real-bg"])).toBeGreaterThanOrEqual(4.5);
    expect(ratio(theme["accent-text"], theme.accent)).toBeGreaterThanOrEqual(4.5);
  });
});

it("sizes the root font relatively, so the reader's text size and zoom apply", () => {
  const root = css.slice(css.indexOf(":root"), css.indexOf("}", css.indexOf(":root")));
  expect(root).toMatch(/font-size:\s*[\d.]+(%|rem)\s*;/);
  expect(root).not.toMatch(/font-size:\s*[\d.]+px/);
});
