// The runs table's actions: cancel and delete (which asks first) from a row or for the ticked
// runs, ticks that survive paging, and compare for the ticked runs.
import { api, ApiError, FINISHED_STATUSES, showBanner } from "./common.js";
import { fmtInt } from "./numbers.js";

const $ = (id) => document.getElementById(id);
let table = null;
let showRun = () => {};
let load = () => {};
let setView = () => {};

// A 4xx as one line: FastAPI's 422 detail lists each field and what is wrong with it.
function describe(error) {
  if (!Array.isArray(error.detail)) return error.message;
  return error.detail.map((item) => `${item.loc?.at(-1)}: ${item.msg}`).join("; ");
}

export function report(what, error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status !== 401) showBanner(`${what}: ${describe(error)}`); // 401: the login banner
}

function selectedRuns() {
  return [...table.selected].map((id) => table.runs.get(id)).filter(Boolean);
}

export function updateSelection() {
  const runs = selectedRuns();
  const n = runs.length;
  $("selected-count").textContent = n ? `${fmtInt(n)} selected` : "None selected";
  $("compare-selected").disabled = n === 0;
  $("compare-selected").textContent = n ? `Compare selected (${n})` : "Compare selected";
  $("cancel-selected").disabled = !runs.some((run) => !FINISHED_STATUSES.has(run.status));
  $("delete-selected").disabled = !runs.some((run) => FINISHED_STATUSES.has(run.status));
  $("clear-selection").disabled = n === 0;
  const ticked = [...table.rows.keys()].filter((id) => table.selected.has(id)).length;
  $("pick-all").checked = ticked > 0 && ticked === table.rows.size;
  $("pick-all").indeterminate = ticked > 0 && ticked < table.rows.size;
}

function pick(id, on) {
  if (on) table.selected.add(id);
  else table.selected.delete(id);
  const box = table.rows.get(id)?.querySelector(".pick-box");
  if (box) box.checked = on;
}

// Ask first: true when the person chose Delete. Live or paused runs cannot be deleted, so they
// are left.
function confirmDelete(ids, live) {
  const dialog = $("delete-dialog");
  const what = ids.length === 1 ? `run #${ids[0]}` : `${fmtInt(ids.length)} runs`;
  dialog.querySelector('[data-field="what"]').textContent = what;
  const skipped = dialog.querySelector('[data-field="skipped"]');
  skipped.hidden = live === 0;
  skipped.textContent = `${fmtInt(live)} queued, running or paused: cancel them first; they are kept.`;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    const answer = () => resolve(dialog.returnValue === "delete");
    dialog.addEventListener("close", answer, { once: true });
  });
}

async function deleteRuns(runs) {
  const done = runs.filter((run) => FINISHED_STATUSES.has(run.status)).map((run) => run.id);
  if (done.length === 0 || !(await confirmDelete(done, runs.length - done.length))) return;
  for (const id of done) {
    try {
      await api(`/api/runs/${id}`, { method: "DELETE" });
      table.forget(id);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) table.forget(id);
      else report(`Run #${id}`, error);
    }
  }
  updateSelection();
  load(); // the page fills up from the next one, and the count is the server's
}

async function cancelRuns(runs) {
  for (const run of runs.filter((r) => !FINISHED_STATUSES.has(r.status))) {
    try {
      showRun(await api(`/api/runs/${run.id}/cancel`, { method: "POST" }));
    } catch (error) {
      report(`Run #${run.id}`, error);
    }
  }
  updateSelection();
}

function onRowClick(event) {
  const tag = event.target.closest("button.tag");
  if (tag) return setView({ tag: tag.dataset.tag });
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const run = table.runs.get(Number(button.closest("tr").dataset.id));
  if (button.dataset.action === "delete") return deleteRuns([run]);
  button.disabled = true;
  cancelRuns([run]);
}

// The row buttons, the ticks and what the selection bar does with them. `showRun` shows news
// of a run, `reload` asks for the page again, `setView` changes the view.
export function setUpActions(rows, { showRun: show, reload, setView: set }) {
  table = rows;
  showRun = show;
  load = reload;
  setView = set;
  const body = $("runs-body");
  body.addEventListener("click", onRowClick);
  body.addEventListener("change", (event) => {
    const box = event.target.closest(".pick-box");
    if (box) pick(Number(box.closest("tr").dataset.id), box.checked);
    updateSelection();
  });
  $("pick-all").addEventListener("change", (event) => {
    for (const id of table.rows.keys()) pick(id, event.target.checked);
    updateSelection();
  });
  $("compare-selected").addEventListener("click", () => {
    location.assign(`/compare?ids=${[...table.selected].join(",")}`);
  });
  $("cancel-selected").addEventListener("click", () => cancelRuns(selectedRuns()));
  $("delete-selected").addEventListener("click", () => deleteRuns(selectedRuns()));
  $("clear-selection").addEventListener("click", () => {
    for (const id of [...table.selected]) pick(id, false);
    updateSelection();
  });
}
