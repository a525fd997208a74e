// A search's study on the sweep page: the optimisation history (each point's score by its
// number, pruned ones hollow, and the best so far as a step line) and the parameters'
// importance (PED-ANOVA's shares, as bars).
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { axis, yRange } from "./chartaxes.js";
import { fmtParam } from "./numbers.js";

const DOT = 4;
const COLORS = { complete: "#3451b2", pruned: "#5c5f9e", fail: "#b72525" };

export class HistoryPlot {
  constructor(container) {
    this.container = container;
    this.plot = null;
    this.trials = [];
    this.logKey = null;
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  size() {
    return { width: this.container.clientWidth || 500, height: 260 };
  }

  update(trials) {
    this.trials = trials.filter((t) => t.value !== null);
    const values = this.trials.map((t) => t.value);
    const log = values.length > 0 && values.every((v) => v > 0);
    const data = [
      trials.map((t) => t.number),
      trials.map((t) => t.best_so_far),
    ];
    if (log !== this.logKey) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(log), data, this.container);
      this.logKey = log;
    } else {
      this.plot.setData(data);
    }
    Object.assign(this.container.dataset, {
      points: String(this.trials.length),
      pruned: String(this.trials.filter((t) => t.state === "pruned").length),
    });
  }

  options(log) {
    const range = (u, min, max) => {
      const vals = this.trials.map((t) => t.value);
      return yRange(Math.min(min ?? Infinity, ...vals), Math.max(max ?? -Infinity, ...vals), log);
    };
    return {
      ...this.size(),
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, y: { distr: log ? 3 : 1, log: 10, range } },
      series: [{}, { label: "best so far", stroke: "#237032", width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }],
      axes: [axis("point", false), { ...axis("score", log), size: 64 }],
      hooks: { draw: [(u) => this.draw(u)] },
    };
  }

  // Each point's score as a dot: pruned ones hollow (their last report), failed ones red.
  draw(u) {
    const { ctx } = u;
    const r = DOT * devicePixelRatio;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    for (const trial of this.trials) {
      const x = u.valToPos(trial.number, "x", true);
      const y = u.valToPos(trial.value, "y", true);
      ctx.strokeStyle = ctx.fillStyle = COLORS[trial.state] ?? COLORS.complete;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      if (trial.state === "pruned") ctx.stroke();
      else ctx.fill();
    }
    ctx.restore();
  }
}

// The importances as a bar per parameter, largest first; a line saying why when there are none.
export function drawImportance(box, study) {
  box.replaceChildren();
  const shares = Object.entries(study.importance ?? {}).sort((a, b) => b[1] - a[1]);
  if (shares.length === 0) {
    box.append(Object.assign(document.createElement("p"), {
      className: "muted", textContent: "Importance needs 3 completed points.",
    }));
  }
  for (const [name, share] of shares) {
    const row = Object.assign(document.createElement("div"), { className: "importance-row" });
    row.dataset.param = name;
    const label = Object.assign(document.createElement("span"), { textContent: name });
    const bar = Object.assign(document.createElement("span"), { className: "importance-bar" });
    bar.style.width = `${Math.max(1, share * 100)}%`;
    const value = Object.assign(document.createElement("span"), { textContent: fmtParam(Number(share.toFixed(3))) });
    row.append(label, bar, value);
    box.append(row);
  }
  box.dataset.bars = String(shares.length);
}
