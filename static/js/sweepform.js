// The run form as a sweep: a numeric field may hold a list ("1e-6, 1e-5, 1e-4") or a range with
// a count ("1e-6..1e-4 x5", log-spaced when it spans decades), the optimizer may be "both", and
// "seeds" repeats each point; the form then says how many runs it makes and POSTs /api/sweeps.
import { fmtInt } from "./numbers.js";

export const SWEEPABLE = ["learning_rate", "iterations", "N", "D_in", "D_out", "H", "points"];
export const BOTH_OPTIMIZERS = "sgd,adam";
const RANGE = /^(\S+)\s*\.\.\s*(\S+)\s*[x×]\s*(\d+)$/;

// n values from lo to hi: evenly spaced in log when both are positive and a decade apart.
function spaced(lo, hi, n, integer) {
  const log = lo > 0 && hi > 0 && hi / lo >= 10;
  const [a, b] = log ? [Math.log10(lo), Math.log10(hi)] : [lo, hi];
  const values = Array.from({ length: n }, (_, i) => {
    const v = n === 1 ? a : a + ((b - a) * i) / (n - 1);
    const x = log ? 10 ** v : v;
    return integer ? Math.round(x) : Number(x.toPrecision(6));
  });
  return [...new Set(values)];
}

// A field's text as the values it sweeps: null when it is one value (or empty), else a list;
// text that does not parse is kept as text, for the server to name what is wrong with it.
export function parseValues(text, integer) {
  const value = text.trim();
  const range = value.match(RANGE);
  if (range) {
    const [lo, hi, n] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (Number.isFinite(lo) && Number.isFinite(hi) && n >= 1) return spaced(lo, hi, n, integer);
    return [value];
  }
  if (!value.includes(",")) return null;
  return value.split(",").map((part) => part.trim()).filter(Boolean)
    .map((part) => (Number.isFinite(Number(part)) ? Number(part) : part));
}

// The swept fields of the form: {field: [values]}, for those with more than a single value.
export function sweptParams(read) {
  const params = {};
  for (const name of SWEEPABLE) {
    const values = parseValues(read(name), name !== "learning_rate");
    if (values) params[name] = values;
  }
  if (read("optimizer") === BOTH_OPTIMIZERS) params.optimizer = ["sgd", "adam"];
  return params;
}

// "3 learning_rate values × 2 optimizers × 3 seeds = 18 runs", or "" for a single run; over
// the server's cap (`maxRuns`) it says so.
export function previewText(params, seeds, maxRuns = Infinity) {
  const parts = Object.entries(params).map(([name, values]) => {
    const noun = name === "optimizer" ? "optimizers" : `${name} values`;
    return `${fmtInt(values.length)} ${noun}`;
  });
  if (seeds > 1) parts.push(`${seeds} seeds`);
  if (parts.length === 0) return "";
  const total = Object.values(params).reduce((n, values) => n * values.length, Math.max(seeds, 1));
  const text = `${parts.join(" × ")} = ${fmtInt(total)} run${total === 1 ? "" : "s"}`;
  return total > maxRuns ? `${text}: over this server's cap of ${fmtInt(maxRuns)} a sweep` : text;
}

// The POST /api/sweeps body: a grid over the swept fields, the rest of the run form as its base.
export function sweepBody(run, params, seeds) {
  const base = { ...run };
  delete base.variant;
  delete base.name;
  for (const name of Object.keys(params)) delete base[name];
  const body = { variant: run.variant, method: "grid", seeds, base, params: {} };
  for (const [name, values] of Object.entries(params)) body.params[name] = { values };
  if (run.name) body.name = run.name;
  return body;
}

// The form's sweep, when it asks for one: its swept fields, seeds per point and preview. A field
// the chosen variant does not take is hidden, and sweeps nothing.
export function formSweep(form, maxRuns = Infinity) {
  const hidden = (name) => form.querySelector(`[data-field-for="${name}"]`)?.hidden;
  const read = (name) => (hidden(name) ? "" : form.elements.namedItem(name).value);
  const seeds = Number(read("seeds")) || 1;
  const params = sweptParams(read);
  // a plugin's own numeric fields sweep the same way (their inputs are named own:FIELD)
  for (const node of form.querySelectorAll("[name^='own:'][data-kind='integer'], [name^='own:'][data-kind='number']")) {
    const values = parseValues(node.value, node.dataset.kind === "integer");
    if (values) params[node.name.slice(4)] = values;
  }
  return { params, seeds, text: previewText(params, seeds, maxRuns) };
}

// The preview under the form, and the start button saying what it starts.
export function showPreview(form, text) {
  const preview = form.querySelector("#sweep-preview");
  preview.textContent = text;
  preview.hidden = !text;
  form.querySelector("#start-run").textContent = text ? "Start sweep" : "Start run";
}
