// Runs compared: their curves in one chart, each fed by its own websocket; or, grouped by config
// (?group=config), one mean curve with a band per group of runs that differ only in seed.
import { fill, isNewer, PAGE_DATA, runFields } from "./common.js";
import { CurveChart } from "./bandplot.js";
import { feedRun } from "./feed.js";
import { bindControls, LossChart, LossSeries, PALETTE } from "./lossplot.js";
import { groupBySeed, groupLabel } from "./seedgroups.js";

const grouped = PAGE_DATA.group === "config";

const lines = PAGE_DATA.runs.map((run, i) => ({
  run: null,
  row: document.querySelector(`tr[data-id="${run.id}"]`),
  label: `#${run.id} ${run.variant}`,
  color: PALETTE[i % PALETTE.length],
  series: new LossSeries(),
  diverged: run.status === "diverged",
}));

function showRun(line, run) {
  if (!isNewer(run, line.run)) return;
  line.run = run;
  line.diverged = run.status === "diverged";
  line.row.dataset.status = run.status;
  fill(line.row, runFields(run));
}

// One curve per seed group, coloured by group; each run's swatch takes its group's colour.
function groupCurves() {
  const byId = new Map(PAGE_DATA.runs.map((run, i) => [run.id, lines[i]]));
  const groups = groupBySeed(PAGE_DATA.runs);
  return groups.map((group, i) => {
    const members = group.runs.map((run) => byId.get(run.id));
    const color = PALETTE[i % PALETTE.length];
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

// The grouping lives in the query string: changing it reloads the page with the new one.
function bindGrouping() {
  document.getElementById("group-controls").addEventListener("change", (event) => {
    const url = new URL(location.href);
    const { name, value } = event.target;
    if (value) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
    location.assign(url);
  });
}

function main() {
  const chart = makeChart(document.getElementById("chart"));
  bindControls(chart);
  bindGrouping();
  PAGE_DATA.runs.forEach((run, i) => {
    const line = lines[i];
    line.row.querySelector(".swatch").style.background = line.color;
    showRun(line, run);
    feedRun(run, line.series, chart, (next) => showRun(line, next));
  });
}

main();
