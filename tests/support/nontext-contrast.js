// WCAG 1.4.11 (non-text contrast), which axe-core does not check: every enabled input, select,
// textarea and button must be told apart from what surrounds it by ≥ 3:1 (its border or its fill
// against the background behind it), and the focus ring must reach 3:1 against the background
// behind every focusable element. Run in the app window by the end-to-end harness (execute/sync);
// arguments[0] is the focus ring as drawn on an element the keyboard reached ({color, style, width}).
const ring = arguments[0];

function parse(text) {
  const m = /^rgba?\(([^)]*)\)$/.exec(String(text).trim());
  if (!m) return null;
  const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}
function over(top, bottom) {
  const a = top.a + bottom.a * (1 - top.a);
  if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
  const mix = (t, b) => (t * top.a + b * bottom.a * (1 - top.a)) / a;
  return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a };
}
function luminance(c) {
  const lin = (v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}
function ratio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
// The colour painted behind `el`: its ancestors' backgrounds composited down to the page canvas.
function behind(el) {
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg && bg.a > 0) layers.push(bg);
    if (bg && bg.a === 1) break;
  }
  const canvas = matchMedia("(prefers-color-scheme: dark)").matches ? { r: 0, g: 0, b: 0, a: 1 } : { r: 255, g: 255, b: 255, a: 1 };
  return layers.reverse().reduce((acc, layer) => over(layer, acc), canvas);
}
function visible(el) {
  const style = getComputedStyle(el);
  return el.getClientRects().length > 0 && style.visibility !== "hidden" && style.display !== "none";
}
function describe(el) {
  return el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ").join(".") : ""} "${(el.textContent || "").trim().slice(0, 30)}"`;
}
const fmt = (c) => `rgb(${Math.round(c.r)}, ${Math.round(c.g)}, ${Math.round(c.b)})`;
const failures = [];
const checked = { components: 0, focusable: 0 };
const components = document.querySelectorAll('input:not([type="hidden"]):not([type="radio"]):not([type="checkbox"]), select, textarea, button');
for (const el of components) {
  // Inactive components are exempt (WCAG 1.4.11).
  if (el.disabled || !visible(el)) continue;
  checked.components += 1;
  const style = getComputedStyle(el);
  const around = el.parentElement ? behind(el.parentElement) : behind(el);
  const fill = over(parse(style.backgroundColor) ?? { r: 0, g: 0, b: 0, a: 0 }, around);
  const hasBorder = style.borderTopStyle !== "none" && parseFloat(style.borderTopWidth) > 0;
  const border = hasBorder ? parse(style.borderTopColor) : null;
  const borderRatio = border ? ratio(over(border, around), around) : 0;
  const fillRatio = ratio(fill, around);
  // A button drawn as plain text (no border, no fill) is identified by its text, which axe checks.
  if (el.tagName === "BUTTON" && !border && (parse(style.backgroundColor)?.a ?? 0) === 0) continue;
  if (Math.max(borderRatio, fillRatio) < 3) {
    failures.push(`${describe(el)}: border ${border ? fmt(border) : "none"} is ${borderRatio.toFixed(2)}:1 and fill ${fmt(fill)} is ${fillRatio.toFixed(2)}:1 against ${fmt(around)} (3:1 needed)`);
  }
}
if (!ring) {
  failures.push("Tab reached no element (focus went to the page body): the focus ring could not be checked");
} else {
  const color = parse(ring.color);
  if (ring.style === "none" || parseFloat(ring.width) < 2 || !color) {
    failures.push(`focus ring: ${ring.style} ${ring.width} ${ring.color} on ${ring.on} (a visible outline of at least 2px is needed)`);
  } else {
    const focusable = document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])');
    for (const el of focusable) {
      if (el.disabled || !visible(el)) continue;
      checked.focusable += 1;
      // The ring is drawn outside the element (outline-offset), on what is behind it.
      const around = el.parentElement ? behind(el.parentElement) : behind(el);
      const r = ratio(over(color, around), around);
      if (r < 3) failures.push(`focus ring ${fmt(color)} around ${describe(el)} is ${r.toFixed(2)}:1 against ${fmt(around)} (3:1 needed)`);
    }
  }
}
return { failures, checked, dark: matchMedia("(prefers-color-scheme: dark)").matches };
