// Steering a run from its page: Pause, Resume and Step (n more steps, then pause) beside Cancel;
// its hyperparameters changed live beside the chart, each change an event that hypermarks.js
// marks on it; its trained model's download. A refusal shows next to its field (a 422) or in
// the banner (a 409: the run cannot do that now, and says why).
import {
  api, ApiError, clearFieldErrors, PAGE_DATA, PAUSED_STATUSES, RESUMABLE_STATUSES, showBanner,
} from "./common.js";
import { fmtExact, fmtInt } from "./numbers.js";

const $ = (id) => document.getElementById(id);
const hyperForm = $("hyper-form");
const NAMES = PAGE_DATA.hyper; // field -> the series its values are recorded in
const RENDERED = { status: PAGE_DATA.run.status, step: PAGE_DATA.model_step };
let run = null;
let events = [];
let pausing = false; // asked to pause; the run pauses at its next step boundary
let hooks = { changed: () => {}, refollow: () => false, onEvents: () => {} };

// The run's hyperparameter changes as last heard (they only ever grow), for hypermarks.js.
export const steerEvents = () => events;

export function showSteer(next) {
  run = next;
  const job = run.source !== "sdk"; // a script's run has no loop on the server to steer
  if (run.status !== "running") pausing = false;
  const pause = $("pause-run");
  pause.hidden = !job || run.status !== "running";
  pause.disabled = pausing;
  pause.textContent = pausing ? "Pausing…" : "Pause";
  $("resume-run").hidden = !job || !RESUMABLE_STATUSES.has(run.status);
  $("step-form").hidden = !job || !RESUMABLE_STATUSES.has(run.status);
  takeEvents(run.events ?? []);
  showHyper();
  showModel();
}

// Take in a run's events: they only ever grow, so the longest list heard is the latest.
export function takeEvents(next) {
  if (next.length <= events.length) return;
  events = next;
  const note = $("hyper-note");
  if (note) note.textContent = ""; // the change it spoke of has been made
  hooks.onEvents(events);
}

// ---- pause, resume, step

function refused(error, form = null) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401) return; // the login banner is showing
  if (form && error.status === 422 && Array.isArray(error.detail)) return showFieldErrors(form, error.detail);
  showBanner(error.message);
}

// A 422's loc is ["body", field]: each message goes under its field.
function showFieldErrors(form, detail) {
  for (const item of detail) {
    const field = String(item.loc?.[1] ?? "");
    const input = form.elements.namedItem(field);
    const slot = form.querySelector(`[data-error-for="${input ? field : "_form"}"]`);
    slot.textContent = [slot.textContent, item.msg].filter(Boolean).join(" ");
    input?.setAttribute("aria-invalid", "true");
  }
}

async function pause() {
  pausing = true;
  showSteer(run);
  try {
    // its answer still says "running": the socket says "paused" once it has
    await api(`/api/runs/${run.id}/pause`, { method: "POST" });
  } catch (error) {
    pausing = false;
    showSteer(run);
    refused(error);
  }
}

// Resume, or (`n`) step: queued at the front of its lane. An open socket carries the run on;
// one the server had ended (the run was only in its store) is opened again.
async function resume(button, n = null) {
  const form = $("step-form");
  clearFieldErrors(form);
  button.disabled = true;
  try {
    const path = `/api/runs/${run.id}/${n === null ? "resume" : "step"}`;
    const answer = await api(path, { method: "POST", body: n === null ? undefined : { n } });
    $("steer-note").textContent = answer.message;
    if (hooks.refollow()) hooks.changed(answer.run);
  } catch (error) {
    refused(error, form);
  } finally {
    button.disabled = false;
  }
}

function step(event) {
  event.preventDefault();
  const text = $("step-n").value.trim();
  resume($("step-run"), /^\d+$/.test(text) ? Number(text) : text); // the server names a bad n
}

// ---- hyperparameters

// A field's value now: its last change's, else the run's config's.
function current(field) {
  const last = events.findLast((e) => e.field === field);
  return last ? last.new : run.config[field];
}

function showHyper() {
  if (!hyperForm) return;
  const live = run.status === "running" || PAUSED_STATUSES.has(run.status);
  hyperForm.querySelector("fieldset").disabled = !live;
  for (const field of Object.keys(NAMES)) {
    const input = hyperForm.elements.namedItem(field);
    if (document.activeElement !== input) input.value = fmtExact(current(field));
  }
}

async function setHyper(event) {
  event.preventDefault();
  clearFieldErrors(hyperForm);
  const body = {};
  for (const field of Object.keys(NAMES)) {
    const text = hyperForm.elements.namedItem(field).value.trim();
    if (text === fmtExact(current(field))) continue;
    const value = Number(text);
    body[field] = text !== "" && Number.isFinite(value) ? value : text; // the server names it
  }
  if (Object.keys(body).length === 0) return;
  const note = $("hyper-note");
  try {
    const answer = await api(`/api/runs/${run.id}/hyper`, { method: "PATCH", body });
    hooks.changed(answer.run); // a paused run's answer holds its event already
    note.textContent = run.status === "running" ? "from the next step" : "from the step it resumes at";
    document.activeElement?.blur?.();
    showHyper();
  } catch (error) {
    note.textContent = "";
    refused(error, hyperForm);
  }
}

// ---- the trained model

// The step whose loss the model gave: a completed run's last, else its latest checkpoint's.
function modelStep() {
  if (run.status === "completed") return RENDERED.status === "completed" ? RENDERED.step : run.iteration - 1;
  return run.checkpoint?.step ?? RENDERED.step;
}

function showModel() {
  const link = $("model-link");
  if (!link) return;
  const step = modelStep();
  link.hidden = step === null;
  const kind = run.status === "completed" ? "its final weights" : "its latest checkpoint";
  $("model-step").textContent = step === null
    ? "Its weights can be downloaded once it checkpoints or completes."
    : `${kind}: the weights that gave step ${fmtInt(step)}'s loss`;
}

// Wire the controls. `changed(run)` hears of the run as an answer gives it; `refollow()` opens
// the run's socket again if the server had ended it (true then); `onEvents(events)` hears of
// each new hyperparameter change (the run's messages carry them).
export function initSteer(first, given) {
  hooks = { ...hooks, ...given };
  showSteer(first);
  $("pause-run").addEventListener("click", pause);
  $("resume-run").addEventListener("click", () => resume($("resume-run")));
  $("step-form").addEventListener("submit", step);
  hyperForm?.addEventListener("submit", setHyper);
}
