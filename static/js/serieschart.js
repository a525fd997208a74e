// A run's series other than loss (a script's, and the system sampler's of a job run): one chart
// per series, in sections grouped by the part of the name before "/" (as TensorBoard and W&B
// group them), each fed its thinned history and then the run's "series" messages. The loss
// chart's controls drive them all (ChartGroup).
import { api, ApiError } from "./common.js";
import { LossChart } from "./losschart.js";
import { LossSeries } from "./lossseries.js";

const HISTORY_POINTS = 2000;

// A series' route: its name's slashes kept, each part escaped.
export function seriesPath(runId, name) {
  return `/api/runs/${runId}/series/${name.split("/").map(encodeURIComponent).join("/")}`;
}

// Load a series' thinned history into `series`; a run without that series holds none.
export async function loadSeries(runId, name, series) {
  try {
    for (let after = -1; after !== null; ) {
      const page = await api(`${seriesPath(runId, name)}?max_points=${HISTORY_POINTS}&after=${after}`);
      series.addSteps(page);
      after = page.next_after;
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
}

// The group a series belongs to: the part of its name before the first "/".
export function groupOf(name) {
  const cut = name.indexOf("/");
  return cut > 0 ? name.slice(0, cut) : "";
}

export class SeriesCharts {
  // `root`: where the sections go; `group`: the ChartGroup the page's controls drive; `names`:
  // the run's series as the page came with them (else they are asked for); `stepped`: the
  // series drawn as steps (a hyperparameter holds its value until it changes).
  constructor(root, run, group, names = null, stepped = []) {
    this.root = root;
    this.run = run;
    this.group = group;
    this.names = names;
    this.stepped = new Set(stepped);
    this.charts = new Map();
    this.sections = new Map();
  }

  // Every stored series but loss, each with its history (before the websocket opens).
  async load() {
    const listed = this.names ?? (await api(`/api/runs/${this.run.id}/series`)).series.map((s) => s.name);
    const names = listed.filter((name) => name !== "loss");
    await Promise.all(names.map((name) => loadSeries(this.run.id, name, this.add(name).series)));
    for (const { chart } of this.charts.values()) chart.update();
  }

  add(name) {
    const figure = document.createElement("figure");
    figure.className = "series-chart";
    figure.dataset.series = name;
    const caption = document.createElement("figcaption");
    caption.textContent = name;
    const box = document.createElement("div");
    box.className = "chart small";
    box.setAttribute("aria-label", `${name} by step`);
    figure.append(caption, box);
    this.section(groupOf(name)).append(figure);
    const series = new LossSeries();
    const line = { key: name, id: this.run.id, label: name, series, stepped: this.stepped.has(name) };
    const entry = { series, chart: new LossChart(box, [line], { yLabel: name.split("/").pop() }) };
    this.group.add(entry.chart);
    this.charts.set(name, entry);
    return entry;
  }

  section(group) {
    if (!this.sections.has(group)) {
      // the system sampler's series: a collapsed "System" group, after every other group
      const system = group === "system";
      const section = document.createElement(system ? "details" : "section");
      section.className = "card series-group";
      section.dataset.group = group;
      const title = document.createElement("h2");
      title.textContent = system ? "System" : group || "Charts";
      const grid = document.createElement("div");
      grid.className = "series-grid";
      if (system) {
        const summary = document.createElement("summary");
        summary.append(title);
        section.append(summary, grid);
      } else section.append(title, grid);
      this.root.insertBefore(section, system ? null : this.root.querySelector("details.series-group"));
      this.sections.set(group, grid);
    }
    return this.sections.get(group);
  }

  // A websocket "series" message: its points go to its chart (made when it first shows up).
  take(message) {
    const { series, chart } = this.charts.get(message.name) ?? this.add(message.name);
    series.addSteps(message);
    chart.update();
  }

  // Each series' last step held: where a reconnect resumes them.
  cursors() {
    return Object.fromEntries([...this.charts].map(([name, e]) => [name, e.series.lastStep]));
  }
}
