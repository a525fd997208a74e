"""Under Ray: each node's CPU and GPU use, as the samples of the runs training there say.

A node is sampled only by the worker processes that train a run on it, so a node with no run
has no figures (null), and its figures are the latest that any of its runs brought.
"""

from __future__ import annotations

import statistics
import threading

from server.system.runs import Sampled


class NodeFigures:
    """The latest sample of each running run, by node; read by /api/system's cluster."""

    def __init__(self) -> None:
        self._latest: dict[int, tuple[str, dict[str, float]]] = {}  # run id -> node, values
        self._lock = threading.Lock()

    def note(self, run_id: int, node: str, samples: list[Sampled]) -> None:
        """A batch of the run's samples has come from `node`."""
        if samples:
            with self._lock:
                self._latest[run_id] = (node, samples[-1].values)

    def forget(self, run_id: int) -> None:
        """The run has ended: its samples no longer say what its node does."""
        with self._lock:
            self._latest.pop(run_id, None)

    def of(self, node: str) -> dict[str, float | None]:
        """The node's machine CPU percent, and its running GPU runs' mean GPU utilisation."""
        with self._lock:
            values = [v for n, v in self._latest.values() if n == node]
        cpu = [v["system/machine_cpu_percent"] for v in values if "system/machine_cpu_percent" in v]
        gpu = [v["system/gpu_util"] for v in values if "system/gpu_util" in v]
        return {"cpu_percent": cpu[-1] if cpu else None,
                "gpu_util": statistics.fmean(gpu) if gpu else None}  # fmt: skip
