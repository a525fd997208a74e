// The run page's fit card for a polynomial variant: the fit at the latest step while the run
// trains, or at the step the slider or the loss chart's cursor points at; and the learned formula.
import { api, fill } from "./common.js";
import { FitChart, formula, maxError, modelCurves } from "./fitplot.js";
import { fmtCoef, fmtInt } from "./numbers.js";

// A run's parameters by step, in step order: the stored ones, then each `params` message.
export class ParamHistory {
  constructor() {
    this.steps = [];
    this.values = [];
  }

  get lastStep() {
    return this.steps.length ? this.steps.at(-1) : -1;
  }

  // Usually an append; a stored page read while the stream runs may overlap it.
  add(step, params) {
    let i = this.steps.length;
    while (i > 0 && this.steps[i - 1] >= step) i--;
    if (this.steps[i] === step) return;
    this.steps.splice(i, 0, step);
    this.values.splice(i, 0, params);
  }

  // The entry at the nearest stored step at or before `step` (the first one before any).
  at(step) {
    if (this.steps.length === 0) return null;
    let lo = 0;
    let hi = this.steps.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.steps[mid] <= step) lo = mid;
      else hi = mid - 1;
    }
    return { step: this.steps[lo], params: this.values[lo] };
  }
}

function describe(fit, params) {
  const curves = modelCurves(fit, params);
  // one curve: its distance alone ("model 0.19" read as if "model" were a number's name)
  const errors = curves.length === 1 ? [fmtCoef(maxError(curves[0].f))]
    : curves.map(({ label, f }) => `${label} ${fmtCoef(maxError(f))}`);
  return { formula: formula(fit, params), "fit-error": errors.join(" · ") };
}

// Wire the card: returns what the run's feed calls (load, then add per message) and `scrub`,
// which the loss chart's cursor calls with a step (null when it leaves).
export function fitView(run, card) {
  const history = new ParamHistory();
  const { fit } = card.dataset; // the registry's name for the curve its parameters draw
  const chart = new FitChart(card.querySelector("#fit-chart"), fit);
  const slider = card.querySelector("#fit-step");
  let pinned = null; // the slider's step; null while it follows the latest
  let hover = null;

  const draw = () => {
    const entry = history.at(hover ?? pinned ?? Infinity);
    if (entry === null) return;
    chart.show(entry.params);
    card.dataset.step = entry.step;
    const latest = entry.step === history.lastStep ? " (latest)" : "";
    fill(card, { "fit-at": `${fmtInt(entry.step)}${latest}`, ...describe(fit, entry.params) });
  };
  const add = (step, params) => {
    history.add(step, params);
    slider.max = String(history.lastStep);
    slider.disabled = false;
    if (pinned === null) slider.value = slider.max;
  };
  slider.addEventListener("input", () => {
    const step = Number(slider.value);
    pinned = step >= history.lastStep ? null : step;
    draw();
  });
  return {
    async load() {
      for (let after = -1; after !== null; ) {
        const page = await api(`/api/runs/${run.id}/params?after=${after}`);
        page.step.forEach((step, i) => add(step, page.params[i]));
        after = page.next_after;
      }
      draw();
    },
    add(message) {
      add(message.step, message.params);
      draw();
    },
    scrub(step) {
      hover = step;
      draw();
    },
  };
}
