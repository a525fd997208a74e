// A run's live hyperparameter changes on its loss chart: a dashed vertical line at each change's
// step, labelled "lr 1e-6 → 2e-6" (a uPlot draw hook). The labels it drew last are on the
// chart's container as data-marks (a JSON list), as the chart's other data-* attributes are.
import { fmtParam } from "./numbers.js";

const FONT_PX = 12;
const ROW_PX = 18; // a label row's height
const PAD_PX = 4;
const MAX_ROWS = 4; // labels stack down this far, then share rows

// "lr 1e-6 → 2e-6": a change, with its field as its series is named (`names`: field → name).
export function markLabel({ field, old, new: value }, names = {}) {
  const from = old == null ? "" : `${fmtParam(old)} → `;
  return `${names[field] ?? field} ${from}${fmtParam(value)}`;
}

// The plugin for LossChart's `plugins`: `changes()` gives the events to draw now.
export function hyperMarks(changes, names) {
  return (chart) => ({ hooks: { draw: (u) => drawMarks(u, chart, changes(), names) } });
}

function drawMarks(u, chart, changes, names) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox; // canvas pixels
  const dpr = devicePixelRatio;
  const style = getComputedStyle(u.root);
  const color = style.getPropertyValue("--accent").trim() || "#3451b2";
  const card = style.getPropertyValue("--card").trim() || "#fff";
  const rows = []; // per row, the [from, to] pixel spans its labels take
  const drawn = [];
  ctx.save();
  ctx.font = `${FONT_PX * dpr}px ${style.fontFamily}`;
  ctx.textAlign = "left"; // uPlot leaves its last axis's alignment set
  ctx.textBaseline = "middle";
  ctx.lineWidth = dpr;
  for (const change of changes) {
    const px = markPos(u, chart, change.step);
    if (!(px >= left && px <= left + width)) continue;
    ctx.strokeStyle = color;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath();
    ctx.moveTo(px, top);
    ctx.lineTo(px, top + height);
    ctx.stroke();
    const label = markLabel(change, names);
    const span = labelSpan(ctx.measureText(label).width, px, left + width, PAD_PX * dpr);
    const row = freeRow(rows, span);
    const y = top + (row + 0.5) * ROW_PX * dpr;
    ctx.fillStyle = card;
    ctx.fillRect(span[0] - 2 * dpr, y - (ROW_PX / 2 - 1) * dpr, span[1] - span[0] + 4 * dpr, (ROW_PX - 2) * dpr);
    ctx.fillStyle = color;
    ctx.fillText(label, span[0], y);
    drawn.push(label);
  }
  ctx.restore();
  chart.container.dataset.marks = JSON.stringify(drawn);
}

// Where a change's line goes (canvas pixels): at its step, or, for one that takes effect past the
// last loss held (a paused run's: from the step it resumes at), at the plot's right edge unless
// it is zoomed.
function markPos(u, chart, step) {
  const x = chart.xOfStep(step);
  const px = x == null ? NaN : u.valToPos(x, "x", true);
  const ahead = step > chart.lines[0].series.lastStep && chart.opts.zoomX === null;
  return ahead && !(px <= u.bbox.left + u.bbox.width) ? u.bbox.left + u.bbox.width : px;
}

// A label's [from, to] on x: right of its line, or left of it where the plot ends first.
function labelSpan(textWidth, px, right, pad) {
  const from = px + pad + textWidth <= right ? px + pad : px - pad - textWidth;
  return [from, from + textWidth];
}

// The first row where `span` overlaps no label yet (the last row when all are taken).
function freeRow(rows, [from, to]) {
  let row = rows.findIndex((spans) => spans.every(([a, b]) => to < a || from > b));
  if (row < 0) row = rows.length < MAX_ROWS ? rows.push([]) - 1 : MAX_ROWS - 1;
  rows[row].push([from, to]);
  return row;
}
