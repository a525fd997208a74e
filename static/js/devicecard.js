// The dashboard's Devices card: each device's utilisation and memory in use now, and a
// sparkline of its utilisation over the last minutes, redrawn at each system sample.
import { api, fill } from "./common.js";

const MIN_POLL_MS = 1000;

function fmtBytes(bytes) {
  if (bytes == null) return "—";
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

// "x,y" points of a 0..100 series across the box (100 wide, 20 high); gaps are skipped.
export function sparkPoints(values) {
  const step = values.length > 1 ? 100 / (values.length - 1) : 0;
  return values
    .map((v, i) => (v == null ? null : `${(i * step).toFixed(2)},${(20 - v / 5).toFixed(2)}`))
    .filter((p) => p !== null)
    .join(" ");
}

function show(card, samples) {
  for (const row of card.querySelectorAll("[data-device]")) {
    const figures = samples.devices[row.dataset.device];
    if (!figures) continue;
    const now = figures.utilization.at(-1);
    const used = figures.memory_used.at(-1);
    fill(row, {
      utilization: now == null ? "—" : `${Math.round(now)}%`,
      memory: used == null ? "—" : `${fmtBytes(used)} / ${fmtBytes(figures.memory_total)}`,
    });
    row.querySelector("polyline").setAttribute("points", sparkPoints(figures.utilization));
    row.dataset.samples = figures.utilization.length;
  }
}

// Show the samples the page came with, then ask /api/system/samples at each sample (no faster
// than once a second) while sampling is on.
export function devicesPanel(card, samples) {
  const everyS = Number(card.dataset.everyS);
  if (!everyS) return;
  show(card, samples);
  const wait = Math.max(everyS * 1000, MIN_POLL_MS);
  const poll = async () => {
    try {
      show(card, await api("/api/system/samples"));
      delete card.dataset.stale;
    } catch {
      card.dataset.stale = ""; // no answer (the server is away): the last figures stay, faded
    } finally {
      setTimeout(poll, wait);
    }
  };
  setTimeout(poll, wait);
}
