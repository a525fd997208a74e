// A sweep: every run's curve coloured by a swept value, outcome against each numeric parameter and
// a table of points, kept live by one socket (/ws/sweeps/{id}) and thinned reads of the runs
// whose progress it reports, about once a second.
import {
  api, ApiError, CLOSE, fill, FINISHED_STATUSES, follow, LIVE_STATUSES, PAGE_DATA, setLive,
  showBanner, showLoginNeeded,
} from "./common.js";
import { CurveChart } from "./curvechart.js";
import { colorScale, drawKey } from "./colorscale.js";
import { bindControls } from "./chartview.js";
import { LossSeries } from "./lossseries.js";
import { fmtInt } from "./numbers.js";
import { OutcomePlot, outcome } from "./outcome.js";
import { ParallelCoords } from "./parcoords.js";
import { groupBySeed } from "./seedgroups.js";
import { drawImportance, HistoryPlot } from "./studyplots.js";
import { readView, writeView } from "./sweepview.js";
import { SweepTable } from "./sweeptable.js";

const TOTAL_POINTS = 40_000; // the history read on load, over all runs: thinned to fit
const TAIL_POINTS = 200; // a live run's new losses, thinned, per read
const FETCHES = 6; // reads at once: what a browser sends to one host anyway
const MAX_COMPARED = 24;

const page = document.getElementById("page");
const runs = new Map(PAGE_DATA.runs.map((run) => [run.id, run]));
const perRun = Math.min(2000, Math.max(100, Math.floor(TOTAL_POINTS / Math.max(runs.size, 1))));
const series = new Map(PAGE_DATA.runs.map((run) => [run.id, new LossSeries(perRun)]));
const stale = new Set(); // runs whose socket progress is ahead of their curve
const view = readView({ colorBy: null, curves: "runs", band: "minmax", metric: "final" });
const SEARCHES = new Set(["tpe", "cmaes", "gp", "qmc"]);
let sweep = PAGE_DATA.sweep;
let fields = [];
let points = [];
let chart = null;
let table = null;
let parcoords = null;
let historyPlot = null;
let study = null; // the sweep's Optuna study, for a search or a pruned sweep
const outcomes = [];

// The swept fields: the spec's params, and the variant when there are several.
function sweptFields() {
  const names = Object.keys(sweep.spec.params ?? {});
  return (sweep.spec.variants ?? []).length > 1 ? ["variant", ...names] : names;
}

function params(run) {
  return { variant: run.variant, ...(run.sweep_params ?? {}) };
}

function regroup() {
  points = groupBySeed([...runs.values()]).map((group) => ({ ...group, params: params(group.runs[0]) }));
}

// ---- drawing

function colorOf() {
  if (!view.colorBy) return () => "#3451b2";
  const scale = colorScale(points.map((p) => p.params[view.colorBy]));
  drawKey(document.getElementById("color-key"), view.colorBy, scale);
  return (point) => scale.color(point.params[view.colorBy]);
}

function member(run) {
  return { series: series.get(run.id), diverged: run.status === "diverged", pruned: run.status === "pruned" };
}

function drawCurves(color) {
  const label = (p) => fields.map((f) => `${f}=${p.params[f]}`).join(" ") || `#${p.runs[0].id}`;
  const curves = view.curves === "points"
    ? points.map((p) => ({ label: label(p), color: color(p), members: p.runs.map(member) }))
    : points.flatMap((p) => p.runs.map((run) => ({
      label: `#${run.id} ${label(p)}`, color: color(p), members: [member(run)],
    })));
  chart.setCurves(curves);
}

// A point's score: its trial's value in the study, else the mean final loss of its runs.
function scoreOf(point) {
  const trial = study?.trials.find((t) => t.run_ids.some((id) => point.runs.some((r) => r.id === id)));
  if (trial) return trial.value;
  return outcome(point, "final", "std", false).mean;
}

function drawParcoords() {
  const rows = points.map((p) => ({ key: p.runs[0].id, values: p.params, score: scoreOf(p), point: p }));
  parcoords.update(rows, fields, study ? `score (${study.objective})` : "final loss");
  return rows.filter((row) => parcoords.keeps(row)).map((row) => row.point);
}

function drawAll() {
  regroup();
  const color = colorOf();
  drawCurves(color);
  for (const plot of outcomes) plot.update(points, { metric: view.metric, band: view.band, colorOf: color });
  table.update(drawParcoords(), sweep.best?.run_id);
  updateCompareLink();
  writeView(view);
  if (!page.dataset.parcoordsAt && points.length && parcoords.rows.length === points.length) {
    stamp("parcoordsAt"); // every point's line drawn (bench/sweep_page.py reads it)
  }
}

