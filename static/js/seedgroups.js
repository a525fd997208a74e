// Seed groups: runs whose configs differ only in their seed, drawn as one mean curve with a band
// (min-max or ±std) on a step grid that every curve shares. The compare and sweep pages use it.

const GRID_POINTS = 1500; // a shared grid this long keeps 100 curves cheap to join and draw

// The config without its seed: runs with the same key are repeats of one point.
export function configKey(run) {
  const { seed, ...rest } = run.config;
  const keys = Object.keys(rest).sort();
  return JSON.stringify([run.variant, ...keys.map((k) => [k, rest[k]])]);
}

// Runs in groups of repeats, in the order each group first appears.
export function groupBySeed(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = configKey(run);
    if (!groups.has(key)) groups.set(key, { key, runs: [] });
    groups.get(key).runs.push(run);
  }
  return [...groups.values()];
}

// What a group's label says: the config fields its runs share that tell it apart from the others.
export function groupLabel(group, groups) {
  const config = group.runs[0].config;
  const differ = Object.keys(config).filter((k) => k !== "seed"
    && groups.some((other) => other.runs[0].config[k] !== config[k]));
  const variants = new Set(groups.map((g) => g.runs[0].variant));
  const parts = differ.map((k) => `${k}=${config[k]}`);
  if (variants.size > 1 || parts.length === 0) parts.unshift(group.runs[0].variant);
  return `${parts.join(" ")} ×${group.runs.length}`;
}

// The steps every curve is sampled at: the union of theirs while short, else evenly spaced.
export function stepGrid(seriesList, points = GRID_POINTS) {
  let last = -1;
  let total = 0;
  for (const s of seriesList) {
    total += s.length;
    if (s.length) last = Math.max(last, s.step.at(-1));
  }
  if (last < 0) return [];
  if (total <= points) {
    return [...new Set(seriesList.flatMap((s) => s.step))].sort((a, b) => a - b);
  }
  const grid = [];
  for (let i = 0; i < points; i++) grid.push(Math.round((i * last) / (points - 1)));
  return [...new Set(grid)];
}

// A series' loss at each grid step, interpolated between its own steps; null outside them.
export function resample(series, grid, log) {
  const { step, loss } = series;
  const out = new Array(grid.length).fill(null);
  let j = 0;
  for (let i = 0; i < grid.length; i++) {
    const x = grid[i];
    if (step.length === 0 || x < step[0] || x > step.at(-1)) continue;
    while (step[j + 1] !== undefined && step[j + 1] <= x) j++;
    if (step[j] === x || j + 1 >= step.length) {
      out[i] = loss[j];
      continue;
    }
    const t = (x - step[j]) / (step[j + 1] - step[j]);
    const [a, b] = [loss[j], loss[j + 1]];
    out[i] = log && a > 0 && b > 0 ? a * (b / a) ** t : a + (b - a) * t;
  }
  return out;
}

// Mean and band of several values. On a log scale the mean and std are taken of log10(loss)
// (a geometric mean and a multiplicative band): an arithmetic one is pulled to the largest run.
export function stats(values, band, log) {
  const xs = values.filter((v) => v !== null && Number.isFinite(v) && (!log || v > 0));
  if (xs.length === 0) return { mean: null, lo: null, hi: null };
  const ys = log ? xs.map(Math.log10) : xs;
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (band === "std") {
    const sd = Math.sqrt(ys.reduce((a, y) => a + (y - mean) ** 2, 0) / ys.length);
    [lo, hi] = [mean - sd, mean + sd];
  }
  const back = log ? (y) => 10 ** y : (y) => y;
  return { mean: back(mean), lo: back(lo), hi: back(hi) };
}

// A group's mean curve and band on the grid, from its members' resampled losses.
export function aggregate(columns, band, log) {
  const mean = [];
  const lo = [];
  const hi = [];
  const n = columns.length ? columns[0].length : 0;
  for (let i = 0; i < n; i++) {
    const s = stats(columns.map((c) => c[i]), band, log);
    mean.push(s.mean);
    lo.push(s.lo);
    hi.push(s.hi);
  }
  return { mean, lo, hi };
}
