// Runs compared: their curves in one chart, each fed by its own websocket.
import { fill, isNewer, PAGE_DATA, runFields } from "./common.js";
import { feedRun } from "./feed.js";
import { bindControls, LossChart, LossSeries, PALETTE } from "./lossplot.js";

const lines = PAGE_DATA.runs.map((run, i) => ({
  run: null,
  row: document.querySelector(`tr[data-id="${run.id}"]`),
  label: `#${run.id} ${run.variant}`,
  color: PALETTE[i % PALETTE.length],
  series: new LossSeries(),
}));

function showRun(line, run) {
  if (!isNewer(run, line.run)) return;
  line.run = run;
  line.row.dataset.status = run.status;
  fill(line.row, runFields(run));
}

function main() {
  const chart = new LossChart(document.getElementById("chart"), lines);
  bindControls(chart);
  PAGE_DATA.runs.forEach((run, i) => {
    const line = lines[i];
    line.row.querySelector(".swatch").style.background = line.color;
    showRun(line, run);
    feedRun(run, line.series, chart, (next) => showRun(line, next));
  });
}

main();
