// Runs compared: their curves in one chart, one websocket each for those still running.
import {
  advance, api, checkAuth, fill, follow, initToken, isNewer, runFields, setLive,
} from "./common.js";
import { bindControls, LossChart, LossSeries, PALETTE } from "./lossplot.js";

const HISTORY_POINTS = 2000;
const page = document.getElementById("page");
const ids = page.dataset.runIds.split(",").map(Number);
const rows = new Map(ids.map((id) => [id, document.querySelector(`tr[data-id="${id}"]`)]));

function label(id) {
  const row = rows.get(id);
  const variant = row.querySelector(".variant").textContent;
  return `#${id} ${variant}`;
}

const lines = ids.map((id, i) => ({
  id, label: label(id), color: PALETTE[i % PALETTE.length], series: new LossSeries(),
}));
const chart = new LossChart(document.getElementById("chart"), lines);

function showRun(line, run) {
  if (!isNewer(run, line.run)) return;
  line.run = run;
  const row = rows.get(line.id);
  row.dataset.status = run.status;
  fill(row, runFields(run));
}

function followLine(line) {
  follow(`/ws/runs/${line.id}`, {
    params: () => ({ after: line.series.lastStep }),
    onOpen: () => setLive("live"),
    onMessage: (message) => {
      if (message.type === "run") {
        showRun(line, message.run);
      } else if (message.type === "points") {
        line.series.addPoints(message);
        chart.update();
        showRun(line, advance(line.run, message));
      }
    },
    shouldRetry: (event) => ![1000, 4401, 4404].includes(event.code),
  });
}

async function main() {
  initToken();
  checkAuth();
  bindControls(chart);
  for (const line of lines) {
    rows.get(line.id).querySelector(".swatch").style.background = line.color;
  }
  const histories = await Promise.all(
    lines.map((line) => api(`/api/runs/${line.id}/losses?max_points=${HISTORY_POINTS}`)),
  );
  histories.forEach((history, i) => lines[i].series.addHistory(history));
  chart.update();
  lines.forEach(followLine);
}

main();
