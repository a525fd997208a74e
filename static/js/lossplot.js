// Loss charts for the run and compare pages: bounded series buffers and a uPlot wrapper that
// redraws at most once a frame. A chart never holds more than ~2 x LIMIT points per run, however
// long the run: older points are thinned (each bucket keeps its min and max), as the server does.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { fmtInt, fmtLoss } from "./numbers.js";

const LIMIT = 4000;
export const PALETTE = ["#3451b2", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285",
  "#a08000", "#495057"];

// Indices of at most maxPoints points: both ends and each bucket's min and max, in order.
export function decimate(values, maxPoints) {
  const n = values.length;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const size = Math.ceil(n / buckets);
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  for (let start = 0; start < n; start += size) {
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < Math.min(start + size, n); i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    keep[lo] = keep[hi] = 1;
  }
  const out = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}

// One run's steps, losses and times: the decimated history, then every live point after it.
export class LossSeries {
  constructor(limit = LIMIT) {
    this.limit = limit;
    this.step = [];
    this.loss = [];
    this.time = [];
    this.lastStep = -1;
  }

  get length() {
    return this.step.length;
  }

  addHistory({ step, loss, time }) {
    for (let i = 0; i < step.length; i++) this.push(step[i], loss[i], time[i]);
    this.compact();
  }

  // A websocket "points" message: steps start, start+1, ...
  addPoints({ start, loss, time }) {
    for (let i = 0; i < loss.length; i++) this.push(start + i, loss[i], time[i]);
    this.compact();
  }

  push(step, loss, time) {
    if (step <= this.lastStep) return; // already have it
    this.step.push(step);
    this.loss.push(loss);
    this.time.push(time);
    this.lastStep = step;
  }

  compact() {
    if (this.step.length <= 2 * this.limit) return;
    const keep = decimate(this.loss, this.limit);
    for (const key of ["step", "loss", "time"]) this[key] = keep.map((i) => this[key][i]);
  }
}

// Exponential moving average, debiased like TensorBoard's and aware of gaps between steps
// (a thinned series); in log mode it averages log(loss), which follows a curve that falls
// over ten decades instead of lagging behind it.
export function smooth(steps, values, weight, log) {
  const out = new Array(values.length);
  let num = 0;
  let den = 0;
  let prev = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v) || (log && v <= 0)) {
      out[i] = null;
      continue;
    }
    const w = weight ** (prev === null ? 1 : steps[i] - prev);
    num = num * w + (1 - w) * (log ? Math.log(v) : v);
    den = den * w + (1 - w);
    out[i] = log ? Math.exp(num / den) : num / den;
    prev = steps[i];
  }
  return out;
}

// A log axis stops at these: below about 1e-25 float error makes uPlot's tick loop run until
// the array overflows (a run that converged to 1e-30 did), and above 1e20 a diverging run
// would spread the axis over hundreds of decades.
const LOG_FLOOR = 1e-15;
const LOG_CEILING = 1e20;

// A y range that holds [min, max] (null when there is no data), within what a log axis can tick.
export function yRange(min, max, logY) {
  if (min === null || max === null) return logY ? [1, 10] : [0, 1];
  if (!logY) return uPlot.rangeNum(min, max, 0.1, true);
  const lo = Math.min(Math.max(min, LOG_FLOOR), LOG_CEILING / 10);
  return uPlot.rangeLog(lo, Math.max(Math.min(max, LOG_CEILING), lo * 10), 10, true);
}

