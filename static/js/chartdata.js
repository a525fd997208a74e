// What a loss chart draws of each run: its raw losses, their EMA and running minimum, its best
// point, and on a log scale how many of its points cannot be drawn (zero or negative).

// Exponential moving average, debiased like TensorBoard's and aware of gaps between steps
// (a thinned series); in log mode it averages log(loss), which follows a curve that falls
// over ten decades instead of lagging behind it.
export function smooth(steps, values, weight, log) {
  const out = new Array(values.length);
  let num = 0;
  let den = 0;
  let prev = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v) || (log && v <= 0)) {
      out[i] = null;
      continue;
    }
    const w = weight ** (prev === null ? 1 : steps[i] - prev);
    num = num * w + (1 - w) * (log ? Math.log(v) : v);
    den = den * w + (1 - w);
    out[i] = log ? Math.exp(num / den) : num / den;
    prev = steps[i];
  }
  return out;
}

// The lowest loss so far at each point.
export function runningMin(values) {
  let best = Infinity;
  return values.map((v) => {
    if (v !== null && Number.isFinite(v) && v < best) best = v;
    return best === Infinity ? null : best;
  });
}

// The index of the lowest finite loss (positive on a log scale), or -1.
export function bestIndex(values, log) {
  let at = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && (!log || v > 0) && (at < 0 || v < values[at])) at = i;
  }
  return at;
}

// What one run's line draws: `columns` [raw, ema?, min?] on x, its best point and how many
// points a log scale leaves out.
export function lineData(series, { logY, xKey, logX, smoothing, runMin }) {
  const x = xKey === "step" && logX ? series.step.map((s) => s + 1) : series[xKey];
  const raw = logY ? series.loss.map((v) => (v > 0 ? v : null)) : series.loss;
  const columns = [raw];
  if (smoothing > 0) columns.push(smooth(series.step, series.loss, smoothing, logY));
  if (runMin) columns.push(runningMin(raw));
  const at = bestIndex(series.loss, logY);
  const best = at < 0 ? null : { x: x[at], step: series.step[at], loss: series.loss[at] };
  const hidden = logY ? series.loss.filter((v) => v <= 0).length : 0;
  return { x, columns, best, hidden };
}

// The [lo, hi] that holds all but the top and bottom 0.5% of `values`, and how many lie outside.
export function centralRange(values, log) {
  const xs = Float64Array.from(values.filter((v) => Number.isFinite(v) && (!log || v > 0)));
  if (xs.length < 2) return null;
  xs.sort();
  const at = (q) => xs[Math.min(xs.length - 1, Math.max(0, Math.round(q * (xs.length - 1))))];
  const [lo, hi] = [at(0.005), at(0.995)];
  const clipped = xs.reduce((n, v) => n + (v < lo || v > hi ? 1 : 0), 0);
  return { lo, hi, clipped };
}
