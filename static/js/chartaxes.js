// Axes shared by every loss chart: ranges, ticks and their labels, and the theme's colours.
// A log axis ticks whole decades, thinned to a label every k decades, however many it spans:
// uPlot's own log splits overflow an array below about 1e-24.
import uPlot from "../vendor/uplot/uPlot.esm.js";

// Above this a diverging run would spread the axis over hundreds of decades.
const LOG_CEILING = 1e20;
const LABEL_SPACE = 28; // px between log labels, at least
const MIN_EXP = -323; // below 1e-323 only 5e-324 (the smallest double above zero) is left

const exp10 = (e) => Number(`1e${e}`); // exact, where 10 ** -24 is 1.0000000000000001e-24

// A log range of whole decades around [min, max], both positive.
export function logRange(min, max) {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(Math.ceil(Math.log10(max)), lo + 1);
  return [lo < MIN_EXP ? Number.MIN_VALUE : exp10(lo), exp10(hi)];
}

// A y range that holds [min, max] (null when there is no data).
export function yRange(min, max, logY) {
  if (min === null || max === null) return logY ? [1, 10] : [0, 1];
  if (!logY) {
    const range = uPlot.rangeNum(min, max, 0.1, true);
    // uPlot's padding is NaN for values near the smallest double
    return range.every(Number.isFinite) ? range : [Math.min(min, 0), Math.max(max, 0) + 1];
  }
  const hi = Math.min(max, LOG_CEILING);
  return logRange(Math.min(min, hi), hi);
}

// Splits for a log axis: 1, 2, 5 per decade over a decade or two, else every k-th decade.
export function logSplits(u, axisIdx, min, max) {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  if (!(hi >= lo)) return [min, max];
  const size = u.axes[axisIdx].side % 2 ? u.bbox.height : u.bbox.width;
  const fits = Math.max(2, Math.floor(size / devicePixelRatio / LABEL_SPACE));
  const every = Math.ceil((hi - lo + 1) / fits);
  const splits = [];
  for (let e = Math.floor(lo / every) * every; e <= hi; e += every) {
    if (e >= lo) splits.push(exp10(e));
    if (hi - lo > 1) continue;
    for (const m of [2, 5]) if (m * exp10(e) < max && m * exp10(e) > min) splits.push(m * exp10(e));
  }
  return splits.sort((a, b) => a - b);
}

export function fmtTick(v) {
  if (v === null) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const [m, e] = v.toExponential(1).split("e");
    return `${m.replace(/\.0$/, "")}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(3)));
}

export function fmtStepTick(v) {
  if (v === null) return "";
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(4))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(4))}k`;
  return String(v);
}

// Log scales get a grid line per decade, not per 2x and 5x as well.
export function decades(u, splits) {
  return splits.map((v) => (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9 ? v : null));
}

// The theme's chart colours, read from the page's CSS variables as it is drawn now.
export function chartColors() {
  const style = getComputedStyle(document.documentElement);
  const read = (name, fallback) => style.getPropertyValue(name).trim()
    || style.getPropertyValue(fallback).trim();
  return { grid: read("--grid", "--line"), axis: read("--axis", "--muted"), text: read("--text", "--text") };
}

// An axis's options: labels, colours, and on a log scale the thinned decade splits.
export function axis(label, log, values = fmtTick, colors = chartColors()) {
  const options = {
    label,
    stroke: colors.axis,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 },
    values: (u, splits) => splits.map(values),
  };
  if (!log) return options;
  return {
    ...options,
    splits: logSplits,
    filter: (u, splits) => splits,
    grid: { ...options.grid, filter: decades },
    ticks: { ...options.ticks, filter: decades },
  };
}
