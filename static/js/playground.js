// The tensor playground: the tutorial's cells in an editor, sent to /api/playground/eval, and
// each top-level expression shown as an Out[n] card. Storage labels become colours, so the
// results that share memory (views, out=, add_, .numpy()) are seen to share it.
import { api, ApiError } from "./common.js";
import { CELLS } from "./playground-cells.js";

const INDENT = "    ";
const STORAGE_HUES = 8; // lossboard.css colours .storage[data-hue="0".."7"]
const STATUS_HINTS = {
  401: "This server no longer knows this browser: reload the page to give its token again.",
  408: "The snippet ran past the playground's time limit.",
  413: "The snippet is longer than the playground accepts.",
  422: "A tensor would be bigger than the playground allows.",
  429: "Every evaluator is busy: run it again in a moment.",
};

const picker = document.getElementById("cell-picker");
const editor = document.getElementById("code");
const gutter = document.getElementById("gutter");
const runButton = document.getElementById("run-code");
const outputs = document.getElementById("outputs");
let running = false;
let tabLeaves = false; // after Esc, Tab moves focus on instead of indenting

// ---- DOM helpers: text only, never markup

function el(tag, { cls, text, data } = {}, children = []) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(data ?? {})) node.dataset[key] = value;
  node.append(...children);
  return node;
}

function show(id, visible) {
  document.getElementById(id).hidden = !visible;
}

// ---- the editor

function fillPicker() {
  for (const cell of CELLS) picker.append(new Option(cell.title, cell.id));
  picker.value = cellInHash() ?? CELLS[0].id;
}

// The cell named by the URL's #fragment (/playground#view), if there is one by that name.
function cellInHash() {
  const wanted = decodeURIComponent(location.hash.slice(1));
  return CELLS.some((cell) => cell.id === wanted) ? wanted : null;
}

function loadCell(id) {
  editor.value = CELLS.find((cell) => cell.id === id).code;
  editor.scrollTop = 0;
  history.replaceState(history.state, "", `#${id}`);
  updateGutter();
}

// One number per line of the editor, the refused line (if any) marked.
function updateGutter(errorLine = 0) {
  const count = editor.value.split("\n").length;
  const numbers = [];
  for (let n = 1; n <= count; n++) {
    numbers.push(el("div", { text: String(n), cls: n === errorLine ? "error-line" : "" }));
  }
  gutter.replaceChildren(...numbers);
  gutter.scrollTop = editor.scrollTop;
}

// Select line `line` (1-based) in the editor and scroll it into view.
function selectLine(line) {
  const lines = editor.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
  const end = start + (lines[line - 1] ?? "").length;
  editor.focus();
  editor.setSelectionRange(start, end);
  const lineHeight = parseFloat(getComputedStyle(editor).lineHeight);
  editor.scrollTop = Math.max(0, (line - 1) * lineHeight - editor.clientHeight / 3);
  updateGutter(line);
}

function indent() {
  // insertText keeps the browser's undo history; setRangeText is the fallback
  if (!document.execCommand("insertText", false, INDENT)) {
    editor.setRangeText(INDENT, editor.selectionStart, editor.selectionEnd, "end");
  }
  updateGutter();
}

function onEditorKey(event) {
  if (event.key === "Escape") {
    tabLeaves = true;
    return;
  }
  if (event.key === "Tab" && !tabLeaves && !event.shiftKey && !event.ctrlKey && !event.altKey) {
    event.preventDefault();
    indent();
  }
  tabLeaves = false;
}

function isMac() {
  const platform = navigator.userAgentData?.platform ?? navigator.platform ?? "";
  return /mac/i.test(platform);
}

// ---- outputs

function fmtList(values) {
  return `[${values.join(", ")}]`;
}

function storageBadge(label) {
  const number = Number(label.replace(/^s/, "")) || 1;
  const hue = String((number - 1) % STORAGE_HUES);
  const badge = el("span", { cls: "storage", text: label, data: { hue, storage: label } });
  badge.title = `storage ${label}: same colour = same memory`;
  return badge;
}

