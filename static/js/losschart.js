// A uPlot chart of one or more runs' losses that redraws at most once a frame. Its view (scales,
// smoothing, running minimum, outliers, zoom, hidden lines) comes from chartview.js; box zoom
// and the legend's toggles go back there through `onView`.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { axis, chartColors, fmtStepTick, fmtTick, yRange } from "./chartaxes.js";
import { centralRange, lineData } from "./chartdata.js";
import { DEFAULT_VIEW } from "./chartview.js";
import { drawBest, tooltipPlugin } from "./charttip.js";
import { runColor, theme } from "./colors.js";
import { fmtInt, fmtLoss } from "./numbers.js";
import { bestCaption, chartNote, seriesOptions, tipEntries } from "./chartseries.js";

const SHAPE_KEYS = ["logY", "xKey", "logX", "runMin"];
const short = (v) => Number(v.toPrecision(6)); // a zoom's ends as the URL keeps them

// `lines`: [{key, id, label, series: LossSeries}]; a line's colour is runColor(id).
// `onCursor` hears the step under the cursor of a one-run chart (null when it leaves);
// `yLabel` names its y axis (a series chart's: its series); `plugins` are more uPlot plugins,
// each made again, `(chart) => plugin`, whenever the chart is.
export class LossChart {
  constructor(container, lines, { onCursor, yLabel = "loss", plugins = [] } = {}) {
    this.container = container;
    this.lines = lines;
    this.onCursor = onCursor;
    this.yLabel = yLabel;
    this.plugins = plugins;
    this.opts = { ...DEFAULT_VIEW };
    this.onView = () => {};
    this.plot = null;
    this.built = null;
    this.frame = 0;
    this.drawn = [];
    this.note = document.createElement("p");
    this.note.className = "chart-note";
    this.caption = document.createElement("p");
    this.caption.className = "chart-best";
    this.caption.hidden = lines.length !== 1; // a run compared has its best in the table
    container.after(this.caption, this.note);
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
    addEventListener("themechange", () => this.rebuild());
  }

  set(changes) {
    Object.assign(this.opts, changes);
    this.update();
  }

  rebuild() {
    this.plot?.destroy();
    this.plot = null;
    this.update();
  }