// ---- the study: history and importance, read again when the sweep's counts change

const hasStudy = () => SEARCHES.has(sweep.spec.method) || (sweep.spec.pruner ?? "none") !== "none"
  || Boolean(sweep.spec.objective);
let studyKey = "";

async function readStudy() {
  const key = JSON.stringify(sweep.counts);
  if (!hasStudy() || key === studyKey) return;
  studyKey = key;
  study = await api(`/api/sweeps/${sweep.id}/study`);
  document.getElementById("study-card").hidden = false;
  historyPlot.update(study.trials);
  drawImportance(document.getElementById("importance"), study);
  drawAll();
}

// ---- the sweep's own numbers and actions

function showSweep(next) {
  sweep = next;
  page.dataset.status = sweep.status;
  fill(page, { status: sweep.status });
  const counts = Object.entries(sweep.counts).filter(([, n]) => n > 0);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  document.getElementById("sweep-counts").textContent =
    `${fmtInt(total)} runs: ${counts.map(([status, n]) => `${n} ${status}`).join(" · ")}`;
  // a paused sweep is not over either: cancel ends it (a status list here would copy the
  // server's, so: any sweep not finished)
  document.getElementById("cancel-sweep").hidden = FINISHED_STATUSES.has(sweep.status);
  if (historyPlot) readStudy();
}

// The k points with the lowest mean loss, their runs compared (by seed group when seeded).
function updateCompareLink() {
  const k = Math.max(1, Number(document.getElementById("best-k").value) || 1);
  const score = (p) => outcome(p, "best", "std", false).mean ?? Infinity;
  const best = [...points].sort((a, b) => score(a) - score(b)).slice(0, k);
  const ids = best.flatMap((p) => p.runs.map((run) => run.id)).slice(0, MAX_COMPARED);
  const grouped = best.some((p) => p.runs.length > 1) ? "&group=config" : "";
  const link = document.getElementById("compare-best");
  link.href = `/compare?ids=${ids.join(",")}${grouped}`;
  link.textContent = `Compare the best ${k}`;
}

// Ask first, as deleting runs does: true when the person chose to cancel.
function confirmCancel() {
  const dialog = document.getElementById("cancel-dialog");
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "cancel"), { once: true });
  });
}

