// A run's losses as the charts hold them: a bounded buffer that never holds more than ~2 x LIMIT
// points, however long the run: older points are thinned (each bucket keeps its min and max), as
// the server does. The charts themselves are losschart.js (a run's lines) and curvechart.js (groups).

const LIMIT = 4000;

const isGap = (v) => v === null || Number.isNaN(v); // a non-finite value, as JSON's null

// Indices of about maxPoints points: both ends and each bucket's min and max, in order; a
// bucket's first gap is kept too (a gap is never its min or max), so the line breaks there.
export function decimate(values, maxPoints) {
  const n = values.length;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const size = Math.ceil(n / buckets);
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  for (let start = 0; start < n; start += size) {
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (let i = start; i < Math.min(start + size, n); i++) {
      if (isGap(values[i])) {
        if (gap < 0) gap = i;
        continue;
      }
      if (lo < 0 || values[i] < values[lo]) lo = i;
      if (hi < 0 || values[i] > values[hi]) hi = i;
    }
    for (const i of [lo, hi, gap]) if (i >= 0) keep[i] = 1;
  }
  const out = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}

// One run's steps, losses and times: the decimated history, then every live point after it.
export class LossSeries {
  constructor(limit = LIMIT) {
    this.limit = limit;
    this.step = [];
    this.loss = [];
    this.time = [];
    this.lastStep = -1;
  }

  // Hold what `other` holds instead (a history fetched again).
  replaceWith(other) {
    for (const key of ["step", "loss", "time", "lastStep"]) this[key] = other[key];
  }

  get length() {
    return this.step.length;
  }

  addHistory({ step, loss, time }) {
    for (let i = 0; i < step.length; i++) this.push(step[i], loss[i], time[i]);
    this.compact();
  }

  // A websocket "points" message: steps start, start+1, ...
  addPoints({ start, loss, time }) {
    for (let i = 0; i < loss.length; i++) this.push(start + i, loss[i], time[i]);
    this.compact();
  }

  // A websocket "series" message, or a /series page: its steps are its own (they may skip).
  addSteps({ step, value, time }) {
    for (let i = 0; i < step.length; i++) this.push(step[i], value[i], time[i]);
    this.compact();
  }

  push(step, loss, time) {
    if (step <= this.lastStep) return; // already have it
    this.step.push(step);
    this.loss.push(loss);
    this.time.push(time);
    this.lastStep = step;
  }

  compact() {
    if (this.step.length <= 2 * this.limit) return;
    const keep = decimate(this.loss, this.limit);
    for (const key of ["step", "loss", "time"]) this[key] = keep.map((i) => this[key][i]);
  }
}
