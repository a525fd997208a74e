// The sweep's table: one row per point (its parameters, mean ± std of the final and best loss
// across seeds, its runs per status and links to them), sortable by any column, the best marked.
import { LIVE_STATUSES } from "./common.js";
import { fmtLoss, fmtParam } from "./numbers.js";
import { stats } from "./seedgroups.js";

const OK = (run) => run.status !== "diverged" && run.status !== "failed";

// Mean and std (null when no run has one) of a loss over the point's runs that did not diverge.
function lossStats(point, key) {
  const values = point.runs.filter(OK).map((run) => run[key]).filter((v) => v !== null);
  const { mean, hi } = stats(values, "std", false);
  return { mean, std: mean === null ? null : hi - mean };
}

function counts(point) {
  const by = {};
  for (const run of point.runs) by[run.status] = (by[run.status] ?? 0) + 1;
  return by;
}

function cell(text, className = "") {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  return td;
}

function meanStd({ mean, std }) {
  if (mean === null) return "—";
  return std > 0 ? `${fmtLoss(mean)} ± ${fmtLoss(std)}` : fmtLoss(mean);
}

function statusCell(point) {
  const td = cell("", "statuses");
  for (const [status, n] of Object.entries(counts(point))) {
    const badge = document.createElement("span");
    badge.className = "status";
    badge.dataset.status = status;
    badge.textContent = `${n} ${status}`;
    td.append(badge);
  }
  return td;
}

function linksCell(point) {
  const td = cell("", "run-links");
  for (const run of point.runs) {
    const link = document.createElement("a");
    link.href = `/runs/${run.id}`;
    link.textContent = `#${run.id}`;
    link.title = `seed ${run.config.seed} · ${run.status}`;
    td.append(link);
  }
  return td;
}

export class SweepTable {
  constructor(table, fields) {
    this.table = table;
    this.fields = fields;
    this.sort = { key: "best", dir: 1 };
    this.rows = [];
    this.head();
    table.tHead.addEventListener("click", (event) => this.onSort(event));
  }

  head() {
    const tr = document.createElement("tr");
    const columns = [...this.fields.map((f) => [f, f, "num"]),
      ["final", "final loss", "num"], ["best", "best loss", "num"],
      ["status", "runs", ""], ["links", "", ""]];
    for (const [key, label, className] of columns) {
      const th = document.createElement("th");
      th.className = className;
      if (key !== "links") {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        button.dataset.key = key;
        button.textContent = label;
        th.append(button);
      }
      tr.append(th);
    }
    this.table.tHead.replaceChildren(tr);
  }

  onSort(event) {
    const button = event.target.closest("button.sort");
    if (!button) return;
    const { key } = button.dataset;
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : 1 };
    this.render();
  }

  value(row, key) {
    if (key === "final" || key === "best") return row[key].mean;
    if (key === "status") return row.live;
    return row.point.params[key];
  }

  sorted() {
    const { key, dir } = this.sort;
    const compare = (a, b) => {
      const [x, y] = [this.value(a, key), this.value(b, key)];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1; // rows without a value go last either way
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    };
    return [...this.rows].sort(compare);
  }

  // points: [{key, params, runs}]; bestRunId marks the row holding the sweep's best run.
  update(points, bestRunId) {
    this.rows = points.map((point) => ({
      point,
      final: lossStats(point, "last_loss"),
      best: lossStats(point, "best_loss"),
      live: point.runs.filter((run) => LIVE_STATUSES.has(run.status)).length,
      isBest: point.runs.some((run) => run.id === bestRunId),
    }));
    this.render();
  }

  render() {
    const body = this.table.tBodies[0];
    body.replaceChildren(...this.sorted().map((row) => this.row(row)));
    for (const button of this.table.tHead.querySelectorAll("button.sort")) {
      const on = button.dataset.key === this.sort.key;
      button.closest("th").ariaSort = on ? (this.sort.dir > 0 ? "ascending" : "descending") : null;
    }
  }

  row({ point, final, best, isBest }) {
    const tr = document.createElement("tr");
    tr.className = "point-row";
    tr.dataset.key = point.key;
    if (isBest) tr.dataset.best = "true";
    for (const field of this.fields) tr.append(cell(fmtParam(point.params[field]), "num param"));
    tr.append(cell(meanStd(final), "num loss"), cell(meanStd(best), "num loss"));
    tr.append(statusCell(point), linksCell(point));
    if (isBest) tr.cells[0].prepend(Object.assign(document.createElement("span"), {
      className: "best-mark", textContent: "best", title: "the sweep's best run is here",
    }));
    return tr;
  }
}
