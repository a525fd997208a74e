// Outcome against parameter: for one swept numeric field, each point's final or best loss across
// its seeds (mean, with a min-max or ±std bar) against the field's value; a diverged run is drawn
// at the top edge in a marker of its own, not dropped.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { spansDecades } from "./colorscale.js";
import { axis, yRange } from "./chartaxes.js";
import { stats } from "./seedgroups.js";

const DIVERGED = "#ae3ec9";
const DOT = 4;
const OK = (run) => run.status !== "diverged" && run.status !== "failed";

// One point's outcome: its mean and bar over the runs that did not diverge, and how many did.
export function outcome(point, metric, band, log) {
  const values = point.runs.filter(OK).map((run) => (metric === "best" ? run.best_loss : run.last_loss));
  const diverged = point.runs.filter((run) => run.status === "diverged").length;
  return { ...stats(values.filter((v) => v !== null), band, log), diverged };
}

export class OutcomePlot {
  constructor(container, field) {
    this.container = container;
    this.field = field;
    this.plot = null;
    this.items = [];
    this.shapeKey = "";
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  size() {
    return { width: Math.max(this.container.clientWidth, 200), height: 260 };
  }

  // points: [{params, runs}]; colorOf(point) gives each point's colour.
  update(points, { metric, band, colorOf }) {
    const xs = points.map((p) => p.params[this.field]).filter((x) => typeof x === "number");
    const logX = spansDecades(xs);
    const allLosses = points.flatMap((p) => p.runs.map((r) => r.best_loss)).filter((v) => v !== null);
    const logY = allLosses.length > 0 && allLosses.every((v) => v > 0);
    this.items = points
      .filter((p) => typeof p.params[this.field] === "number")
      .map((p) => ({ x: p.params[this.field], color: colorOf(p), ...outcome(p, metric, band, logY) }))
      .sort((a, b) => a.x - b.x);
    const data = [this.items.map((i) => i.x), this.items.map((i) => i.lo), this.items.map((i) => i.hi)];
    const shape = `${logX}/${logY}/${metric}`;
    if (shape !== this.shapeKey) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(logX, logY, metric), data, this.container);
      this.shapeKey = shape;
    } else {
      this.plot.setData(data);
    }
    Object.assign(this.container.dataset, {
      points: this.items.filter((i) => i.mean !== null).length,
      diverged: this.items.reduce((n, i) => n + i.diverged, 0),
      xDistr: logX ? 3 : 1,
    });
  }

  options(logX, logY, metric) {
    const hidden = { paths: () => null, points: { show: false } };
    const range = (u, min, max) => yRange(min, max, logY);
    return {
      ...this.size(),
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, distr: logX ? 3 : 1, log: 10 },
        y: { distr: logY ? 3 : 1, log: 10, range },
      },
      series: [{}, { ...hidden, label: "low" }, { ...hidden, label: "high" }],
      axes: [
        axis(logX ? `${this.field} (log)` : this.field, logX),
        { ...axis(`${metric} loss`, logY), size: 64 },
      ],
      hooks: { draw: [(u) => this.draw(u)] },
    };
  }

  // Bars and means for the points, triangles on the top edge for their diverged runs.
  draw(u) {
    const { ctx } = u;
    const r = DOT * devicePixelRatio;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    for (const item of this.items) {
      const px = u.valToPos(item.x, "x", true);
      if (item.mean !== null) {
        ctx.strokeStyle = ctx.fillStyle = item.color;
        ctx.beginPath();
        ctx.moveTo(px, u.valToPos(item.lo, "y", true));
        ctx.lineTo(px, u.valToPos(item.hi, "y", true));
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(px, u.valToPos(item.mean, "y", true), r, 0, 2 * Math.PI);
        ctx.fill();
      }
      if (item.diverged) triangle(ctx, px, u.bbox.top + r * 1.5, r * 1.4);
    }
    ctx.restore();
  }
}

function triangle(ctx, x, y, r) {
  ctx.fillStyle = DIVERGED;
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y + r);
  ctx.lineTo(x - r, y + r);
  ctx.closePath();
  ctx.fill();
}
