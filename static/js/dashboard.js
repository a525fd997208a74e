// The dashboard: a form that starts runs, the runs list kept live by /ws/runs, and under Ray the
// Cluster card. The variants, devices, newest runs and the cluster come rendered into the page.
import {
  api, ApiError, CLOSE, fill, follow, isNewer, LIVE_STATUSES, PAGE_DATA,
  runFields, setLive, showBanner, showLoginNeeded,
} from "./common.js";
import { clusterPanel } from "./cluster.js";
import { fmtInt } from "./numbers.js";
import { BOTH_OPTIMIZERS, formSweep, showPreview, sweepBody } from "./sweepform.js";
import {
  accepted, runAllBodies, showFields, showRunAll, variantOptions,
} from "./variantform.js";

const form = document.getElementById("run-form");
const tbody = document.getElementById("runs-body");
const rowTemplate = document.getElementById("run-row-template");
const compareButton = document.getElementById("compare-selected");
const { variants, devices } = PAGE_DATA;
const SIZES = ["N", "D_in", "H", "D_out", "points"]; // the data's sizes: a variant takes some
const rows = new Map(); // run id -> its <tr>
const shown = new Map(); // run id -> the run as its row shows it
let total = 0;
let cluster = null; // the Cluster card, when the server trains on Ray

// ---- the form

const input = (name) => form.elements.namedItem(name);

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
  document.getElementById("optimizer-slot").hidden = !d.optimizer;
  if (d.optimizer) input("optimizer").value = d.optimizer;
  input("iterations").value = String(d.iterations);
  input("learning_rate").value = String(d.learning_rate);
  input("dtype").value = d.dtype;
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

function readForm() {
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

function clearErrors() {
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

// FastAPI's 422 detail lists errors with loc ["body", field]: each message goes next to its field.
function showErrors(error) {
  const detail = Array.isArray(error.detail) ? error.detail : [{ loc: [], msg: error.message }];
  for (const item of detail) {
    const field = String(item.loc?.at(-1) ?? "");
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`)
      ?? form.querySelector('[data-error-for="_form"]');
    const message = (slot.dataset.prefix ?? "") + String(item.msg).replace(/^Value error, /, "");
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    input(field)?.setAttribute?.("aria-invalid", "true");
  }
}

async function submitRun(body) {
  const run = await api("/api/runs", { method: "POST", body });
  showRun(run);
  return run;
}

function updatePreview() {
  const { text } = formSweep(form);
  showPreview(form, text);
}

async function startSweep(params, seeds) {
  const sweep = await api("/api/sweeps", { method: "POST", body: sweepBody(readForm(), params, seeds) });
  location.assign(`/sweeps/${sweep.id}`);
}

async function startRun(event) {
  event.preventDefault();
  clearErrors();
  const { params, seeds, text } = formSweep(form);
  try {
    if (text) await startSweep(params, seeds);
    else await submitRun(readForm());
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

// ---- the runs list

function newRow(run) {
  const tr = rowTemplate.content.firstElementChild.cloneNode(true);
  tr.dataset.id = run.id;
  const link = tr.querySelector('[data-field="link"]');
  link.href = `/runs/${run.id}`;
  link.textContent = `#${run.id}`;
  const before = [...rows.keys()].filter((id) => id < run.id).sort((a, b) => b - a)[0];
  tbody.insertBefore(tr, before === undefined ? null : rows.get(before));
  rows.set(run.id, tr);
  return tr;
}

function showRun(run) {
  if (!isNewer(run, shown.get(run.id))) return;
  shown.set(run.id, run);
  const isNew = !rows.has(run.id);
  const tr = rows.get(run.id) ?? newRow(run);
  if (isNew) setTotal(total + 1);
  tr.dataset.status = run.status;
  fill(tr, { ...runFields(run), variant: run.variant, name: run.name ?? "" });
  const live = LIVE_STATUSES.has(run.status);
  tr.querySelector('[data-action="cancel"]').disabled = !live;
  tr.querySelector('[data-action="delete"]').disabled = live;
  cluster?.redraw();
}

function removeRun(id) {
  rows.get(id)?.remove();
  shown.delete(id);
  if (rows.delete(id)) setTotal(total - 1);
  updateCompareButton();
  cluster?.redraw();
}

function setTotal(n) {
  total = Math.max(n, 0);
  document.getElementById("runs-total").textContent = `${fmtInt(total)} in all`;
  document.getElementById("runs-empty").hidden = rows.size > 0;
}

// A page of runs, newest first: rows for them, and none for runs that are gone.
function showRuns({ runs, total: count }) {
  const ids = new Set(runs.map((run) => run.id));
  for (const id of [...rows.keys()]) if (!ids.has(id)) removeRun(id);
  for (const run of runs) showRun(run);
  setTotal(count);
}

async function refresh(id) {
  try {
    showRun(await api(`/api/runs/${id}`));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    removeRun(id);
  }
}

async function onRowClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const id = Number(button.closest("tr").dataset.id);
  button.disabled = true;
  try {
    if (button.dataset.action === "cancel") {
      showRun(await api(`/api/runs/${id}/cancel`, { method: "POST" }));
    } else {
      await api(`/api/runs/${id}`, { method: "DELETE" });
      removeRun(id);
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    button.disabled = false;
    if (error.status !== 401) showBanner(`Run #${id}: ${error.message}`); // 401: the login banner
  }
}

function selectedIds() {
  return [...tbody.querySelectorAll(".pick-box:checked")].map((box) => box.closest("tr").dataset.id);
}

function updateCompareButton() {
  const n = selectedIds().length;
  compareButton.disabled = n === 0;
  compareButton.textContent = n ? `Compare selected (${n})` : "Compare selected";
}

// /ws/runs names the runs live when it opens, then each change. A run shown live may have ended
// before that (after the page was rendered, or while the socket was down), so ask about those;
// after a reconnect, ask for the whole list: runs may also have come and gone meanwhile.
function followRuns() {
  let opened = 0;
  follow("/ws/runs", {
    onOpen: () => {
      setLive("live");
      if (opened++) {
        api(`/api/runs?limit=${PAGE_DATA.limit}`).then(showRuns);
      } else {
        for (const [id, run] of shown) if (LIVE_STATUSES.has(run.status)) refresh(id);
      }
    },
    onMessage: (message) => message.type === "run" && showRun(message.run),
    onClose: (event) => {
      setLive("offline");
      if (event.code === CLOSE.UNAUTHORIZED) showLoginNeeded();
    },
    shouldRetry: (event) => event.code !== CLOSE.UNAUTHORIZED,
  });
}

// The form's choices and handlers; its buttons stay disabled until then.
function setUpForm() {
  const select = input("variant");
  select.replaceChildren(...variantOptions(variants));
  input("optimizer").replaceChildren(
    option("sgd", "SGD"), option("adam", "Adam"), option(BOTH_OPTIMIZERS, "SGD and Adam"),
  );
  input("dtype").replaceChildren(option("float32", "float32"), option("float64", "float64"));
  select.value = PAGE_DATA.form_variant;
  applyDefaults(true);
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

function main() {
  setUpForm();
  tbody.addEventListener("click", onRowClick);
  tbody.addEventListener("change", updateCompareButton);
  compareButton.addEventListener("click", () => location.assign(`/compare?ids=${selectedIds().join(",")}`));
  showRuns(PAGE_DATA);
  const card = document.getElementById("cluster");
  if (card) cluster = clusterPanel(card, PAGE_DATA, () => [...shown.values()]);
  followRuns();
}

main();
