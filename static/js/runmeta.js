// A run's name, notes and tags on its page: shown, edited in place (PATCH, each refusal next to
// its field), and "Run again" (a new run of the same request, optionally with a fresh seed).
import { api, ApiError, clearFieldErrors, FINISHED_STATUSES, showBanner } from "./common.js";

const $ = (id) => document.getElementById(id);
const form = $("meta-form");
let run = null;
let onRun = () => {};

// What the page shows of the run's metadata (while the form is open, only the view moves on).
export function showMeta(next) {
  run = next;
  const title = $("run-title");
  title.textContent = run.name || title.dataset.fallback;
  const notes = $("run-notes");
  notes.dataset.empty = String(!run.notes);
  notes.textContent = run.notes || "No notes yet.";
  $("run-tags").replaceChildren(...run.tags.map(tagItem));
  $("rerun").hidden = !FINISHED_STATUSES.has(run.status) || run.source === "sdk"; // a script reruns it
}

function tagItem(tag) {
  const item = document.createElement("li");
  item.className = "tag";
  item.textContent = tag;
  return item;
}

function openForm() {
  form.elements.name.value = run.name ?? "";
  form.elements.notes.value = run.notes;
  form.elements.tags.value = run.tags.join(", ");
  clearErrors();
  form.hidden = false;
  $("edit-meta").hidden = true;
  $("run-notes").hidden = true;
  form.elements.name.focus();
}

function closeForm() {
  form.hidden = true;
  $("edit-meta").hidden = false;
  $("run-notes").hidden = false;
  $("edit-meta").focus();
}

// Tags are typed comma-separated; the server trims them and keeps each once.
function readForm() {
  const tags = form.elements.tags.value.split(",").map((tag) => tag.trim()).filter(Boolean);
  return { name: form.elements.name.value, notes: form.elements.notes.value, tags };
}

const clearErrors = () => clearFieldErrors(form);

// A 422's loc is ["body", field, index?]: the message goes under the field, naming the tag.
function showErrors(error) {
  const detail = Array.isArray(error.detail) ? error.detail : [{ loc: [], msg: error.message }];
  for (const item of detail) {
    const [, field, index] = item.loc ?? [];
    const input = form.elements.namedItem(String(field));
    const slot = form.querySelector(`[data-error-for="${input ? field : "_form"}"]`);
    const tag = Number.isInteger(index) ? `“${readForm().tags[index]}”: ` : "";
    slot.textContent = [slot.textContent, tag + item.msg].filter(Boolean).join(" ");
    input?.setAttribute("aria-invalid", "true");
  }
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  $("save-meta").disabled = true;
  try {
    const next = await api(`/api/runs/${run.id}`, { method: "PATCH", body: readForm() });
    onRun(next);
    showMeta(next);
    closeForm();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status !== 401) showErrors(error); // a 401 has shown the login banner
  } finally {
    $("save-meta").disabled = false;
  }
}

async function rerun() {
  const button = $("rerun-run");
  button.disabled = true;
  const body = $("rerun-new-seed").checked ? { seed: null } : undefined;
  try {
    const next = await api(`/api/runs/${run.id}/rerun`, { method: "POST", body });
    location.assign(`/runs/${next.id}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status !== 401) showBanner(`Run again: ${error.message}`);
    button.disabled = false;
  }
}

// Wire the controls; `changed(run)` hears of the run as a PATCH answered it.
export function initRunMeta(first, changed) {
  onRun = changed;
  showMeta(first);
  $("edit-meta").addEventListener("click", openForm);
  $("cancel-meta").addEventListener("click", closeForm);
  form.addEventListener("submit", save);
  $("rerun-run").addEventListener("click", rerun);
}
