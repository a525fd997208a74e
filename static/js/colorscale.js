// Colour by a swept value: a continuous scale (log when the values span decades) for numbers, the
// palette for names; and its key, a colour bar or swatches, that says what the colour means.
import { runColor, theme } from "./colors.js";
import { fmtParam } from "./numbers.js";

// viridis at five stops, the scale matplotlib made the default for being readable in greyscale
const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function hex(rgb) {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

// On the dark background viridis starts past its darkest purples, which would vanish there.
const low = () => (theme() === "dark" ? 0.3 : 0);

// The colour at t in [0, 1] of the scale as the theme shows it.
function shade(t) {
  return viridis(low() + (1 - low()) * t);
}

// The colour at t in [0, 1].
export function viridis(t) {
  const x = Math.min(Math.max(t, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(x), STOPS.length - 2);
  const f = x - i;
  return hex(STOPS[i].map((c, k) => c + (STOPS[i + 1][k] - c) * f));
}

// A value on a log axis when every value is positive and they span at least a decade.
export function spansDecades(values) {
  const nums = values.filter((v) => typeof v === "number");
  return nums.length > 1 && nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) >= 10;
}

// value -> colour for `values`: numbers on a (log) continuous scale, anything else by its order.
export function colorScale(values) {
  const distinct = [...new Set(values.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v));
  const numeric = distinct.length > 0 && distinct.every((v) => typeof v === "number");
  if (!numeric) {
    const index = new Map(distinct.map((v, i) => [JSON.stringify(v), i]));
    const color = (v) => runColor(index.get(JSON.stringify(v)));
    return { kind: "categorical", color, distinct };
  }
  const log = spansDecades(distinct);
  const f = log ? Math.log10 : (v) => v;
  const [lo, hi] = [Math.min(...distinct.map(f)), Math.max(...distinct.map(f))];
  const color = (v) => shade(hi > lo ? (f(v) - lo) / (hi - lo) : 0.5);
  return { kind: log ? "log" : "linear", color, distinct, min: Math.min(...distinct), max: Math.max(...distinct) };
}

const gradient = () => `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(shade).join(", ")})`;

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

// Fill `box` with the scale's key: a colour bar for numbers, swatches for names.
export function drawKey(box, field, scale) {
  box.replaceChildren();
  box.dataset.kind = scale.kind;
  const what = scale.kind === "log" ? `${field}, log scale` : field;
  box.append(span("key-title", `colour follows ${what}, not the run id:`));
  if (scale.kind === "categorical") {
    for (const value of scale.distinct) {
      const item = span("key-item", String(value));
      item.prepend(span("swatch", ""));
      item.firstChild.style.background = scale.color(value);
      box.append(item);
    }
    return;
  }
  const bar = span("color-bar", "");
  bar.style.background = gradient();
  box.append(span("key-end", fmtParam(scale.min)), bar, span("key-end", fmtParam(scale.max)));
}
