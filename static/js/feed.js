// A run's losses fed to a chart: its decimated history, then every later point from
// /ws/runs/{id}. The run page feeds one run, the compare page one per run.
import { advance, api, CLOSE, follow, setLive, showBanner, showLoginNeeded } from "./common.js";
import { LossSeries } from "./lossseries.js";
import { loadSeries } from "./serieschart.js";

const HISTORY_POINTS = 2000;
// no use retrying
const FINAL = new Set([CLOSE.DONE, CLOSE.UNAUTHORIZED, CLOSE.UNKNOWN_RUN, CLOSE.INVALID]);
let connected = 0; // the page's feeds with an open socket, for the header's live dot

// A run the server answers for (done, deleted, refused) is not the server being offline.
function closed(run, event) {
  if (connected === 0) setLive(FINAL.has(event.code) ? "done" : "offline");
  if (event.code === CLOSE.UNAUTHORIZED) showLoginNeeded();
  if (event.code === CLOSE.UNKNOWN_RUN) showBanner(`Run #${run.id} no longer exists.`);
}

// The run's stored losses, from the start: a page at a time, at most a million steps each.
async function loadLosses(run, series) {
  for (let after = -1; after !== null; ) {
    const page = await api(`/api/runs/${run.id}/losses?max_points=${HISTORY_POINTS}&after=${after}`);
    series.addHistory(page);
    after = page.next_after;
  }
}

// Feed `run`'s losses into `series` and redraw `chart`; `onRun` gets the run as each status
// message says it, and as each batch of points moves its numbers on. A polynomial's `fit`
// loads its stored parameters after the losses, then `add`s each "params" message. With `name`,
// `series` follows that series instead of loss; `others` (SeriesCharts) takes every other one.
// Resolves, once the history is drawn, to
// `{ refollow }`: after the server ended the socket (the run was over, or only in its store),
// follow the run again from its stored history (it has been resumed); false if it had not.
export async function feedRun(
  run, series, chart, onRun, fit = null, { name = "loss", others = null } = {},
) {
  const loadHistory = (into) => (name === "loss" ? loadLosses(run, into) : loadSeries(run.id, name, into));
  await loadHistory(series);
  chart.update();
  await fit?.load();
  await others?.load();
  let latest = run;
  let open = false;
  let lost = false; // the socket closed without an answer: what the chart holds may be unstored
  // After a lost connection the chart takes the store's losses again before resuming: a server
  // that was killed never stored its last points, and a reconnect must not keep them.
  const resume = async () => {
    if (lost) {
      const stored = new LossSeries(series.limit);
      await loadHistory(stored);
      series.replaceWith(stored);
      chart.update();
      lost = false;
    }
    // after the last point held (of loss, and of each other series)
    if (name !== "loss") {
      return { after: Number.MAX_SAFE_INTEGER, after_series: JSON.stringify({ [name]: series.lastStep }) };
    }
    return { after: series.lastStep, ...(others ? { after_series: JSON.stringify(others.cursors()) } : {}) };
  };
  const show = (next) => {
    latest = next;
    onRun(next);
  };
  let ended = false; // the server closed the socket for good
  const start = () => follow(`/ws/runs/${run.id}`, {
    params: resume, // a reconnect resumes after the last point held
    onOpen: () => {
      open = true;
      connected += 1;
      setLive("live");
    },
    onMessage: (message) => {
      if (message.type === "run") show(message.run);
      if (message.type === "params") fit?.add(message);
      if (message.type === "series" && message.name === name) {
        series.addSteps(message);
        chart.update();
      } else if (message.type === "series") others?.take(message);
      if (message.type !== "points" || name !== "loss") return;
      series.addPoints(message);
      chart.update();
      show(advance(latest, message));
    },
    onClose: (event) => {
      if (open) connected -= 1;
      open = false;
      lost ||= !FINAL.has(event.code);
      ended = FINAL.has(event.code);
      closed(run, event);
    },
    shouldRetry: (event) => !FINAL.has(event.code),
  });
  start();
  return {
    refollow() {
      if (!ended) return false; // the open socket carries the resumed run on
      ended = false;
      lost = true; // resume dropped the steps after its checkpoint: take the store's again
      start();
      return true;
    },
  };
}
