// The sweep page's view in its query string: colour by, curves, band, metric and the brushed
// ranges of the parallel coordinates (brush=field:lo:hi,... in their [0, 1] positions), so
// that a reload or a shared link shows the same.
const KEYS = ["colorBy", "curves", "band", "metric"];

export function readView(view) {
  const query = new URLSearchParams(location.search);
  for (const key of KEYS) if (query.has(key)) view[key] = query.get(key);
  view.brush = {};
  for (const part of (query.get("brush") ?? "").split(",").filter(Boolean)) {
    const [name, lo, hi] = part.split(":");
    const range = [Number(lo), Number(hi)];
    if (name && range.every(Number.isFinite)) view.brush[decodeURIComponent(name)] = range;
  }
  return view;
}

export function writeView(view) {
  const query = new URLSearchParams(location.search);
  for (const key of KEYS) {
    if (view[key]) query.set(key, view[key]);
    else query.delete(key);
  }
  const brush = Object.entries(view.brush ?? {}).map(
    ([name, [lo, hi]]) => `${encodeURIComponent(name)}:${lo.toFixed(4)}:${hi.toFixed(4)}`,
  );
  if (brush.length) query.set("brush", brush.join(","));
  else query.delete("brush");
  const search = query.toString();
  history.replaceState(history.state, "", `${location.pathname}${search ? `?${search}` : ""}`);
}
