// Parallel coordinates on a canvas: an axis per swept field and one for the score, a line per
// point coloured by its score (viridis, log when the scores span decades), and brushing: drag
// along an axis to keep the points whose value falls in the range (click the axis to clear).
import { spansDecades, viridis } from "./colorscale.js";
import { theme } from "./colors.js";
import { fmtLoss, fmtParam } from "./numbers.js";

const PAD = { top: 22, bottom: 32, side: 56 };
const HEIGHT = 300;

// A value's position in [0, 1] on an axis of `values`: numeric (maybe log) or by category.
function axisOf(name, values) {
  const nums = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (nums.length === values.length && nums.length > 0) {
    const log = spansDecades(nums);
    const f = log ? Math.log10 : (v) => v;
    const lo = f(Math.min(...nums));
    const hi = f(Math.max(...nums));
    return { name, log, lo, hi, at: (v) => (hi > lo ? (f(v) - lo) / (hi - lo) : 0.5), numeric: true };
  }
  const cats = [...new Set(values.map((v) => JSON.stringify(v)))];
  const at = (v) => (cats.length > 1 ? cats.indexOf(JSON.stringify(v)) / (cats.length - 1) : 0.5);
  return { name, cats: cats.map((c) => JSON.parse(c)), at, numeric: false };
}

export class ParallelCoords {
  // `onBrush(ranges)`: ranges maps an axis name to [t0, t1] in its [0, 1] positions.
  constructor(container, onBrush) {
    this.container = container;
    this.onBrush = onBrush;
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "a line per point through each swept value to its score");
    container.append(this.canvas);
    this.rows = [];
    this.axes = [];
    this.ranges = {};
    this.drag = null;
    this.canvas.addEventListener("pointerdown", (e) => this.start(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    this.canvas.addEventListener("pointerup", (e) => this.end(e));
    new ResizeObserver(() => this.draw()).observe(container);
  }

  // rows: [{key, values: {field: value}, score}]; fields: the swept fields, in order.
  update(rows, fields, scoreName) {
    this.rows = rows;
    const scored = rows.filter((r) => r.score !== null && Number.isFinite(r.score));
    this.axes = [
      ...fields.map((f) => axisOf(f, rows.map((r) => r.values[f]))),
      axisOf(scoreName, scored.map((r) => r.score)),
    ];
    this.scoreAxis = this.axes[this.axes.length - 1];
    this.draw();
  }

  value(row, axis) {
    return axis === this.scoreAxis ? row.score : row.values[axis.name];
  }

  // Whether a row lies inside every brushed range.
  keeps(row) {
    return this.axes.every((axis) => {
      const range = this.ranges[axis.name];
      if (!range) return true;
      const v = this.value(row, axis);
      if (v === null || v === undefined) return false;
      const t = axis.at(v);
      return t >= range[0] - 1e-9 && t <= range[1] + 1e-9;
    });
  }

  setRanges(ranges) {
    this.ranges = { ...ranges };
    this.draw();
  }

  geometry() {
    const width = this.container.clientWidth || 600;
    const n = Math.max(this.axes.length, 2);
    const x = (i) => PAD.side + (i * (width - 2 * PAD.side)) / (n - 1);
    const y = (t) => PAD.top + (1 - t) * (HEIGHT - PAD.top - PAD.bottom);
    return { width, x, y };
  }

  draw() {
    const { width, x, y } = this.geometry();
    const ratio = devicePixelRatio || 1;
    Object.assign(this.canvas, { width: width * ratio, height: HEIGHT * ratio });
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${HEIGHT}px`;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const dark = theme() === "dark";
    const ink = dark ? "#c9d1dc" : "#333a45";
    const faint = dark ? "rgba(200,200,200,0.12)" : "rgba(60,60,60,0.12)";
    const score = this.scoreAxis;
    let drawn = 0;
    let kept = 0;
    for (const row of this.rows) {
      const keep = this.keeps(row);
      const hasScore = row.score !== null && Number.isFinite(row.score);
      ctx.strokeStyle = !keep ? faint : hasScore ? viridis(1 - score.at(row.score)) : ink;
      ctx.lineWidth = keep ? 1.4 : 1;
      ctx.beginPath();
      this.axes.forEach((axis, i) => {
        const v = this.value(row, axis);
        const t = v === null || v === undefined ? 1 : axis.at(v);
        if (i === 0) ctx.moveTo(x(i), y(t));
        else ctx.lineTo(x(i), y(t));
      });
      ctx.stroke();
      drawn += 1;
      kept += keep;
    }
    this.drawAxes(ctx, x, y, ink);
    Object.assign(this.container.dataset, { lines: String(drawn), kept: String(kept) });
    this.container.dataset.axes = this.axes.map((a) => a.name).join(",");
  }

  drawAxes(ctx, x, y, ink) {
    ctx.fillStyle = ink;
    ctx.strokeStyle = ink;
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    this.axes.forEach((axis, i) => {
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x(i), y(0));
      ctx.lineTo(x(i), y(1));
      ctx.stroke();
      const [lo, hi] = this.labels(axis);
      ctx.fillText(hi, x(i), y(1) - 8); // the top end's value above the axis
      ctx.fillText(lo, x(i), y(0) + 12);
      ctx.fillText(axis.name, x(i), y(0) + 25);
      const range = this.ranges[axis.name];
      if (range) {
        ctx.fillStyle = "rgba(52,81,178,0.25)";
        ctx.fillRect(x(i) - 7, y(range[1]), 14, y(range[0]) - y(range[1]));
        ctx.fillStyle = ink;
      }
    });
  }

  // An axis's ends as text: bottom, top.
  labels(axis) {
    const fmt = axis === this.scoreAxis ? fmtLoss : fmtParam;
    if (!axis.numeric) return [String(axis.cats[0] ?? ""), String(axis.cats.at(-1) ?? "")];
    const back = (t) => (axis.log ? 10 ** t : t);
    return [fmt(back(axis.lo)), fmt(back(axis.hi))];
  }

  // ---- brushing

  axisAt(px) {
    const { x } = this.geometry();
    return this.axes.findIndex((_, i) => Math.abs(px - x(i)) <= 12);
  }

  position(event) {
    const box = this.canvas.getBoundingClientRect();
    const { y } = this.geometry();
    const py = event.clientY - box.top;
    const t = 1 - (py - y(1)) / (y(0) - y(1));
    return { px: event.clientX - box.left, t: Math.min(Math.max(t, 0), 1) };
  }

  start(event) {
    const { px, t } = this.position(event);
    const i = this.axisAt(px);
    if (i < 0) return;
    this.drag = { axis: this.axes[i].name, from: t, moved: false };
    this.canvas.setPointerCapture(event.pointerId);
  }

  move(event) {
    if (!this.drag) return;
    const { t } = this.position(event);
    this.drag.moved = this.drag.moved || Math.abs(t - this.drag.from) > 0.01;
    if (this.drag.moved) {
      this.ranges[this.drag.axis] = [Math.min(t, this.drag.from), Math.max(t, this.drag.from)];
      this.draw();
    }
  }

  end() {
    if (!this.drag) return;
    if (!this.drag.moved) delete this.ranges[this.drag.axis]; // a click clears the axis
    this.drag = null;
    this.draw();
    this.onBrush({ ...this.ranges });
  }
}