// The layout of a tensor or an array as a one-row table.
function factsTable(value) {
  const facts = [
    ["shape", fmtList(value.shape)],
    ["dtype", value.dtype],
  ];
  if (value.type === "tensor") {
    facts.push(
      ["stride", fmtList(value.stride)],
      ["contiguous", value.contiguous ? "yes" : "no"],
      ["device", value.device],
      ["requires_grad", String(value.requires_grad)],
      ["grad", value.grad ? value.grad.repr : "—"],
    );
  }
  const head = el("tr", {}, facts.map(([name]) => el("th", { text: name })));
  const row = el(
    "tr",
    {},
    facts.map(([name, text]) => el("td", { text, data: { fact: name } })),
  );
  return el("table", { cls: "facts" }, [el("thead", {}, [head]), el("tbody", {}, [row])]);
}

function outCard(output, index) {
  const { value } = output;
  const head = el("div", { cls: "out-head" }, [
    el("span", { cls: "out-label", text: `Out[${index + 1}]` }),
    el("span", { cls: "out-line", text: `line ${output.line}` }),
    el("code", { cls: "out-source", text: output.source }),
  ]);
  const card = el("article", { cls: "card out-card", data: { type: value.type } }, [head]);
  if (value.storage) {
    const badge = storageBadge(value.storage);
    head.append(badge);
    Object.assign(card.dataset, { storage: value.storage, hue: badge.dataset.hue });
  }
  card.append(el("pre", { cls: "out-repr", text: value.repr }));
  if (value.type !== "python") card.append(factsTable(value));
  return card;
}

function showAnswer(answer) {
  const count = answer.outputs.length;
  const noun = count === 1 ? "output" : "outputs";
  const ms = answer.elapsed_ms.toFixed(1);
  document.getElementById("run-status").textContent = `${count} ${noun} · ${ms} ms on the server`;
  document.getElementById("stdout-text").textContent = answer.stdout;
  show("stdout", answer.stdout !== "");
  show("storage-legend", answer.outputs.some((output) => output.value.storage));
  document.getElementById("out-cards").replaceChildren(...answer.outputs.map(outCard));
}

function errorText(error) {
  if (!(error instanceof ApiError)) return `The server did not answer (${error.message}).`;
  const detail = typeof error.detail === "string" ? error.detail : "";
  const hint = STATUS_HINTS[error.status];
  if (error.status === 401) return hint;
  return [hint, detail && `(${error.status}) ${detail}`].filter(Boolean).join(" ");
}

function showError(error) {
  const box = document.getElementById("run-error");
  const refusal = error instanceof ApiError && error.status === 400 && error.detail?.error;
  if (refusal) {
    const { line, col } = error.detail;
    const where = line ? `line ${line}, col ${col}` : "the snippet";
    box.replaceChildren(el("strong", { text: where }), `: ${error.detail.error}`);
    if (line) selectLine(line);
  } else {
    box.textContent = errorText(error);
  }
  document.getElementById("run-status").textContent = "Nothing ran to the end.";
  show("run-error", true);
}

function clearOutputs() {
  show("run-error", false);
  show("stdout", false);
  show("storage-legend", false);
  document.getElementById("out-cards").replaceChildren();
  updateGutter();
}

// ---- running

async function run() {
  if (running) return;
  running = true;
  runButton.disabled = true;
  outputs.dataset.state = "running";
  document.getElementById("run-status").textContent = "Running…";
  clearOutputs();
  let state = "done";
  try {
    showAnswer(await api("/api/playground/eval", { method: "POST", body: { code: editor.value } }));
  } catch (error) {
    state = "error";
    showError(error);
  } finally {
    running = false;
    runButton.disabled = false;
    outputs.dataset.state = state;
    outputs.dataset.runs = String(Number(outputs.dataset.runs) + 1);
  }
}

function onPageKey(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    run();
  }
}

function main() {
  fillPicker();
  loadCell(picker.value);
  document.querySelector('[data-field="run-key"]').textContent = isMac() ? "⌘" : "Ctrl";
  picker.addEventListener("change", () => loadCell(picker.value));
  window.addEventListener("hashchange", () => {
    const id = cellInHash();
    if (!id || id === picker.value) return;
    picker.value = id;
    loadCell(id);
  });
  editor.addEventListener("keydown", onEditorKey);
  editor.addEventListener("input", () => updateGutter());
  editor.addEventListener("scroll", () => {
    gutter.scrollTop = editor.scrollTop;
  });
  document.addEventListener("keydown", onPageKey);
  runButton.addEventListener("click", run);
  runButton.disabled = false;
}

main();
