// Where a queued run waits: "waiting: 2 runs ahead on cpu". The run's own `queue` says it when
// the server sends one; otherwise it is counted from the queued runs the API lists: those of
// the same device that were created before it (each lane starts its runs in order).
import { api } from "./common.js";
import { fmtInt } from "./numbers.js";

const LISTED = 1000; // the most runs one /api/runs page holds

// {lane, ahead} for a queued run.
export async function queuePlace(run) {
  if (run.queue) return run.queue;
  const { runs } = await api(`/api/runs?status=queued&limit=${LISTED}`);
  const ahead = runs.filter((other) => other.device === run.device && other.id < run.id);
  return { lane: run.device, ahead: ahead.length };
}

// What the run page says while the run waits.
export function waitingText({ lane, ahead }) {
  if (ahead === 0) return `waiting: next on ${lane}`;
  return `waiting: ${fmtInt(ahead)} run${ahead === 1 ? "" : "s"} ahead on ${lane}`;
}
