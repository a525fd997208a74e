// What the run page says while a run waits: "waiting: 2 runs ahead on cpu". Its place comes with
// the run (RunPublic.queue), and the run's websocket sends it again as the runs ahead start.
import { fmtInt } from "./numbers.js";

// The waiting line for a queued run's `queue` ({lane, ahead}, or null while its sweep's
// max_parallel holds it back from its lane).
export function waitingText(queue) {
  if (!queue) return "waiting: its sweep runs its other points first";
  const { lane, ahead } = queue;
  if (ahead === 0) return `waiting: next on ${lane}`;
  return `waiting: ${fmtInt(ahead)} run${ahead === 1 ? "" : "s"} ahead on ${lane}`;
}
