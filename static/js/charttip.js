// A loss chart's hover tooltip and marks: every line's value at the hovered step, highest first
// as the lines lie on the chart, the nearest one highlighted and identical values named together;
// and a dot on each line's best (lowest) loss.
import { fmtLoss } from "./numbers.js";

const SEARCH = 64; // how far to look for a line's nearest point: runs thinned differently
const DOT = 4;

// A series' value at or nearest to data index `idx`, or null.
function valueNear(values, idx) {
  for (let d = 0; d <= SEARCH; d++) {
    if (values[idx - d] != null) return values[idx - d];
    if (values[idx + d] != null) return values[idx + d];
  }
  return null;
}

// The tooltip's rows at `idx`: [{labels, value, color, near}], highest value first.
export function tipRows(u, idx, top, entries) {
  const byValue = new Map();
  for (const { index, label } of entries) {
    if (!u.series[index].show) continue;
    const value = valueNear(u.data[index], idx);
    if (value === null || !Number.isFinite(value)) continue;
    if (!byValue.has(value)) byValue.set(value, { labels: [], value, color: u.series[index]._stroke });
    byValue.get(value).labels.push(label);
  }
  const rows = [...byValue.values()].sort((a, b) => b.value - a.value);
  let near = null;
  for (const row of rows) {
    row.distance = Math.abs(u.valToPos(row.value, "y") - top);
    if (near === null || row.distance < near.distance) near = row;
  }
  for (const row of rows) row.near = row === near;
  return rows;
}

function rowNode({ labels, value, color, near }) {
  const row = document.createElement("div");
  row.className = near ? "tip-row near" : "tip-row";
  row.dataset.label = labels.join(" = ");
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = color;
  const name = document.createElement("span");
  name.className = "tip-label";
  name.textContent = row.dataset.label;
  const number = document.createElement("span");
  number.className = "tip-value";
  number.textContent = fmtLoss(value);
  row.append(swatch, name, number);
  return row;
}

// A uPlot plugin: `entries()` names the series to list ({index, label}), `heading(x)` the step.
export function tooltipPlugin(entries, heading) {
  const box = document.createElement("div");
  box.className = "chart-tip";
  box.hidden = true;
  const place = (u, left, top) => {
    const flip = left > u.over.clientWidth / 2;
    box.style.left = flip ? "" : `${left + 14}px`;
    box.style.right = flip ? `${u.over.clientWidth - left + 14}px` : "";
    box.style.top = `${Math.max(0, top - 10)}px`;
  };
  const show = (u) => {
    const { idx, left, top } = u.cursor;
    const rows = idx == null || left < 0 ? [] : tipRows(u, idx, top, entries(u));
    box.hidden = rows.length === 0;
    if (box.hidden) return;
    const head = document.createElement("div");
    head.className = "tip-head";
    head.textContent = heading(u.data[0][idx]);
    box.replaceChildren(head, ...rows.map(rowNode));
    place(u, left, top);
  };
  return { hooks: { init: (u) => u.over.append(box), setCursor: show } };
}

// A dot on each best point ({x, loss, color}) that its scales can show.
export function drawBest(u, bests) {
  const { ctx } = u;
  const r = DOT * devicePixelRatio;
  ctx.save();
  for (const { x, loss, color } of bests) {
    if (u.scales.y.distr === 3 && !(loss > 0)) continue;
    const px = u.valToPos(x, "x", true);
    const py = u.valToPos(loss, "y", true);
    ctx.beginPath();
    ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.strokeStyle = getComputedStyle(u.root).getPropertyValue("--card").trim() || "#fff";
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}
