// The runs list's view (its sort, filters and page), kept in the query string so that a reload
// or a shared link shows the same list.

export const FILTERS = ["q", "status", "variant", "device", "tag", "sweep"];
export const DEFAULT_SORT = "-id";
// the columns GET /api/runs sorts by
const SORTS = new Set([
  "id", "created_at", "status", "variant", "device", "best_loss", "duration",
  "learning_rate", "optimizer", "iterations", "name",
]);
// newest, longest and furthest first; names, losses and rates from the smallest
const DESCENDING_FIRST = new Set(["id", "created_at", "duration", "iterations"]);

// The view a query string asks for; what it cannot mean falls back to the default.
export function readView(search) {
  const params = new URLSearchParams(search);
  const view = { sort: DEFAULT_SORT, offset: 0 };
  const sort = params.get("sort") ?? "";
  if (SORTS.has(sort.replace(/^-/, ""))) view.sort = sort;
  const offset = Number(params.get("offset"));
  if (Number.isSafeInteger(offset) && offset > 0) view.offset = offset;
  for (const name of FILTERS) view[name] = (params.get(name) ?? "").trim();
  if (!/^\d{1,18}$/.test(view.sweep)) view.sweep = ""; // a sweep's id, or no sweep filter
  return view;
}

// The parts of a view that differ from the default.
function viewParams(view) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (view[name]) params.set(name, view[name]);
  if (view.sort !== DEFAULT_SORT) params.set("sort", view.sort);
  if (view.offset) params.set("offset", String(view.offset));
  return params;
}

// Whether the view is the newest runs, unfiltered: the list the page came with.
export function isDefault(view) {
  return viewParams(view).toString() === "";
}

export function isFiltered(view) {
  return FILTERS.some((name) => view[name]);
}

export function keepInUrl(view) {
  const query = viewParams(view).toString();
  history.replaceState(history.state, "", query ? `?${query}` : location.pathname);
}

// The API path of the view's page of `limit` runs.
export function apiPath(view, limit) {
  const params = viewParams(view);
  params.set("sort", view.sort);
  params.set("offset", String(view.offset));
  params.set("limit", String(limit));
  if (params.has("sweep")) { // the page's `sweep` is the API's sweep_id
    params.set("sweep_id", params.get("sweep"));
    params.delete("sweep");
  }
  return `/api/runs?${params}`;
}

// The sort after a click on `key`'s header: the other way round when it is the sort already.
export function nextSort(current, key) {
  if (current.replace(/^-/, "") === key) return current.startsWith("-") ? key : `-${key}`;
  return DESCENDING_FIRST.has(key) ? `-${key}` : key;
}
