// Shared by every page: what the server rendered into it, the API and its sockets, and small DOM
// helpers. A server with a token knows this browser by an HttpOnly cookie that the browser sends
// by itself: the pages never see the token.
import { fmtCount, fmtLoss, fmtRate } from "./numbers.js";

const readJson = (id) => JSON.parse(document.getElementById(id).textContent);
// The run statuses and websocket close codes as the server defines them.
const CONSTANTS = readJson("lossboard-constants");
export const LIVE_STATUSES = new Set(CONSTANTS.live);
// Neither live nor finished: a paused run holds no lane and waits to be resumed.
export const PAUSED_STATUSES = new Set(CONSTANTS.paused);
export const FINISHED_STATUSES = new Set(CONSTANTS.finished);
// What resume takes back to live: a paused run, or one the server stopped (a finished status).
export const RESUMABLE_STATUSES = new Set([...CONSTANTS.paused, "interrupted"]);
export const CLOSE = CONSTANTS.close; // by name: DONE, UNAUTHORIZED, UNKNOWN_RUN, ...
// What the server knew as it rendered this page (its runs, the variants, whether it needs a
// token), so that the page does not ask again.
export const PAGE_DATA = readJson("page-data");

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : `request failed (${status})`);
    this.status = status;
    this.detail = detail;
  }
}

export const UNREACHABLE = "cannot reach the server";

// fetch() a JSON API path; throws ApiError with FastAPI's `detail` when it is not 2xx, and with
// status 0 when no answer came (fetch's TypeError), so that every caller can say so.
// A 401 means the login cookie is gone or the token changed: the banner links to the login.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const request = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  const response = await fetch(path, request).catch(() => {
    throw new ApiError(0, UNREACHABLE);
  });
  if (response.status === 401) showLoginNeeded();
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.detail ?? response.statusText);
  return data;
}

// The same-origin websocket URL of a path.
export function socketUrl(path, params = {}) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

// A websocket of JSON messages that reconnects (with backoff) until `shouldRetry` says no.
// `params()` (which may be async) is asked again on each connect, so a reconnect can resume where
// it stopped; when it cannot reach the server, the connect is retried later.
export function follow(path, { params = () => ({}), onMessage, onOpen, onClose, shouldRetry }) {
  let delay = 500;
  let stopped = false;
  let socket = null;
  const retry = () => {
    if (stopped) return;
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10_000);
  };
  const connect = async () => {
    let query;
    try {
      query = await params();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 0)) throw error;
      return retry();
    }
    socket = new WebSocket(socketUrl(path, query));
    socket.onopen = () => {
      delay = 500;
      onOpen?.();
    };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
      onClose?.(event);
      if (!(shouldRetry?.(event) ?? true)) return;
      retry();
    };
  };
  connect();
  return {
    close() {
      stopped = true;
      socket?.close();
    },
  };
}

// The header's live dot: "live", "done" or "offline"; offline also shows the offline banner,
// and the page hears of each change ("livechange") to stop showing live news as current.
export function setLive(state) {
  const box = document.getElementById("live-indicator");
  if (!box) return;
  box.dataset.state = state;
  box.querySelector(".live-text").textContent = state;
  document.getElementById("offline-banner").hidden = state !== "offline";
  dispatchEvent(new CustomEvent("livechange", { detail: state }));
}

// Take a form's field errors away (the messages and their fields' aria-invalid).
export function clearFieldErrors(form) {
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

export function showBanner(text) {
  const banner = document.getElementById("banner");
  banner.textContent = text;
  banner.hidden = !text;
}

// The server no longer knows this browser: reloading the page shows its login form.
export function showLoginNeeded() {
  const link = document.createElement("a");
  link.href = location.pathname + location.search;
  link.textContent = "log in again";
  const banner = document.getElementById("banner");
  banner.replaceChildren("This server needs its token: ", link, ".");
  banner.hidden = false;
}

// Seconds a run has trained: to its end, or to now while it runs.
export function elapsed(run) {
  if (!run.started_at) return null;
  const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
  return (end - Date.parse(run.started_at)) / 1000;
}

// Whether `next` is news about a run we last saw as `prev`: answers can arrive out of order (a
// cancel's answer still says "running" when the socket has already said "cancelled"). Only
// resume takes a run back to live: from paused, or from interrupted.
export function isNewer(next, prev) {
  if (!prev) return true;
  if (FINISHED_STATUSES.has(prev.status) && !RESUMABLE_STATUSES.has(prev.status)) {
    return !LIVE_STATUSES.has(next.status);
  }
  return !(next.status === prev.status && next.iteration < prev.iteration);
}

// A run moved on by a websocket "points" message: its numbers between status messages.
export function advance(run, { start, loss, time }) {
  if (!run || loss.length === 0) return run;
  const iteration = start + loss.length;
  const seconds = time.at(-1);
  let best = run.best_loss ?? Infinity;
  for (const v of loss) if (v < best) best = v;
  return {
    ...run,
    iteration,
    last_loss: loss.at(-1),
    best_loss: best,
    iterations_per_second: seconds > 0 ? iteration / seconds : run.iterations_per_second,
  };
}

// A Ray node's id cut to its first 8 hex digits, as a person compares them ("local" stays).
export function shortNode(id) {
  return /^[0-9a-f]{16,}$/.test(id) ? id.slice(0, 8) : id;
}

// ---- DOM

// Set every [data-field] inside `root` that `fields` names: text, or a <progress>'s value/max.
export function fill(root, fields) {
  for (const [name, value] of Object.entries(fields)) {
    for (const node of root.querySelectorAll(`[data-field="${name}"]`)) {
      if (node instanceof HTMLProgressElement) {
        node.max = Math.max(value.max, 1);
        node.value = value.value;
      } else if (name === "status") {
        node.dataset.status = value;
        node.textContent = value;
      } else {
        node.textContent = value;
      }
    }
  }
}

// The fields of a run that every page shows the same way.
// A script's run (source "sdk") has no total of iterations, nor a device.
export function runFields(run) {
  const total = run.config.iterations;
  return {
    status: run.status,
    bar: { value: run.iteration, max: total ?? run.iteration },
    count: total == null ? fmtCount(run.iteration) : `${fmtCount(run.iteration)} / ${fmtCount(total)}`,
    loss: fmtLoss(run.last_loss),
    best: fmtLoss(run.best_loss),
    speed: fmtRate(run.iterations_per_second),
    device: run.device ?? "—",
    "peak-memory": peakMemory(run),
  };
}

// A run's peak memory, as the system sampler saw it: RSS, and CUDA's where it has one.
function peakMemory(run) {
  const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  const parts = [];
  if (run.peak_rss_bytes != null) parts.push(`RSS ${gib(run.peak_rss_bytes)}`);
  if (run.cuda_peak_bytes != null) parts.push(`CUDA ${gib(run.cuda_peak_bytes)}`);
  return parts.join(" · ") || "—";
}
