// The uPlot series of a loss chart: per run its raw losses (faint behind the EMA when smoothed),
// the EMA, and the running minimum; which of them the tooltip lists; and the note under the chart.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { fmtInt, fmtLoss } from "./numbers.js";

const FAINT = "40"; // alpha appended to a #rrggbb colour
const STEPPED = uPlot.paths.stepped({ align: 1 }); // a value holds until the next one

// One run's series. On a chart of several runs its EMA (or raw line) is the one in the legend,
// and the others follow it when it is hidden (`group`). A `stepped` line (a hyperparameter's
// values) holds each value until the next.
function lineSeries({ key, label, color, stepped }, i, opts, value, single) {
  const { smoothing, runMin, hidden } = opts;
  const smoothed = smoothing > 0;
  const base = { value, spanGaps: true, line: i, points: { show: false }, ...(stepped ? { paths: STEPPED } : {}) };
  const group = single ? {} : { group: i };
  const visible = (k) => !hidden.includes(k);
  const main = (name, k) => ({ ...base, ...group, label: name, key: k, main: true, show: visible(k) });
  const aux = (name, k, extra) => (single
    ? { ...base, label: name, key: k, show: visible(k), ...extra }
    : { ...base, ...group, label: name, class: "aux", show: visible(key), ...extra });
  const out = [];
  if (smoothed) {
    out.push(aux(single ? "loss" : `${label} raw`, "loss", { stroke: color + FAINT, width: 1 }));
    out.push({ ...main(single ? "EMA" : label, single ? "ema" : key), stroke: color, width: 2 });
  } else {
    out.push({ ...main(single ? "loss" : label, single ? "loss" : key), stroke: color, width: 1.5 });
  }
  if (runMin) {
    const extra = { stroke: color, width: 1, dash: [5, 4] };
    out.push(aux(single ? "running min" : `${label} min`, "min", extra));
  }
  return out;
}

// Every run's series, in the order of lineData's columns.
export function seriesOptions(lines, opts, value) {
  const single = lines.length === 1;
  return lines.flatMap((line, i) => lineSeries(line, i, opts, value, single));
}

// The series the tooltip lists: each run's main line, or every series of a lone run.
export function tipEntries(u, lineCount) {
  const entries = [];
  u.series.forEach((s, index) => {
    if (index > 0 && (lineCount === 1 || s.main)) entries.push({ index, label: s.label });
  });
  return entries;
}

// What the chart cannot show: points at or below zero on a log axis, points clipped as outliers.
export function chartNote(hidden, clipped) {
  const parts = [];
  if (hidden > 0) {
    const points = hidden === 1 ? "1 point" : `${fmtInt(hidden)} points`;
    parts.push(`${points} ≤ 0 not drawn on the log scale`);
  }
  if (clipped > 0) {
    const points = clipped === 1 ? "1 point" : `${fmtInt(clipped)} points`;
    parts.push(`${points} outside the 0.5–99.5 percentile range clipped (ignore outliers)`);
  }
  return parts.length ? [parts.join(" · ")] : [];
}

// "best 1.234e-5 at step 1,234", the numbers set apart.
export function bestCaption(best) {
  if (best === null || best === undefined) return [];
  const number = (text) => Object.assign(document.createElement("span"), { textContent: text });
  return ["● best ", number(fmtLoss(best.loss)), " at step ", number(fmtInt(best.step))];
}
