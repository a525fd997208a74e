// A uPlot chart of many loss curves on one shared step grid: a curve of one run is its line, a
// curve of several (a seed group) is their mean with a band; a diverged run gets a mark where
// its losses stop. The sweep page draws its 100 runs with it, the compare page its seed groups.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { axis, fmtStepTick, yRange } from "./chartaxes.js";
import { smooth } from "./chartdata.js";
import { fmtInt, fmtLoss } from "./numbers.js";
import { aggregate, resample, stepGrid } from "./seedgroups.js";

const MARK_SIZE = 5;
// The y axis ends this far above the highest starting loss: a diverging run leaves through the
// top (its mark on the edge) instead of stretching the axis over hundreds of decades.
const HEADROOM = 1e3;

// `curves`: [{label, color, members: [{series: LossSeries, diverged: bool}]}].
export class CurveChart {
  constructor(container, { logY = true, band = "minmax", smoothing = 0, legend = true } = {}) {
    this.container = container;
    this.curves = [];
    this.opts = { logY, band, smoothing, legend };
    this.zoomed = false;
    this.plot = null;
    this.frame = 0;
    this.marks = [];
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
    addEventListener("themechange", () => {
      this.builtShape = null; // its axes take the theme's colours as it is built
      this.update();
    });
  }

  setCurves(curves) {
    this.curves = curves;
    this.update();
  }

  set(changes) {
    Object.assign(this.opts, changes);
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
    const bands = this.curves.map((c) => (c.members.length > 1 ? "b" : "l")).join("");
    return `${this.opts.logY}/${this.opts.legend}/${bands}/${this.curves.map((c) => c.color)}`;
  }

  redraw() {
    const data = this.data();
    const shape = this.shape();
    if (shape !== this.builtShape) {
      this.plot?.destroy();
      this.plot = null;
    }
    if (this.plot === null) {
      this.builtShape = shape;
      this.plot = new uPlot(this.options(), data, this.container);
      this.plot.over.addEventListener("dblclick", () => { this.zoomed = false; });
    } else {
      this.plot.setData(data, !this.zoomed);
    }
    const members = this.curves.flatMap((c) => c.members);
    Object.assign(this.container.dataset, {
      series: this.curves.length,
      bands: this.curves.filter((c) => c.members.length > 1).length,
      points: members.reduce((sum, m) => sum + m.series.length, 0),
      marks: this.marks.length,
      yDistr: this.plot.scales.y.distr,
    });
  }

  size() {
    const width = Math.max(this.container.clientWidth, 200);
    return { width, height: this.container.clientWidth < 600 ? 320 : 460 };
  }

  // A member's losses as drawn: smoothed when asked.
  drawn(series) {
    const { smoothing, logY } = this.opts;
    if (smoothing <= 0) return series;
    return { step: series.step, loss: smooth(series.step, series.loss, smoothing, logY) };
  }

  data() {
    const { logY, band } = this.opts;
    const members = this.curves.flatMap((c) => c.members);
    const grid = stepGrid(members.map((m) => m.series));
    const columns = [grid];
    for (const curve of this.curves) {
      const sampled = curve.members.map((m) => resample(this.drawn(m.series), grid, logY));
      if (sampled.length === 1) columns.push(positive(sampled[0], logY));
      else {
        const { mean, lo, hi } = aggregate(sampled, band, logY);
        columns.push(mean, lo, hi);
      }
    }
    const starts = members.filter((m) => m.series.length).map((m) => Math.abs(m.series.loss[0]));
    this.yCap = starts.length ? HEADROOM * Math.max(...starts) : Infinity;
    this.marks = members.filter((m) => (m.diverged || m.pruned) && m.series.length).map((m) => ({
      x: m.series.step.at(-1), y: m.series.loss.at(-1), pruned: Boolean(m.pruned),
      color: this.curves.find((c) => c.members.includes(m)).color,
    }));
    return columns;
  }

  range(min, max) {
    return yRange(min, max === null ? null : Math.min(max, this.yCap), this.opts.logY);
  }

  seriesOptions() {
    const value = (u, v) => fmtLoss(v);
    const series = [];
    const bands = [];
    for (const { label, color, members } of this.curves) {
      series.push({ label, stroke: color, width: 1.5, value, spanGaps: true, points: { show: false } });
      if (members.length === 1) continue;
      const edge = { stroke: "transparent", width: 0, spanGaps: true, class: "band-edge", points: { show: false } };
      series.push({ ...edge, label: `${label} lo` }, { ...edge, label: `${label} hi` });
      const n = series.length; // uPlot counts the x series as 0
      bands.push({ series: [n, n - 1], fill: `${color}33` });
    }
    return { series, bands };
  }

  options() {
    const { logY, legend } = this.opts;
    const { series, bands } = this.seriesOptions();
    return {
      ...this.size(),
      scales: { x: { time: false }, y: { distr: logY ? 3 : 1, log: 10, range: (u, lo, hi) => this.range(lo, hi) } },
      series: [{ label: "step", value: (u, v) => (v == null ? "—" : fmtInt(v)) }, ...series],
      bands,
      axes: [
        axis("step", false, fmtStepTick),
        { ...axis(logY ? "loss (log)" : "loss", logY), size: 64 },
      ],
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { show: legend, live: legend },
      hooks: {
        setSelect: [(u) => { if (u.select.width > 0) this.zoomed = true; }],
        draw: [(u) => drawMarks(u, this.marks)],
      },
    };
  }
}

function positive(values, log) {
  return log ? values.map((v) => (v > 0 ? v : null)) : values;
}

// Where a run was cut: an × where a diverged run's losses stop, a bar where a pruned one's do.
function drawMarks(u, marks) {
  const { ctx } = u;
  const r = MARK_SIZE * devicePixelRatio;
  ctx.save();
  ctx.lineWidth = 2 * devicePixelRatio;
  for (const { x, y, color, pruned } of marks) {
    if (!(y > 0) && u.scales.y.distr === 3) continue;
    const px = u.valToPos(x, "x", true);
    const py = u.valToPos(Math.min(y, u.scales.y.max), "y", true);
    ctx.strokeStyle = color;
    ctx.beginPath();
    if (pruned) {
      ctx.moveTo(px, py - r * 1.5);
      ctx.lineTo(px, py + r * 1.5);
    } else {
      ctx.moveTo(px - r, py - r);
      ctx.lineTo(px + r, py + r);
      ctx.moveTo(px + r, py - r);
      ctx.lineTo(px - r, py + r);
    }
    ctx.stroke();
  }
  ctx.restore();
}