function positive(values) {
  return values.map((v) => (v > 0 ? v : null));
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

// Log scales get a grid line per decade, not per 2x, 3x, ... 9x as well.
export function decades(u, splits) {
  return splits.map((v) => (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9 ? v : null));
}

export function fmtStepTick(v) {
  if (v === null) return "";
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(4))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(4))}k`;
  return String(v);
}

// A uPlot chart of one or more LossSeries (`lines`: [{label, color, series}]).
export class LossChart {
  // `onCursor` hears the step under the cursor of a one-run chart (null when it leaves).
  constructor(container, lines, { logY = true, xKey = "step", smoothing = 0, onCursor } = {}) {
    this.container = container;
    this.lines = lines;
    this.opts = { logY, xKey, smoothing };
    this.onCursor = onCursor;
    this.zoomed = false;
    this.plot = null;
    this.frame = 0;
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  // Change log/linear, step/seconds or smoothing; rebuilds uPlot only when its shape changes.
  set(changes) {
    const before = this.shape();
    Object.assign(this.opts, changes);
    if (this.shape() !== before) this.destroy();
    this.update();
  }

  shape() {
    const { logY, xKey, smoothing } = this.opts;
    return `${logY}/${xKey}/${smoothing > 0}/${this.lines.length}`;
  }

  destroy() {
    this.plot?.destroy();
    this.plot = null;
  }

  // Ask for a redraw: many calls within a frame cost one.
  update() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redraw();
    });
  }

  redraw() {
    const data = this.data();
    const points = this.lines.reduce((sum, line) => sum + line.series.length, 0);
    Object.assign(this.container.dataset, { points, series: this.lines.length });
    if (this.plot === null) {
      this.plot = new uPlot(this.options(), data, this.container);
      this.plot.over.addEventListener("dblclick", () => {
        this.zoomed = false;
      });
    } else {
      this.plot.setData(data, !this.zoomed);
    }
    Object.assign(this.container.dataset, { yDistr: this.plot.scales.y.distr, xKey: this.opts.xKey });
  }

  size() {
    const width = Math.max(this.container.clientWidth, 200);
    return { width, height: this.container.classList.contains("tall") ? 480 : 420 };
  }

  ys(series) {
    const { logY, smoothing } = this.opts;
    const raw = logY ? positive(series.loss) : series.loss;
    return smoothing > 0 ? [raw, smooth(series.step, series.loss, smoothing, logY)] : [raw];
  }

  data() {
    const { xKey } = this.opts;
    if (this.lines.length === 1) {
      const { series } = this.lines[0];
      return [series[xKey], ...this.ys(series)];
    }
    // runs thinned differently have different steps: join them on the union of their x values
    return uPlot.join(this.lines.map(({ series }) => [series[xKey], this.ys(series).at(-1)]));
  }

  seriesOptions() {
    const smoothed = this.opts.smoothing > 0;
    const value = (u, v) => fmtLoss(v);
    if (this.lines.length === 1) {
      const { color } = this.lines[0];
      const raw = { label: "loss", stroke: smoothed ? `${color}40` : color, width: smoothed ? 1 : 1.5, value };
      return smoothed ? [raw, { label: "EMA", stroke: color, width: 2, value }] : [raw];
    }
    return this.lines.map(({ label, color }) => ({
      label, stroke: color, width: 1.5, value, spanGaps: true,
    }));
  }

  cursorMoved(idx) {
    if (!this.onCursor || this.lines.length !== 1) return;
    this.onCursor(idx == null ? null : this.lines[0].series.step[idx] ?? null);
  }

  options() {
    const { logY, xKey } = this.opts;
    const xLabel = xKey === "step" ? "step" : "seconds";
    const xValue = (u, v) => (v == null ? "—" : xKey === "step" ? fmtInt(v) : `${v.toFixed(3)} s`);
    return {
      ...this.size(),
      scales: {
        x: { time: false },
        y: { distr: logY ? 3 : 1, log: 10, range: (u, lo, hi) => yRange(lo, hi, logY) },
      },
      series: [{ label: xLabel, value: xValue }, ...this.seriesOptions()],
      axes: [
        { label: xLabel, values: (u, splits) => splits.map(xKey === "step" ? fmtStepTick : fmtTick) },
        {
          label: logY ? "loss (log)" : "loss",
          size: 64,
          values: (u, splits) => splits.map(fmtTick),
          ...(logY ? { grid: { filter: decades }, ticks: { filter: decades } } : {}),
        },
      ],
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { live: true },
      hooks: {
        setSelect: [(u) => { if (u.select.width > 0) this.zoomed = true; }],
        setCursor: [(u) => this.cursorMoved(u.cursor.idx)],
        setScale: [(u, key) => {
          if (key !== "x") return;
          this.container.dataset.xMin = String(u.scales.x.min);
          this.container.dataset.xMax = String(u.scales.x.max);
        }],
      },
    };
  }
}

// Wire the y-scale / x-axis radios and the smoothing slider of #chart-controls to a chart.
export function bindControls(chart) {
  const controls = document.getElementById("chart-controls");
  const output = document.getElementById("smoothing-value");
  controls.addEventListener("input", (event) => {
    const { name, value } = event.target;
    if (name === "yscale") chart.set({ logY: value === "log" });
    if (name === "xaxis") chart.set({ xKey: value });
    if (event.target.id === "smoothing") {
      output.value = Number(value).toFixed(2);
      chart.set({ smoothing: Number(value) });
    }
  });
}
