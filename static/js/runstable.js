// The runs table's rows: one per run on the page, filled from the run as the API and /ws/runs
// tell it, with its colour, its place in the queue or its time left, and which runs are ticked.
import { runColor } from "./colors.js";
import { elapsed, FINISHED_STATUSES, fill, isNewer, runFields } from "./common.js";
import { fmtParam, fmtSeconds } from "./numbers.js";

const CREATED = new Intl.DateTimeFormat("en-US", {
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

// A queued run's place in its lane ("#3 on cpu"); a running run's time left at its it/s.
export function progressNote(run) {
  if (run.status === "queued") {
    return run.queue ? `#${run.queue.ahead + 1} on ${run.queue.lane}` : "waiting";
  }
  if (run.status !== "running" || !run.iterations_per_second) return "";
  if (run.config.iterations == null) return ""; // a script's run: no end known
  const left = (run.config.iterations - run.iteration) / run.iterations_per_second;
  return `ETA ${fmtSeconds(left)}`;
}

function rowFields(run) {
  return {
    ...runFields(run),
    name: run.name ?? "",
    variant: run.variant ?? run.source,
    when: progressNote(run),
    duration: fmtSeconds(elapsed(run)),
    created: CREATED.format(new Date(run.created_at)),
    learning_rate: fmtParam(run.config.learning_rate),
    optimizer: run.config.optimizer ?? "—",
  };
}

// Each tag as a button that filters the list by it.
function tagButtons(tags) {
  return (tags ?? []).map((tag) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tag";
    button.dataset.tag = tag;
    button.textContent = tag;
    button.title = `show the runs tagged ${tag}`;
    return button;
  });
}

export class RunRows {
  constructor(tbody, template) {
    this.tbody = tbody;
    this.template = template;
    this.rows = new Map(); // run id -> its <tr>, for the runs on this page
    this.runs = new Map(); // run id -> the latest news of every run this page has heard of
    this.selected = new Set(); // ticked run ids, on this page or another
  }

  // Rows for a page of runs, in the server's order; ticks survive.
  setPage(runs) {
    this.rows.clear();
    this.tbody.replaceChildren(...runs.map((run) => this.newRow(run)));
    for (const run of runs) this.update(run);
  }

  newRow(run) {
    const tr = this.template.content.firstElementChild.cloneNode(true);
    tr.dataset.id = run.id;
    const link = tr.querySelector('[data-field="link"]');
    link.href = `/runs/${run.id}`;
    link.textContent = `#${run.id}`;
    tr.querySelector('[data-field="swatch"]').style.background = runColor(run.id);
    tr.querySelector(".pick-box").checked = this.selected.has(run.id);
    const sweep = tr.querySelector('[data-field="sweep-link"]');
    if (run.sweep_id !== null && run.sweep_id !== undefined) { // back to the run's sweep
      Object.assign(sweep, { href: `/sweeps/${run.sweep_id}`, textContent: `#${run.sweep_id}`, hidden: false });
    }
    this.rows.set(run.id, tr);
    return tr;
  }

  // Take in news of a run and show it in its row; false when it has no row on this page.
  update(run) {
    if (isNewer(run, this.runs.get(run.id))) this.runs.set(run.id, run);
    const tr = this.rows.get(run.id);
    if (!tr) return false;
    const shown = this.runs.get(run.id);
    tr.dataset.status = shown.status;
    fill(tr, rowFields(shown));
    tr.querySelector('[data-field="tags"]').replaceChildren(...tagButtons(shown.tags));
    // a live or paused run can be cancelled, a finished one deleted: each row offers the one
    // that applies
    const done = FINISHED_STATUSES.has(shown.status);
    for (const [action, usable] of [["cancel", !done], ["delete", done]]) {
      const button = tr.querySelector(`[data-action="${action}"]`);
      button.disabled = !usable;
      button.hidden = !usable;
    }
    return true;
  }

  // A new run on top of a newest-first page of `limit` rows; false when it belongs further on.
  insert(run, limit) {
    const below = [...this.rows.keys()].filter((id) => id < run.id).sort((a, b) => b - a)[0];
    if (below === undefined && this.rows.size >= limit) return false;
    this.tbody.insertBefore(this.newRow(run), below === undefined ? null : this.rows.get(below));
    this.update(run);
    if (this.rows.size > limit) this.remove(Math.min(...this.rows.keys()));
    return true;
  }

  remove(id) {
    this.rows.get(id)?.remove();
    this.rows.delete(id);
  }

  forget(id) {
    this.remove(id);
    this.runs.delete(id);
    this.selected.delete(id);
  }

  // The runs on this page.
  shown() {
    return [...this.rows.keys()].map((id) => this.runs.get(id));
  }

  recolour() {
    for (const [id, tr] of this.rows) {
      tr.querySelector('[data-field="swatch"]').style.background = runColor(id);
    }
  }
}
