// A chart's view (scales, smoothing, zoom, hidden lines) kept in the query string, so that a
// reload or a shared link shows the same view; and the controls that change it.
import { savePng, saveSvg } from "./chartexport.js";

export const DEFAULT_VIEW = {
  logY: true, xKey: "step", logX: false, smoothing: 0, outliers: false, runMin: false,
  zoomX: null, zoomY: null, hidden: [],
};
const MAX_SMOOTHING = 0.999;

// "a,b" -> [a, b] when both are finite numbers and a < b, else null.
function pair(text) {
  const parts = (text ?? "").split(",").map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1])) return null;
  return parts;
}

// The view a query string asks for; anything it does not say (or says wrongly) is the default.
export function readView(search = location.search) {
  const q = new URLSearchParams(search);
  const smoothing = Number(q.get("smooth"));
  return {
    logY: q.get("scale") !== "linear",
    xKey: q.get("x") === "time" ? "time" : "step",
    logX: q.get("logx") === "1",
    smoothing: Number.isFinite(smoothing) ? Math.min(Math.max(smoothing, 0), MAX_SMOOTHING) : 0,
    outliers: q.get("outliers") === "1",
    runMin: q.get("runmin") === "1",
    zoomX: pair(q.get("zx")),
    zoomY: pair(q.get("zy")),
    hidden: (q.get("hide") ?? "").split(",").filter(Boolean),
  };
}

// The query parameters of `view` that differ from the default (the rest of the URL is kept).
export function writeView(view) {
  const url = new URL(location.href);
  const set = (name, value, on) => (on ? url.searchParams.set(name, value) : url.searchParams.delete(name));
  set("scale", "linear", !view.logY);
  set("x", "time", view.xKey === "time");
  set("logx", "1", view.logX);
  set("smooth", String(view.smoothing), view.smoothing > 0);
  set("outliers", "1", view.outliers);
  set("runmin", "1", view.runMin);
  set("zx", view.zoomX?.join(","), view.zoomX !== null);
  set("zy", view.zoomY?.join(","), view.zoomY !== null);
  set("hide", view.hidden.join(","), view.hidden.length > 0);
  history.replaceState(history.state, "", url);
}

// Show `view` in the controls of #chart-controls.
function showView(controls, view) {
  const check = (selector, on) => {
    const input = controls.querySelector(selector);
    if (input) input.checked = on;
  };
  check(`input[name="yscale"][value="${view.logY ? "log" : "linear"}"]`, true);
  check(`input[name="xaxis"][value="${view.xKey}"]`, true);
  check("#log-x", view.logX);
  check("#outliers", view.outliers);
  check("#running-min", view.runMin);
  const slider = controls.querySelector("#smoothing");
  slider.value = String(view.smoothing);
  controls.querySelector("#smoothing-value").value = view.smoothing.toFixed(3);
  const logX = controls.querySelector("#log-x");
  if (logX) logX.disabled = view.xKey !== "step";
}

// What an input of #chart-controls changes in the view.
function change(target) {
  const { name, value, id, checked } = target;
  if (name === "yscale") return { logY: value === "log", zoomY: null };
  if (name === "xaxis") return { xKey: value, zoomX: null };
  if (id === "log-x") return { logX: checked, zoomX: null };
  if (id === "smoothing") return { smoothing: Math.min(Number(value), MAX_SMOOTHING) };
  if (id === "outliers") return { outliers: checked, zoomY: null };
  if (id === "running-min") return { runMin: checked };
  return null;
}

// A saved chart's file name: the page's, "lossboard-runs-12" or "lossboard-compare-3-4".
function chartName() {
  const ids = new URLSearchParams(location.search).get("ids")?.split(",") ?? [];
  return ["lossboard", ...location.pathname.split("/").filter(Boolean), ...ids].join("-");
}

// Wire #chart-controls to a chart; with `persist`, the view also lives in the query string.
export function bindControls(chart, { persist = false } = {}) {
  const controls = document.getElementById("chart-controls");
  const view = persist ? readView() : { ...DEFAULT_VIEW };
  const save = (changes) => {
    Object.assign(view, changes);
    showView(controls, view);
    if (persist) writeView(view);
  };
  showView(controls, view);
  chart.onView = save; // box zoom and the legend's toggles
  chart.set({ ...view });
  controls.addEventListener("input", (event) => {
    const changes = change(event.target);
    if (changes === null) return;
    save(changes);
    chart.set(changes);
  });
  controls.querySelector("#save-png")?.addEventListener("click", () => savePng(chart.plot, chartName()));
  controls.querySelector("#save-svg")?.addEventListener("click", () => saveSvg(chart.plot, chartName()));
  controls.querySelector("#reset-zoom")?.addEventListener("click", () => {
    save({ zoomX: null, zoomY: null });
    chart.set({ zoomX: null, zoomY: null });
  });
  return view;
}

// Several charts under one set of controls (a run's series): every control and the x zoom go to
// all of them; a y zoom and a line hidden stay with the chart they were made on (the first
// chart's are kept in the query string), since series differ in range and in lines.
export class ChartGroup {
  constructor() {
    this.charts = [];
    this.view = { ...DEFAULT_VIEW };
    this.save = () => {};
  }

  // The chart saved as PNG or SVG: the group's first (the loss chart on a run's page).
  get plot() {
    return this.charts[0]?.plot;
  }

  add(chart) {
    const first = this.charts.length === 0;
    this.charts.push(chart);
    chart.onView = (changes) => {
      const { zoomY, hidden, ...shared } = changes;
      this.save(first ? changes : shared);
      for (const other of this.charts) if (other !== chart) other.set(shared);
    };
    const { zoomY, hidden, ...shared } = this.view;
    chart.set(first ? this.view : shared);
  }

  set onView(save) {
    this.save = (changes) => {
      Object.assign(this.view, changes);
      save(changes);
    };
  }

  set(changes) {
    Object.assign(this.view, changes);
    this.charts.forEach((chart, i) => {
      const { zoomY, hidden, ...shared } = changes;
      chart.set(i === 0 ? changes : shared);
    });
  }
}
