// The dashboard's form: one run, a sweep (a number given as a list or range), or every variant
// of one tutorial with one shared seed. A 422 puts each message next to its field.
import { api, ApiError, clearFieldErrors, PAGE_DATA } from "./common.js";
import { drawOwnFields, isPlugin, readOwnFields } from "./ownfields.js";
import { BOTH_OPTIMIZERS, formSweep, showPreview, sweepBody } from "./sweepform.js";
import {
  accepted, runAllBodies, showFields, showRunAll, variantOptions,
} from "./variantform.js";

const form = document.getElementById("run-form");
const { variants, devices } = PAGE_DATA;
const SIZES = ["N", "D_in", "H", "D_out", "points"]; // the data's sizes: a variant takes some
let onRun = () => {};

const input = (name) => form.elements.namedItem(name);
const ownGroup = document.getElementById("own-fields");

function option(value, text) {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = text;
  return node;
}

function variantById(id) {
  return variants.find((v) => v.id === id);
}

function deviceLabel(device) {
  const memory = device.memory_total ? `, ${(device.memory_total / 2 ** 30).toFixed(0)} GiB` : "";
  return `${device.id} — ${device.name}${memory}`;
}

// Devices this variant can use: "auto" first, then the machine's devices of a kind it accepts.
function fillDevices(variant) {
  const select = input("device");
  const current = select.value;
  const usable = devices.filter((d) => variant.devices.includes(d.kind));
  select.replaceChildren(option("auto", "auto"), ...usable.map((d) => option(d.id, deviceLabel(d))));
  select.value = usable.some((d) => d.id === current) ? current : "auto";
}

// The variant's own defaults: iterations, learning rate, optimizer and dtype (sizes stay as
// typed, or take its defaults where empty), or every field with `all`; only its fields shown.
function applyDefaults(all = false) {
  const variant = variantById(input("variant").value);
  const d = variant.defaults;
  document.getElementById("variant-title").textContent = variant.title;
  fillDevices(variant);
  showFields(form, variants, variant);
  showRunAll(document.getElementById("run-all"), variants, variant);
  drawOwnFields(ownGroup, variant);
  document.getElementById("optimizer-slot").hidden = !d.optimizer;
  if (d.optimizer) input("optimizer").value = d.optimizer;
  input("iterations").value = String(d.iterations);
  if (!isPlugin(variant)) {
    input("learning_rate").value = String(d.learning_rate);
    input("dtype").value = d.dtype;
  }
  for (const name of SIZES) {
    if (d[name] !== undefined && (all || !input(name).value.trim())) input(name).value = d[name];
  }
  if (all) {
    input("seed").value = d.seed ?? "";
    input("seeds").value = "1";
    input("name").value = "";
    input("device").value = "auto";
  }
  clearErrors();
  updatePreview();
}

// A typed number as JSON: a number when it is one, else the text, so the server says what is wrong.
function numberOrText(text, integer) {
  const value = text.trim();
  if (value === "") return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return value;
  if (integer && !Number.isSafeInteger(n)) return /^\d+$/.test(value) ? value : n;
  return n;
}

// A plugin's request: lossboard's common fields and its own.
function readPluginForm(variant) {
  const body = { variant: variant.id, device: input("device").value };
  const iterations = numberOrText(input("iterations").value, true);
  if (iterations !== null) body.iterations = iterations;
  const seed = numberOrText(input("seed").value, true);
  if (seed !== null) body.seed = seed;
  if (input("name").value.trim()) body.name = input("name").value.trim();
  return { ...body, ...readOwnFields(ownGroup, variant) };
}

function readForm() {
  const chosen = variantById(input("variant").value);
  if (isPlugin(chosen)) return readPluginForm(chosen);
  const body = { variant: input("variant").value, device: input("device").value };
  for (const name of ["iterations", ...SIZES]) {
    body[name] = numberOrText(input(name).value, true);
  }
  const lr = numberOrText(input("learning_rate").value, false);
  if (lr !== null) body.learning_rate = lr;
  const seed = numberOrText(input("seed").value, true);
  if (seed !== null) body.seed = seed;
  if (!document.getElementById("optimizer-slot").hidden) body.optimizer = input("optimizer").value;
  body.dtype = input("dtype").value;
  if (input("name").value.trim()) body.name = input("name").value.trim();
  return accepted(body, variantById(body.variant));
}

const clearErrors = () => clearFieldErrors(form);

