// One run: its live loss chart and its numbers, from the run rendered into the page and then
// its websocket.
import {
  api, ApiError, elapsed, fill, isNewer, LIVE_STATUSES, PAGE_DATA, PAUSED_STATUSES, runFields,
  shortNode, showBanner,
} from "./common.js";
import { feedRun } from "./feed.js";
import { bindControls, ChartGroup } from "./chartview.js";
import { fitView } from "./fitview.js";
import { hyperMarks } from "./hypermarks.js";
import { LossChart } from "./losschart.js";
import { LossSeries } from "./lossseries.js";
import { fmtSeconds } from "./numbers.js";
import { waitingText } from "./queueplace.js";
import { initRunMeta, showMeta } from "./runmeta.js";
import { confirmAction, shortcuts } from "./shortcuts.js";
import { SeriesCharts } from "./serieschart.js";
import { initSteer, showSteer, steerEvents, takeEvents } from "./steer.js";

const page = document.getElementById("page");
const cancelButton = document.getElementById("cancel-run");
const waiting = document.getElementById("run-waiting");
let run = null;

// Where the run trains: dashes until a worker takes it.
function workerFields(worker) {
  if (!worker) return { executor: "—", node: "—", host: "—", "worker-device": "—", threads: "—" };
  const blas = worker.blas_threads === null ? "" : ` · BLAS ${worker.blas_threads}`;
  return {
    executor: worker.executor,
    node: shortNode(worker.node),
    host: worker.host,
    "worker-device": worker.device,
    threads: `torch ${worker.threads}${blas}`,
  };
}

function showRun(next) {
  takeEvents(next.events ?? []); // whatever order the news comes in
  if (!isNewer(next, run)) return;
  run = next;
  page.dataset.status = run.status;
  fill(page, { ...runFields(run), ...workerFields(run.worker), elapsed: fmtSeconds(elapsed(run)) });
  page.querySelector('[data-field="node"]').title = run.worker?.node ?? "";
  const error = page.querySelector('[data-field="error"]');
  error.textContent = run.error ?? "";
  error.hidden = !run.error;
  cancelButton.hidden = !LIVE_STATUSES.has(run.status) && !PAUSED_STATUSES.has(run.status);
  showMeta(run);
  showSteer(run);
  waiting.hidden = run.status !== "queued";
  if (run.status === "queued") waiting.textContent = waitingText(run.queue);
}

// Offline, a live status is only the last one heard: say that it is not known now.
function showLive({ detail: state }) {
  if (!LIVE_STATUSES.has(run.status)) return;
  fill(page, { status: state === "offline" ? "unknown (offline)" : run.status });
}

// The elapsed time moves on between the server's messages.
function tick() {
  fill(page, { elapsed: fmtSeconds(elapsed(run)) });
}

async function cancel() {
  cancelButton.disabled = true;
  try {
    showRun(await api(`/api/runs/${run.id}/cancel`, { method: "POST" }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status !== 401) showBanner(error.message); // a 401 has shown the login banner
  } finally {
    cancelButton.disabled = false;
  }
}

// The "c" shortcut: cancel, once the person has said yes.
async function askCancel() {
  if (cancelButton.hidden || cancelButton.disabled) return;
  if (await confirmAction(`Cancel run #${run.id}?`, "Cancel run", "Keep it")) cancel();
}

async function main() {
  showRun(PAGE_DATA.run);
  const series = new LossSeries();
  const line = { key: String(run.id), id: run.id, label: `#${run.id}`, series };
  const card = document.getElementById("fit-card"); // a polynomial fit's
  const fit = card && fitView(run, card);
  const marks = hyperMarks(steerEvents, PAGE_DATA.hyper);
  const chart = new LossChart(document.getElementById("chart"), [line], { onCursor: fit?.scrub, plugins: [marks] });
  // a chart per series besides loss's (a script's, a job's System group), all under the loss
  // chart's controls
  const group = new ChartGroup();
  group.add(chart);
  const hyper = Object.values(PAGE_DATA.hyper);
  const others = new SeriesCharts(document.getElementById("series-charts"), run, group, PAGE_DATA.series, hyper);
  bindControls(group, { persist: true });
  cancelButton.addEventListener("click", cancel);
  initRunMeta(run, showRun);
  let feed = null;
  initSteer(run, {
    changed: showRun,
    refollow: () => feed?.refollow() ?? false,
    onEvents: () => chart.update(),
  });
  addEventListener("livechange", showLive);
  shortcuts({ c: ["cancel this run (asks first)", askCancel] });
  setInterval(() => LIVE_STATUSES.has(run.status) && tick(), 1000);
  feed = await feedRun(run, series, chart, showRun, fit, { others });
}

main();
