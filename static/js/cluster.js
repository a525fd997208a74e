// The dashboard's Cluster card, under the Ray executor: each node with its CPUs and GPUs and the
// runs it trains now, and the runs waiting in each lane. It starts from the page's data, then
// asks /api/system every POLL_MS; the running runs come from the dashboard's live runs list.
import { api, fill, shortNode } from "./common.js";
import { fmtInt } from "./numbers.js";

const POLL_MS = 2000;

function gpuText(node) {
  if (node.gpus === 0) return "—";
  return node.gpu_names.length ? `${node.gpus} × ${node.gpu_names.join(", ")}` : String(node.gpus);
}

// The node's CPU and GPU use, as its runs' system samples say: none while no run trains there.
function useText(node) {
  const parts = [];
  if (node.cpu_percent != null) parts.push(`CPU ${Math.round(node.cpu_percent)}%`);
  if (node.gpu_util != null) parts.push(`GPU ${Math.round(node.gpu_util)}%`);
  return parts.join(" · ") || "—";
}

function runLink(run) {
  const link = document.createElement("a");
  link.href = `/runs/${run.id}`;
  link.textContent = `#${run.id} ${run.variant}`;
  return link;
}

function nodeRow(template, node, running) {
  const tr = template.content.firstElementChild.cloneNode(true);
  tr.dataset.node = node.id;
  tr.dataset.alive = node.alive;
  fill(tr, {
    node: shortNode(node.id),
    host: node.host,
    alive: node.alive ? "alive" : "dead",
    cpus: fmtInt(node.cpus),
    gpus: gpuText(node),
    use: useText(node),
  });
  tr.querySelector('[data-field="node"]').title = node.id;
  tr.querySelector('[data-field="runs"]').replaceChildren(...running.map(runLink));
  return tr;
}

// `system` is what /api/system says ({cluster, queued}); `runs()` gives the runs the page knows.
// `redraw()` shows a change in either, and rebuilds the rows only when what they show changed
// (a link rebuilt under the pointer would lose its click).
export function clusterPanel(card, system, runs) {
  const body = card.querySelector("#nodes-body");
  const template = card.querySelector("#node-row-template");
  let shown = "";

  function redraw() {
    const { cluster, queued } = system;
    const running = runs().filter((run) => run.status === "running" && run.worker);
    running.sort((a, b) => a.id - b.id);
    const onNode = (node) => running.filter((run) => run.worker.node === node.id);
    const view = cluster.nodes.map((node) => [node, onNode(node)]);
    const key = JSON.stringify([cluster, queued, view.map(([, on]) => on.map((r) => r.id))]);
    if (key === shown) return;
    shown = key;
    fill(card, {
      address: cluster.address,
      reachable: cluster.reachable ? "reachable" : "unreachable",
      queued: Object.entries(queued).map(([lane, n]) => `${lane} ${fmtInt(n)}`).join(" · "),
    });
    card.dataset.reachable = cluster.reachable;
    body.replaceChildren(...view.map(([node, on]) => nodeRow(template, node, on)));
    card.querySelector("#nodes-empty").hidden = cluster.nodes.length > 0;
  }

  // One request at a time, and none while the tab is hidden.
  let asking = false;
  async function poll() {
    if (asking || document.hidden) return;
    asking = true;
    try {
      system = await api("/api/system");
    } catch {
      card.dataset.stale = ""; // no answer: the card shows its last news, faded
      return;
    } finally {
      asking = false;
    }
    delete card.dataset.stale;
    redraw();
  }

  redraw();
  setInterval(poll, POLL_MS);
  return { redraw };
}
