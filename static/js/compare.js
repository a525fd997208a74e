// Runs compared: their curves in one chart, each fed by its own websocket; or, grouped by config
// (?group=config), one mean curve with a band per group of runs that differ only in seed; of
// their loss, or of another series they hold (?series=val/acc). The chart's view lives in the
// query string, with the grouping, the series and the config table's toggle.
import { FINISHED_STATUSES, fill, isNewer, PAGE_DATA, runFields, setLive } from "./common.js";
import { CurveChart } from "./curvechart.js";
import { bindControls } from "./chartview.js";
import { runColor } from "./colors.js";
import { feedRun } from "./feed.js";
import { LossChart } from "./losschart.js";
import { LossSeries } from "./lossseries.js";
import { groupBySeed, groupLabel } from "./seedgroups.js";

const grouped = PAGE_DATA.group === "config";

const lines = PAGE_DATA.runs.map((run) => ({
  run: null,
  row: document.querySelector(`tr[data-id="${run.id}"]`),
  key: String(run.id),
  id: run.id,
  label: `#${run.id} ${run.name || run.variant || "script run"}`,
  series: new LossSeries(),
  diverged: run.status === "diverged",
}));

function showRun(line, run) {
  if (!isNewer(run, line.run)) return;
  line.run = run;
  line.diverged = run.status === "diverged";
  line.row.dataset.status = run.status;
  fill(line.row, runFields(run));
  // the header follows the runs, not their sockets: once every run has ended it says so
  if (lines.every((l) => l.run && FINISHED_STATUSES.has(l.run.status))) setLive("done");
}

// One curve per seed group, in the colour of its first run; each run's swatch takes it.
function groupCurves() {
  const byId = new Map(PAGE_DATA.runs.map((run, i) => [run.id, lines[i]]));
  const groups = groupBySeed(PAGE_DATA.runs);
  return groups.map((group) => {
    const members = group.runs.map((run) => byId.get(run.id));
    const color = runColor(group.runs[0].id);
    for (const line of members) line.color = color;
    return { label: groupLabel(group, groups), color, members };
  });
}

function makeChart(container) {
  if (!grouped) return new LossChart(container, lines);
  const chart = new CurveChart(container, { band: PAGE_DATA.band });
  chart.setCurves(groupCurves());
  return chart;
}

function paintSwatches() {
  const curves = grouped ? groupCurves() : null;
  for (const line of lines) {
    line.row.querySelector(".swatch").style.background = curves ? line.color : runColor(line.id);
  }
  return curves;
}

// The grouping lives in the query string: changing it reloads the page with the new one.
function bindGrouping() {
  document.getElementById("group-controls").addEventListener("change", (event) => {
    const url = new URL(location.href);
    const { name, value } = event.target;
    if (value && !(name === "series" && value === "loss")) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
    location.assign(url);
  });
}

// The config table shows only the fields that differ, unless asked for all (?diff=0).
function bindDiffToggle() {
  const toggle = document.getElementById("only-diff");
  const table = document.getElementById("compare-config");
  const show = () => table.classList.toggle("only-diff", toggle.checked);
  toggle.checked = new URLSearchParams(location.search).get("diff") !== "0";
  show();
  toggle.addEventListener("change", () => {
    show();
    const url = new URL(location.href);
    if (toggle.checked) url.searchParams.delete("diff");
    else url.searchParams.set("diff", "0");
    history.replaceState(history.state, "", url);
  });
}

function main() {
  const chart = makeChart(document.getElementById("chart"));
  bindControls(chart, { persist: true });
  bindGrouping();
  bindDiffToggle();
  paintSwatches();
  addEventListener("themechange", () => {
    const curves = paintSwatches();
    if (curves) chart.setCurves(curves);
  });
  PAGE_DATA.runs.forEach((run, i) => {
    const line = lines[i];
    showRun(line, run);
    feedRun(run, line.series, chart, (next) => showRun(line, next), null, { name: PAGE_DATA.series });
  });
}

main();
