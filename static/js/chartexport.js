// A loss chart saved as it is drawn (zoom, scales, smoothing, hidden lines, the legend): a PNG
// of uPlot's canvas with the legend painted under it, or an SVG built from the same scales.
const LEGEND_ROW = 20; // CSS px per legend line
const SVG_NS = "http://www.w3.org/2000/svg";

// The chart's shown lines, for the legend: [{label, color, dash}].
function legend(u) {
  return u.series.slice(1).filter((s) => s.show && s.class !== "aux")
    .map((s) => ({ label: s.label, color: stroke(u, s), dash: s.dash ?? [] }));
}

const stroke = (u, s) => (typeof s.stroke === "function" ? s.stroke(u, u.series.indexOf(s)) : s.stroke);
const colors = (u) => {
  const style = getComputedStyle(u.root);
  return { text: style.color, background: getComputedStyle(document.body).getPropertyValue("--card").trim() || "#fff" };
};

function download(blob, filename) {
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// uPlot's canvas as drawn, on the page's card colour, with the legend painted below it.
export function savePng(u, filename) {
  const ratio = u.ctx.canvas.width / u.width; // uPlot draws at the device's pixel ratio
  const entries = legend(u);
  const canvas = document.createElement("canvas");
  canvas.width = u.ctx.canvas.width;
  canvas.height = u.ctx.canvas.height + Math.ceil((entries.length * LEGEND_ROW + 8) * ratio);
  const ctx = canvas.getContext("2d");
  const { text, background } = colors(u);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(u.ctx.canvas, 0, 0);
  ctx.scale(ratio, ratio);
  ctx.font = "12px sans-serif";
  ctx.textBaseline = "middle";
  entries.forEach(({ label, color, dash }, i) => {
    const y = u.height + 4 + LEGEND_ROW * (i + 0.5);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left / ratio, y);
    ctx.lineTo(u.bbox.left / ratio + 20, y);
    ctx.stroke();
    ctx.fillStyle = text;
    ctx.fillText(label, u.bbox.left / ratio + 28, y);
  });
  canvas.toBlob((blob) => download(blob, `${filename}.png`), "image/png");
}

function node(name, attrs, text) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// A series' shown points as an SVG path in the plot's own coordinates; a gap breaks it.
function seriesPath(u, i) {
  const [xs, ys] = [u.data[0], u.data[i]];
  let d = "";
  let pen = "M";
  for (let j = 0; j < xs.length; j++) {
    const v = ys[j];
    if (v == null || (u.scales[u.series[i].scale].distr === 3 && v <= 0)) {
      if (!u.series[i].spanGaps) pen = "M";
      continue;
    }
    const x = u.valToPos(xs[j], "x");
    const y = u.valToPos(v, u.series[i].scale);
    d += `${pen}${x.toFixed(1)} ${y.toFixed(1)}`;
    pen = "L";
  }
  return d;
}

// The axes' ticks and labels as uPlot drew them last.
function axisNodes(u, text) {
  const [left, top, width, height] = ["left", "top", "width", "height"].map((k) => u.bbox[k] / (u.ctx.canvas.width / u.width));
  const out = [node("rect", { x: left, y: top, width, height, fill: "none", stroke: text, "stroke-opacity": 0.3 })];
  u.axes.forEach((axis, a) => {
    const key = a === 0 ? "x" : u.series[1]?.scale ?? "y";
    (axis._splits ?? []).forEach((value, t) => {
      const label = axis._values?.[t];
      if (label == null || label === "") return;
      const at = u.valToPos(value, key);
      const attrs = a === 0
        ? { x: left + at, y: top + height + 16, "text-anchor": "middle" }
        : { x: left - 6, y: top + at + 4, "text-anchor": "end" };
      out.push(node("text", { ...attrs, fill: text, "font-size": 11 }, label));
    });
    if (axis.label) {
      const attrs = a === 0 ? { x: left + width / 2, y: top + height + 34, "text-anchor": "middle" }
        : { x: 12, y: top + height / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${top + height / 2})` };
      out.push(node("text", { ...attrs, fill: text, "font-size": 12 }, axis.label));
    }
  });
  return { nodes: out, left, top, width, height };
}

// The same chart as vector lines: each shown series, the axes' ticks, and the legend.
export function saveSvg(u, filename) {
  const entries = legend(u);
  const { text, background } = colors(u);
  const full = u.height + entries.length * LEGEND_ROW + 8;
  const size = { width: u.width, height: full, viewBox: `0 0 ${u.width} ${full}` };
  const svg = node("svg", { xmlns: SVG_NS, ...size, "font-family": "system-ui, sans-serif" });
  svg.append(node("rect", { width: u.width, height: full, fill: background }));
  const axes = axisNodes(u, text);
  const clip = node("clipPath", { id: "plot" });
  // in the plot group's coordinates, which its transform moves to the plot's corner
  clip.append(node("rect", { x: 0, y: 0, width: axes.width, height: axes.height }));
  svg.append(clip, ...axes.nodes);
  const plot = node("g", { "clip-path": "url(#plot)", transform: `translate(${axes.left} ${axes.top})` });
  u.series.forEach((s, i) => {
    if (i === 0 || !s.show) return;
    const attrs = { d: seriesPath(u, i), fill: "none", stroke: stroke(u, s), "stroke-width": s.width ?? 1 };
    if (s.dash) attrs["stroke-dasharray"] = s.dash.join(" ");
    plot.append(node("path", { ...attrs, class: "series", "data-label": s.label }));
  });
  svg.append(plot);
  entries.forEach(({ label, color }, i) => {
    const y = u.height + 4 + LEGEND_ROW * (i + 0.5);
    svg.append(node("line", { x1: axes.left, y1: y, x2: axes.left + 20, y2: y, stroke: color, "stroke-width": 2 }));
    svg.append(node("text", { x: axes.left + 28, y: y + 4, fill: text, "font-size": 12, class: "legend" }, label));
  });
  const body = new XMLSerializer().serializeToString(svg);
  download(new Blob([body], { type: "image/svg+xml" }), `${filename}.svg`);
}
