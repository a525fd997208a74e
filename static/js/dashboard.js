// The dashboard: the form that starts runs, the runs table (sorted, filtered and paged by the
// server, its view in the query string) kept live by /ws/runs, and under Ray the Cluster card.
// The variants, devices, newest runs and the cluster come rendered into the page.
import {
  api, ApiError, CLOSE, FINISHED_STATUSES, follow, PAGE_DATA, setLive, showLoginNeeded,
} from "./common.js";
import { clusterPanel } from "./cluster.js";
import { devicesPanel } from "./devicecard.js";
import { fmtInt } from "./numbers.js";
import { setUpForm } from "./runform.js";
import { report, setUpActions, updateSelection } from "./runactions.js";
import { setUpColumns } from "./runcolumns.js";
import { RunRows } from "./runstable.js";
import {
  apiPath, FILTERS, isDefault, isFiltered, keepInUrl, nextSort, readView,
} from "./runsview.js";
import { shortcuts } from "./shortcuts.js";

const LIMIT = PAGE_DATA.limit;
const $ = (id) => document.getElementById(id);
const table = new RunRows($("runs-body"), $("run-row-template"));
const filters = $("runs-filters");
let fitColumns = () => {}; // the runs table's columns to its width, once set up
let view = readView(location.search);
let total = 0;
let cluster = null; // the Cluster card, when the server trains on Ray
let loads = 0; // the latest page asked for: older answers are dropped
let typing = 0; // the filter being typed, applied once typing pauses
let reloading = 0;

// ---- the page of runs

function showPage({ runs, total: count }) {
  if (runs.length === 0 && view.offset > 0 && count > 0) {
    setView({ offset: Math.floor((count - 1) / LIMIT) * LIMIT }); // past the end: the last page
    return;
  }
  table.setPage(runs);
  fitColumns();
  total = count;
  showCounts();
  updateSelection();
  cluster?.redraw();
}

async function load() {
  const ticket = ++loads;
  try {
    const page = await api(apiPath(view, LIMIT));
    if (ticket === loads) showPage(page);
  } catch (error) {
    report("Runs", error);
  }
}

function showCounts() {
  const n = table.rows.size;
  $("runs-total").textContent = `${fmtInt(total)} ${isFiltered(view) ? "match" : "in all"}`;
  const range = `${fmtInt(view.offset + 1)}–${fmtInt(view.offset + n)} of ${fmtInt(total)}`;
  $("page-range").textContent = n ? range : "";
  $("page-prev").disabled = view.offset === 0;
  $("page-next").disabled = view.offset + n >= total;
  const empty = $("runs-empty");
  empty.hidden = n > 0;
  empty.textContent = isFiltered(view)
    ? "No runs match these filters."
    : "No runs yet: start one with the form.";
}

// News of a run: its row when it has one; a new run goes on top of the newest-first list, and
// any other view asks for its page again (once for each run it had not heard of).
function showRun(run) {
  const before = table.runs.get(run.id);
  if (table.selected.has(run.id)) queueMicrotask(updateSelection); // what the ticked runs allow
  if (table.update(run) || before) return cluster?.redraw();
  if (!isDefault(view)) {
    clearTimeout(reloading);
    reloading = setTimeout(load, 300);
  } else if (table.insert(run, LIMIT)) {
    total += 1;
    showCounts();
  }
  cluster?.redraw();
}

async function refresh(id) {
  try {
    showRun(await api(`/api/runs/${id}`));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    table.forget(id);
  }
}

// ---- the view: sort, filters, page

function setView(changes) {
  const next = { ...view, offset: 0, ...changes };
  if (apiPath(next, LIMIT) === apiPath(view, LIMIT)) return;
  view = next;
  keepInUrl(view);
  showView();
  load();
}

// The filter controls and sorted header as the view says.
function showView() {
  const device = filters.elements.namedItem("device");
  if (view.device && ![...device.options].some((o) => o.value === view.device)) {
    device.add(new Option(view.device));
  }
  for (const name of FILTERS) filters.elements.namedItem(name).value = view[name];
  for (const name of ["status", "variant"]) view[name] = filters.elements.namedItem(name).value;
  const key = view.sort.replace(/^-/, "");
  for (const th of document.querySelectorAll("#runs th[data-sort]")) {
    if (th.dataset.sort !== key) th.removeAttribute("aria-sort");
    else th.setAttribute("aria-sort", view.sort.startsWith("-") ? "descending" : "ascending");
  }
}

function readFilters() {
  const data = new FormData(filters);
  return Object.fromEntries(FILTERS.map((name) => [name, String(data.get(name) ?? "").trim()]));
}

function setUpView() {
  for (const d of PAGE_DATA.devices) filters.elements.namedItem("device").add(new Option(d.id));
  filters.addEventListener("change", () => setView(readFilters()));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    setView(readFilters());
  });
  filters.addEventListener("input", (event) => {
    if (event.target.tagName !== "INPUT") return;
    clearTimeout(typing);
    typing = setTimeout(() => setView(readFilters()), 300);
  });
  filters.addEventListener("reset", () => setView(Object.fromEntries(FILTERS.map((n) => [n, ""]))));
  $("runs").tHead.addEventListener("click", (event) => {
    const th = event.target.closest("th[data-sort]");
    if (th) setView({ sort: nextSort(view.sort, th.dataset.sort) });
  });
  const back = () => setView({ offset: Math.max(view.offset - LIMIT, 0) });
  $("page-prev").addEventListener("click", back);
  $("page-next").addEventListener("click", () => setView({ offset: view.offset + LIMIT }));
  showView();
  if (location.search) keepInUrl(view); // without what it could not mean
}

// /ws/runs names the runs live when it opens, then each change. A run shown live may have ended
// before that (after the page was rendered, or while the socket was down), so ask about those;
// after a reconnect, ask for the whole page: runs may also have come and gone meanwhile.
function followRuns() {
  let opened = 0;
  follow("/ws/runs", {
    onOpen: () => {
      setLive("live");
      if (opened++) load();
      else for (const run of table.shown()) if (!FINISHED_STATUSES.has(run.status)) refresh(run.id);
    },
    onMessage: (message) => message.type === "run" && showRun(message.run),
    onClose: (event) => {
      setLive("offline");
      if (event.code === CLOSE.UNAUTHORIZED) showLoginNeeded();
    },
    shouldRetry: (event) => event.code !== CLOSE.UNAUTHORIZED,
  });
}

function main() {
  fitColumns = setUpColumns($("runs"), document.querySelector(".runs-box"), $("columns-menu"));
  setUpForm(showRun);
  setUpView();
  setUpActions(table, { showRun, reload: load, setView });
  if (isDefault(view)) showPage(PAGE_DATA); // the page came with the newest runs
  else load();
  const card = $("cluster");
  if (card) cluster = clusterPanel(card, PAGE_DATA, () => [...table.runs.values()]);
  if ($("devices")) devicesPanel($("devices"), PAGE_DATA.system_samples);
  window.addEventListener("themechange", () => table.recolour());
  followRuns();
  shortcuts({
    "/": ["search the runs", () => $("runs-filters").elements.q.focus()],
    n: ["a new run: the run form", () => $("f-variant").focus()],
  });
}

main();
