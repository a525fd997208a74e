// One run: its live loss chart (decimated history, then every point from /ws/runs/{id}),
// its numbers, and the source of its variant.
import {
  advance, api, ApiError, checkAuth, elapsed, fill, fmtSeconds, follow, initToken, isNewer, LIVE_STATUSES,
  runFields, setLive, showBanner,
} from "./common.js";
import { bindControls, LossChart, LossSeries, PALETTE } from "./lossplot.js";

const HISTORY_POINTS = 2000;
const CLOSE_DONE = 1000;
const page = document.getElementById("page");
const runId = Number(page.dataset.runId);
const cancelButton = document.getElementById("cancel-run");
const series = new LossSeries();
const chart = new LossChart(document.getElementById("chart"), [
  { label: `#${runId}`, color: PALETTE[0], series },
]);
let run = null;

function showRun(next) {
  if (!isNewer(next, run)) return;
  run = next;
  page.dataset.status = run.status;
  fill(page, { ...runFields(run), elapsed: fmtSeconds(elapsed(run)) });
  const error = page.querySelector('[data-field="error"]');
  error.textContent = run.error ?? "";
  error.hidden = !run.error;
  cancelButton.hidden = !LIVE_STATUSES.has(run.status);
}

// The elapsed time moves on between the server's messages.
function tick() {
  fill(page, { elapsed: fmtSeconds(elapsed(run)) });
}

async function loadSource() {
  const variants = await api("/api/variants");
  const variant = variants.find((v) => v.id === page.dataset.variant);
  document.getElementById("source").textContent = variant ? variant.source : "";
}

function onMessage(message) {
  if (message.type === "run") {
    showRun(message.run);
  } else if (message.type === "points") {
    series.addPoints(message);
    chart.update();
    showRun(advance(run, message));
  }
}

function followRun() {
  follow(`/ws/runs/${runId}`, {
    params: () => ({ after: series.lastStep }), // a reconnect resumes after the last point held
    onOpen: () => setLive("live"),
    onMessage,
    onClose: (event) => {
      setLive(event.code === CLOSE_DONE ? "done" : "offline");
      if (event.code === 4401) showBanner("The server needs a token: open the page as …?token=<token>.");
      if (event.code === 4404) showBanner(`Run #${runId} no longer exists.`);
    },
    shouldRetry: (event) => ![CLOSE_DONE, 4401, 4404].includes(event.code),
  });
}

async function cancel() {
  cancelButton.disabled = true;
  try {
    showRun(await api(`/api/runs/${runId}/cancel`, { method: "POST" }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showBanner(error.message);
  } finally {
    cancelButton.disabled = false;
  }
}

async function main() {
  initToken();
  checkAuth();
  loadSource();
  bindControls(chart);
  cancelButton.addEventListener("click", cancel);
  setInterval(() => run && LIVE_STATUSES.has(run.status) && tick(), 1000);
  const history = await api(`/api/runs/${runId}/losses?max_points=${HISTORY_POINTS}`);
  series.addHistory(history);
  chart.update();
  followRun();
}

main();