// FastAPI's 422 detail lists errors with loc ["body", field]: each message goes next to its field.
function showErrors(error) {
  const detail = Array.isArray(error.detail) ? error.detail : [{ loc: [], msg: error.message }];
  for (const item of detail) {
    // a sweep's loc goes on past its field (["body", "params", "H", "values"]): the last part
    // that names one of the form's fields
    const parts = (item.loc ?? []).map(String).reverse();
    const field = parts.find((part) => errorSlot(part)) ?? "";
    const slot = errorSlot(field || "_form");
    const message = (slot.dataset.prefix ?? "") + String(item.msg).replace(/^Value error, /, "");
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    const own = document.getElementById(`f-own-${field}`);
    (own && !ownGroup.hidden ? own : input(field))?.setAttribute?.("aria-invalid", "true");
  }
}

// Where the server's message about a field goes: a shown field's slot (a plugin's own field may
// share its name with a hidden field of the tutorial's).
function errorSlot(field) {
  const slots = [...form.querySelectorAll(`[data-error-for="${CSS.escape(field)}"]`)];
  return slots.find((slot) => !slot.closest("[hidden]")) ?? null;
}

// "Edit and run": the form filled with a run's request (PAGE_DATA.form_request), and each run it
// starts names that run as the one it repeats.
function fillFromRequest(request) {
  input("variant").value = request.variant;
  applyDefaults(true);
  drawOwnFields(ownGroup, variantById(request.variant), request);
  for (const [name, value] of Object.entries(request)) {
    const field = input(name);
    if (value === null || !field || name === "variant") continue;
    if (field instanceof HTMLSelectElement && ![...field.options].some((o) => o.value === String(value))) continue;
    field.value = String(value);
  }
  const note = document.getElementById("form-rerun-of");
  note.textContent = `A re-run of #${request.rerun_of}: change what you like, then start it.`;
  note.hidden = false;
}

async function submitRun(body) {
  const run = await api("/api/runs", { method: "POST", body });
  onRun(run);
  return run;
}

function updatePreview() {
  const { text } = formSweep(form, PAGE_DATA.max_sweep_runs);
  showPreview(form, text);
}

async function startSweep(params, seeds) {
  const sweep = await api("/api/sweeps", { method: "POST", body: sweepBody(readForm(), params, seeds) });
  location.assign(`/sweeps/${sweep.id}`);
}

async function startRun(event) {
  event.preventDefault();
  clearErrors();
  const { params, seeds, text } = formSweep(form, PAGE_DATA.max_sweep_runs);
  try {
    if (text) await startSweep(params, seeds);
    else await submitRun({ ...readForm(), rerun_of: PAGE_DATA.form_request?.rerun_of });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showErrors(error);
  }
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

// Every variant of the chosen one's tutorial with the form's iterations, sizes and one seed;
// then compare them.
async function runAll() {
  clearErrors();
  const values = readForm();
  const seed = values.seed ?? randomSeed();
  const chosen = devices.find((d) => d.id === values.device);
  const bodies = runAllBodies(variants, variantById(values.variant), values, seed, chosen);
  const ids = [];
  try {
    for (const body of bodies) ids.push((await submitRun(body)).id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showErrors(error);
    return;
  }
  location.assign(`/compare?ids=${ids.join(",")}`);
}


// The form's choices and handlers; its buttons stay disabled until then. `showRun` hears of
// each run it starts.
export function setUpForm(showRun) {
  onRun = showRun;
  const select = input("variant");
  select.replaceChildren(...variantOptions(variants));
  input("optimizer").replaceChildren(
    option("sgd", "SGD"), option("adam", "Adam"), option(BOTH_OPTIMIZERS, "SGD and Adam"),
  );
  input("dtype").replaceChildren(option("float32", "float32"), option("float64", "float64"));
  select.value = PAGE_DATA.form_variant;
  applyDefaults(true);
  if (PAGE_DATA.form_request) fillFromRequest(PAGE_DATA.form_request);
  select.addEventListener("change", () => applyDefaults());
  input("optimizer").addEventListener("change", () => {
    const rate = variantById(select.value).defaults.learning_rates[input("optimizer").value];
    if (rate !== undefined) input("learning_rate").value = String(rate);
  });
  form.addEventListener("input", updatePreview);
  form.addEventListener("change", updatePreview);
  form.addEventListener("submit", startRun);
  document.getElementById("run-all").addEventListener("click", runAll);
  document.getElementById("reset-form").addEventListener("click", () => applyDefaults(true));
  for (const id of ["start-run", "run-all"]) document.getElementById(id).disabled = false;
}