async function cancel() {
  if (!(await confirmCancel())) return;
  const button = document.getElementById("cancel-sweep");
  button.disabled = true;
  try {
    const answer = await api(`/api/sweeps/${sweep.id}/cancel`, { method: "POST" });
    if (answer?.id === sweep.id) showSweep(answer);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showBanner(`Sweep #${sweep.id}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

// ---- losses: history on load, then tails of the runs the socket says moved

async function readLosses(id, query) {
  series.get(id).addHistory(await api(`/api/runs/${id}/losses?${query}`));
}

async function inTurn(ids, read) {
  const queue = [...ids];
  const worker = async () => {
    while (queue.length) await read(queue.shift());
  };
  await Promise.all(Array.from({ length: FETCHES }, worker));
}

const nextFrame = () => new Promise(requestAnimationFrame); // the chart's own frame runs first
const stamp = async (key) => {
  await nextFrame();
  page.dataset[key] = String(Math.round(performance.now()));
};

// Every started run's thinned history: drawn after the first round of reads, then each quarter.
async function loadHistory() {
  const started = [...runs.values()].filter((run) => run.iteration > 0).map((run) => run.id);
  const quarter = Math.max(FETCHES, Math.ceil(started.length / 4));
  let read = 0;
  await inTurn(started, async (id) => {
    await readLosses(id, `max_points=${perRun}`);
    read += 1;
    if (read === FETCHES || read % quarter === 0) chart.update();
    if (read === FETCHES) stamp("firstDrawnAt");
  });
  chart.update();
  if (read < FETCHES) stamp("firstDrawnAt");
  await stamp("drawnAt");
}

// Whether the runs as this page holds them add up to the sweep's counts.
function countsAgree() {
  const held = {};
  for (const run of runs.values()) held[run.status] = (held[run.status] ?? 0) + 1;
  return Object.entries(sweep.counts).every(([status, n]) => (held[status] ?? 0) === n);
}

// Runs that changed before the socket opened (or while it was down) are read again, once.
async function resync() {
  const limit = Math.max(runs.size, sweep.run_ids.length, 1);
  const { runs: fresh } = await api(`/api/runs?sweep_id=${sweep.id}&limit=${limit}`);
  for (const run of fresh) {
    const held = runs.get(run.id);
    if (held && run.status === held.status && run.iteration === held.iteration) continue;
    if (!series.has(run.id)) series.set(run.id, new LossSeries(perRun)); // a search's new point
    runs.set(run.id, run);
    stale.add(run.id);
  }
  tick();
}

function onSweep(next) {
  showSweep(next);
  if (!countsAgree()) resync();
}

function onProgress(message) {
  for (const p of message.runs) {
    const run = runs.get(p.id);
    if (!run) continue;
    runs.set(p.id, { ...run, status: p.status, iteration: p.step, last_loss: p.loss, best_loss: p.best_loss });
    stale.add(p.id);
  }
}

let ticking = false;
async function tick() {
  if (ticking || stale.size === 0) return;
  ticking = true;
  const ids = [...stale];
  stale.clear();
  try {
    await inTurn(ids, (id) => readLosses(id, `after=${series.get(id).lastStep}&max_points=${TAIL_POINTS}`));
    drawAll();
  } finally {
    ticking = false;
  }
}

function followSweep() {
  const final = new Set([CLOSE.DONE, CLOSE.UNAUTHORIZED, CLOSE.UNKNOWN_RUN]);
  follow(`/ws/sweeps/${sweep.id}`, {
    onOpen: () => setLive("live"),
    onMessage: (message) => {
      if (message.type === "sweep") onSweep(message.sweep);
      if (message.type === "progress") onProgress(message);
    },
    onClose: (event) => {
      setLive(event.code === CLOSE.DONE ? "done" : "offline");
      if (event.code === CLOSE.UNAUTHORIZED) showLoginNeeded();
      tick();
    },
    shouldRetry: (event) => !final.has(event.code),
  });
}

// ---- set-up

function setUpControls() {
  const select = document.getElementById("color-by");
  for (const field of fields) select.append(new Option(field, field));
  const numeric = fields.find((f) => points.every((p) => typeof p.params[f] === "number"));
  if (!fields.includes(view.colorBy)) view.colorBy = numeric ?? fields[0] ?? null;
  select.value = view.colorBy ?? "";
  for (const name of ["curves", "band", "metric"]) {
    const input = document.querySelector(`input[name="${name}"][value="${view[name]}"]`);
    if (input) input.checked = true;
  }
  select.closest("label").hidden = fields.length === 0;
  const redraw = () => drawAll();
  select.addEventListener("change", () => { view.colorBy = select.value; redraw(); });
  addEventListener("themechange", redraw); // the colour scale is tuned for each theme
  document.getElementById("sweep-controls").addEventListener("change", (event) => {
    const { name, value } = event.target;
    if (name in view) view[name] = value;
    if (name === "band") chart.set({ band: value });
    redraw();
  });
  document.getElementById("outcome-card").addEventListener("change", (event) => {
    if (event.target.name === "metric") view.metric = event.target.value;
    redraw();
  });
  document.getElementById("best-k").addEventListener("input", updateCompareLink);
  document.getElementById("clear-brush").addEventListener("click", () => {
    view.brush = {};
    parcoords.setRanges({});
    redraw();
  });
  document.getElementById("cancel-sweep").addEventListener("click", cancel);
}

function setUpOutcomes() {
  const box = document.getElementById("outcomes");
  for (const field of fields.filter((f) => points.every((p) => typeof p.params[f] === "number"))) {
    const figure = document.createElement("figure");
    figure.className = "outcome";
    const chartBox = Object.assign(document.createElement("div"), { className: "outcome-chart" });
    chartBox.dataset.field = field;
    figure.append(chartBox);
    box.append(figure);
    outcomes.push(new OutcomePlot(chartBox, field));
  }
  document.getElementById("outcome-card").hidden = outcomes.length === 0;
}

function main() {
  fields = sweptFields();
  regroup();
  showSweep(sweep);
  chart = new CurveChart(document.getElementById("curves"), { legend: false });
  bindControls(chart);
  table = new SweepTable(document.getElementById("points"), fields);
  parcoords = new ParallelCoords(document.getElementById("parcoords"), (ranges) => {
    view.brush = ranges;
    drawAll();
  });
  parcoords.setRanges(view.brush);
  document.getElementById("parcoords-card").hidden = fields.length === 0;
  historyPlot = new HistoryPlot(document.getElementById("history"));
  setUpControls();
  if (view.band !== "minmax") chart.set({ band: view.band });
  setUpOutcomes();
  drawAll();
  loadHistory().then(drawAll);
  readStudy();
  followSweep();
  setInterval(tick, 1000);
}

main();