  // Ask for a redraw: many calls within a frame cost one.
  update() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redraw();
    });
  }

  shape() {
    const keys = SHAPE_KEYS.map((k) => this.opts[k]);
    return `${keys}/${this.opts.smoothing > 0}/${this.lines.length}/${theme()}`;
  }

  redraw() {
    this.drawn = this.lines.map((line) => lineData(line.series, this.opts));
    const data = this.data();
    this.central = this.opts.outliers ? centralRange(this.drawn.flatMap((d) => d.columns[0]), this.opts.logY) : null;
    if (this.shape() !== this.built) this.plot?.destroy();
    if (this.shape() !== this.built || this.plot === null) {
      this.built = this.shape();
      this.plot = new uPlot(this.options(), data, this.container);
      this.plot.over.addEventListener("dblclick", () => this.resetZoom());
      keyboardLegend(this.plot);
    } else {
      this.plot.setData(data, this.opts.zoomX === null);
    }
    // Always, even when the scale already reads the zoom: setData(data, false) leaves the drawn
    // index window as the old data's, and only setScale recomputes it.
    const { zoomX } = this.opts;
    if (zoomX) this.plot.setScale("x", { min: zoomX[0], max: zoomX[1] });
    this.report();
  }

  data() {
    if (this.drawn.length === 1) return [this.drawn[0].x, ...this.drawn[0].columns];
    // runs thinned differently have different steps: join them on the union of their x values
    return uPlot.join(this.drawn.map(({ x, columns }) => [x, ...columns]));
  }

  // What the chart shows, for people (the note) and for tests (data-* attributes).
  report() {
    const hidden = this.drawn.reduce((n, d) => n + d.hidden, 0);
    const clipped = this.central?.clipped ?? 0;
    this.note.replaceChildren(...chartNote(hidden, clipped));
    this.note.hidden = this.note.childNodes.length === 0;
    const best = this.drawn[0]?.best;
    this.caption.replaceChildren(...bestCaption(best));
    Object.assign(this.container.dataset, {
      points: this.lines.reduce((sum, line) => sum + line.series.length, 0),
      series: this.lines.length,
      yDistr: this.plot.scales.y.distr,
      xDistr: this.plot.scales.x.distr,
      xKey: this.opts.xKey,
      nonpositive: hidden,
      clipped,
      bestStep: best ? best.step : "",
      bestLoss: best ? best.loss : "",
    });
  }

  size() {
    const width = Math.max(this.container.clientWidth, 200);
    return { width, height: this.container.classList.contains("tall") ? 480 : 420 };
  }

  // The y range: the zoom box, else the central 99% when outliers are ignored, else all data.
  yRange(min, max) {
    const { zoomY, logY } = this.opts;
    if (zoomY && (!logY || zoomY[0] > 0)) return zoomY;
    if (!this.central || !(this.central.lo < this.central.hi)) return yRange(min, max, logY);
    const { lo, hi } = this.central;
    if (logY) return [lo / 1.1, hi * 1.1];
    const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [lo - pad, hi + pad];
  }

  // The x range: a zoom's ends as they are (uPlot widens a log axis's to whole decades).
  xRange(min, max) {
    const onLogX = this.opts.logX && this.opts.xKey === "step";
    if (min == null || this.opts.zoomX || !onLogX) return [min, max];
    return uPlot.rangeLog(min, max, 10, false);
  }

  // A box drawn on the chart zooms x, y or both: a box as wide (or tall) as the plot leaves that
  // axis as it was.
  zoomTo(u) {
    const { left, top, width, height } = u.select;
    if (width < 2 && height < 2) return;
    const changes = {};
    if (width < u.over.clientWidth - 1) {
      changes.zoomX = [u.posToVal(left, "x"), u.posToVal(left + width, "x")].map(short);
    }
    if (height < u.over.clientHeight - 1) {
      changes.zoomY = [u.posToVal(top + height, "y"), u.posToVal(top, "y")].map(short);
    }
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.onView(changes);
    this.set(changes);
  }

  resetZoom() {
    const changes = { zoomX: null, zoomY: null };
    this.onView(changes);
    this.set(changes);
  }

  // The legend's toggles: a run's line (with its faint raw curve and minimum) shows or hides.
  toggled(u, index, opts) {
    if (opts.show === undefined) return;
    const { key, group } = u.series[index];
    u.series.forEach((s, i) => {
      const follows = i !== index && group !== undefined && s.group === group;
      if (follows && s.show !== opts.show) u.setSeries(i, { show: opts.show });
    });
    if (key === undefined) return;
    const hidden = u.series.filter((s) => s.key !== undefined && !s.show).map((s) => s.key);
    this.opts.hidden = hidden;
    this.onView({ hidden });
  }

  // An x value as the legend shows it: the step (not step + 1 on a log axis), or seconds.
  xValue(x) {
    const { xKey, logX } = this.opts;
    if (x == null) return "—";
    return xKey === "step" ? fmtInt(logX ? x - 1 : x) : `${x.toFixed(3)} s`;
  }

  heading(x) {
    return this.opts.xKey === "step" ? `step ${this.xValue(x)}` : this.xValue(x);
  }

  options() {
    const { logY, xKey, logX } = this.opts;
    const colors = chartColors();
    const onLogX = logX && xKey === "step";
    const xLabel = xKey === "step" ? (onLogX ? "step + 1 (log)" : "step") : "seconds";
    const lines = this.lines.map((line) => ({ ...line, color: runColor(line.id) }));
    const series = seriesOptions(lines, this.opts, (u, v) => fmtLoss(v));
    return {
      ...this.size(),
      scales: {
        x: { time: false, distr: onLogX ? 3 : 1, log: 10, range: (u, lo, hi) => this.xRange(lo, hi) },
        y: { distr: logY ? 3 : 1, log: 10, range: (u, lo, hi) => this.yRange(lo, hi) },
      },
      series: [{ label: xLabel, value: (u, v) => this.xValue(v) }, ...series],
      axes: [
        axis(xLabel, onLogX, xKey === "step" ? fmtStepTick : fmtTick, colors),
        { ...axis(logY ? `${this.yLabel} (log)` : this.yLabel, logY, fmtTick, colors), size: 64 },
      ],
      cursor: { drag: { x: true, y: true, uni: 30, setScale: false }, focus: { prox: 30 } },
      focus: { alpha: 0.35 },
      legend: { live: true },
      plugins: [
        tooltipPlugin((u) => tipEntries(u, lines.length), (x) => this.heading(x)),
        ...this.plugins.map((make) => make(this)),
      ],
      hooks: {
        setSelect: [(u) => this.zoomTo(u)],
        setCursor: [(u) => this.cursorMoved(u.cursor.idx)],
        setSeries: [(u, index, opts) => this.toggled(u, index, opts)],
        setScale: [(u, key) => this.scaled(u, key)],
        draw: [(u) => drawBest(u, this.bests(u))],
      },
    };
  }

  // Where a step of the first line lies on x as the chart draws it now (null: not held yet).
  xOfStep(step) {
    const { xKey, logX } = this.opts;
    if (xKey === "step") return logX ? step + 1 : step;
    const { step: steps, time } = this.lines[0].series;
    const at = steps.findIndex((s) => s >= step);
    return at < 0 ? null : time[at];
  }

  cursorMoved(idx) {
    if (!this.onCursor || this.lines.length !== 1) return;
    this.onCursor(idx == null ? null : this.lines[0].series.step[idx] ?? null);
  }

  scaled(u, key) {
    const { min, max } = u.scales[key];
    if (key === "x") Object.assign(this.container.dataset, { xMin: String(min), xMax: String(max) });
    if (key === "y") Object.assign(this.container.dataset, { yMin: String(min), yMax: String(max) });
  }

  // The best point of each shown line, in its colour.
  bests(u) {
    return this.drawn.flatMap(({ best }, i) => {
      const main = u.series.find((s) => s.line === i && s.main);
      if (best === null || (main && !main.show)) return [];
      return [{ x: best.x, loss: best.loss, color: runColor(this.lines[i].id) }];
    });
  }
}

// The legend's entries hide and show their lines from the keyboard too (Enter or Space).
function keyboardLegend(u) {
  u.root.querySelectorAll(".u-legend .u-series").forEach((row, i) => {
    if (i === 0) return; // x
    row.tabIndex = 0;
    row.setAttribute("role", "button");
    row.title = "show or hide this line";
    row.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      u.setSeries(i, { show: !u.series[i].show });
    });
  });
}
