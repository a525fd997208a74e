// The /sweeps page: every sweep read once (1,000 a request), then sorted, filtered by status
// and method, and paged here, with the view (sort, filters, page) in the query string.
import { api } from "./common.js";
import { fmtInt, fmtLoss } from "./numbers.js";

const PAGE = 20;
const KEYS = {
  id: (s) => s.id,
  method: (s) => s.spec.method,
  status: (s) => s.status,
  runs: (s) => s.run_ids.length,
  best: (s) => s.best?.loss ?? Infinity,
  created: (s) => s.created_at,
};
const view = { sort: "id", desc: true, status: "", method: "", page: 0 };
let sweeps = [];

function readView() {
  const query = new URLSearchParams(location.search);
  const sort = query.get("sort") ?? "-id";
  view.desc = sort.startsWith("-");
  view.sort = KEYS[sort.replace(/^-/, "")] ? sort.replace(/^-/, "") : "id";
  view.status = query.get("status") ?? "";
  view.method = query.get("method") ?? "";
  view.page = Math.max(0, Number(query.get("page") ?? 1) - 1) || 0;
}

function writeView() {
  const query = new URLSearchParams();
  query.set("sort", `${view.desc ? "-" : ""}${view.sort}`);
  if (view.status) query.set("status", view.status);
  if (view.method) query.set("method", view.method);
  if (view.page) query.set("page", String(view.page + 1));
  history.replaceState(history.state, "", `/sweeps?${query}`);
}

function chosen() {
  const kept = sweeps.filter((s) => (!view.status || s.status === view.status)
    && (!view.method || s.spec.method === view.method));
  const key = KEYS[view.sort];
  const order = (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return kept.sort((a, b) => (view.desc ? order(b, a) : order(a, b)));
}

function cell(text, className = "") {
  return Object.assign(document.createElement("td"), { textContent: text, className });
}

function row(sweep) {
  const tr = Object.assign(document.createElement("tr"), { className: "sweep-row" });
  tr.dataset.id = String(sweep.id);
  const link = Object.assign(document.createElement("a"), { href: `/sweeps/${sweep.id}`, textContent: `#${sweep.id}` });
  const id = cell("", "run-id");
  id.append(link);
  const status = Object.assign(document.createElement("span"), { className: "status", textContent: sweep.status });
  status.dataset.status = sweep.status;
  const statusCell = cell("");
  statusCell.append(status);
  const counts = Object.entries(sweep.counts).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(" · ");
  tr.append(
    id, cell(sweep.name ?? sweep.spec.variants.join(", "), "run-what"), cell(sweep.spec.method),
    statusCell, cell(fmtInt(sweep.run_ids.length)), cell(counts, "counts"),
    cell(sweep.best ? fmtLoss(sweep.best.loss) : "–"),
    cell(new Date(sweep.created_at).toLocaleString()),
  );
  return tr;
}

function draw() {
  const shown = chosen();
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  view.page = Math.min(view.page, pages - 1);
  const body = document.querySelector("#sweeps-table tbody");
  body.replaceChildren(...shown.slice(view.page * PAGE, (view.page + 1) * PAGE).map(row));
  document.getElementById("page-of").textContent = `page ${view.page + 1} of ${pages}`;
  document.getElementById("prev-page").disabled = view.page === 0;
  document.getElementById("next-page").disabled = view.page >= pages - 1;
  document.getElementById("sweeps-total").textContent = `${fmtInt(shown.length)} of ${fmtInt(sweeps.length)} sweeps`;
  for (const button of document.querySelectorAll("#sweeps-table button.sort")) {
    const on = button.dataset.key === view.sort;
    button.closest("th").setAttribute("aria-sort", on ? (view.desc ? "descending" : "ascending") : "none");
  }
  writeView();
}

async function load() {
  sweeps = [];
  for (let offset = 0; ; offset += 1000) {
    const { sweeps: page, total } = await api(`/api/sweeps?limit=1000&offset=${offset}`);
    sweeps.push(...page);
    if (sweeps.length >= total || page.length === 0) break;
  }
  draw();
}

function setUp() {
  readView();
  document.getElementById("filter-status").value = view.status;
  document.getElementById("filter-method").value = view.method;
  document.getElementById("sweeps-filters").addEventListener("change", (event) => {
    view[event.target.id.replace("filter-", "")] = event.target.value;
    view.page = 0;
    draw();
  });
  document.querySelector("#sweeps-table thead").addEventListener("click", (event) => {
    const key = event.target.closest("button.sort")?.dataset.key;
    if (!key) return;
    view.desc = key === view.sort ? !view.desc : key !== "best";
    view.sort = key;
    draw();
  });
  document.getElementById("prev-page").addEventListener("click", () => { view.page -= 1; draw(); });
  document.getElementById("next-page").addEventListener("click", () => { view.page += 1; draw(); });
  load();
}

setUp();
