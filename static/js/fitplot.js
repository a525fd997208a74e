// The polynomial fits' second chart: sin(x) on [-π, π] and the model's curve at one step, drawn
// from the few parameters the stream sends (the 2,000 predicted points never travel).
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { fmtCoef } from "./numbers.js";

const GRID = 401; // points drawn over [-π, π]
export const XS = Array.from({ length: GRID }, (_, i) => -Math.PI + (2 * Math.PI * i) / (GRID - 1));
const TARGET = XS.map(Math.sin);

// Legendre polynomial of degree 3, as poly_function's LegendrePolynomial3 computes it.
const P3 = (t) => 0.5 * (5 * t ** 3 - 3 * t);
const cubic = ({ a, b, c, d }, x) => a + b * x + c * x ** 2 + d * x ** 3;

// The model's curves at parameters `p` for a variant's `fit` ("cubic", "legendre" or "quintic"):
// one line, or for the quintic (poly_dynamic, whose x⁴ and x⁵ terms are drawn at random each
// pass) its cubic part and its full quintic.
export function modelCurves(fit, p) {
  if (fit === "legendre") return [{ label: "model", f: (x) => p.a + p.b * P3(p.c + p.d * x) }];
  if (fit === "cubic") return [{ label: "model", f: (x) => cubic(p, x) }];
  return [
    { label: "cubic part", f: (x) => cubic(p, x) },
    { label: "quintic", f: (x) => cubic(p, x) + p.e * x ** 4 + p.e * x ** 5 },
  ];
}

// The learned formula, as the tutorial's last line prints it.
export function formula(fit, p) {
  const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((k) => fmtCoef(p[k]));
  if (fit === "legendre") return `y = ${a} + ${b} * P3(${c} + ${d} x)`;
  const head = `y = ${a} + ${b} x + ${c} x^2 + ${d} x^3`;
  return fit === "cubic" ? head : `${head} + ${e} x^4 ? + ${e} x^5 ?`;
}

// The largest distance of a curve from sin(x) over the drawn points.
export function maxError(f) {
  return XS.reduce((worst, x, i) => Math.max(worst, Math.abs(f(x) - TARGET[i])), 0);
}

const COLORS = ["#e8590c", "#3451b2"];
// sin(x) always fits; a far-off curve (the random start) widens the axis rather than leave it
const yRange = (u, lo, hi) => uPlot.rangeNum(Math.min(lo, -1.1), Math.max(hi, 1.1), 0.05, true);

// A uPlot chart of sin(x) and the model's curve(s); `show(params)` redraws it.
export class FitChart {
  constructor(container, fit) {
    this.container = container;
    this.fit = fit;
    this.plot = null;
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  size() {
    return { width: Math.max(this.container.clientWidth, 200), height: 300 };
  }

  show(params) {
    const curves = modelCurves(this.fit, params);
    // a diverged run's parameters can overflow: uPlot draws a gap where it gets null
    const finite = (f) => XS.map((x) => (Number.isFinite(f(x)) ? f(x) : null));
    const data = [XS, TARGET, ...curves.map(({ f }) => finite(f))];
    if (this.plot === null) this.plot = new uPlot(this.options(curves), data, this.container);
    else this.plot.setData(data);
  }

  options(curves) {
    const value = (u, v) => (v == null ? "—" : fmtCoef(v));
    return {
      ...this.size(),
      scales: { x: { time: false, range: [-Math.PI, Math.PI] }, y: { range: yRange } },
      series: [
        { label: "x", value: (u, v) => (v == null ? "—" : v.toFixed(4)) },
        { label: "sin(x)", stroke: "#868e96", width: 1.5, dash: [6, 4], value },
        ...curves.map(({ label }, i) => ({ label, stroke: COLORS[i], width: 2, value })),
      ],
      axes: [{ label: "x" }, { label: "y", size: 48 }],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
  }
}
