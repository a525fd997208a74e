"""Prometheus metrics: one registry per app; live state read at each scrape, events counted."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server import __version__
from server.protocol import FINISHED_STATUSES
from server.system.sampler import Sample, SystemSampler
from server.training.manager import RunManager
from server.training.registry import variants
from server.training.run import Run
from server.training.steering import WriteFigures
from server.web.stream import RunHub

# From a tiny run's tenth of a second to a long one's hours.
DURATION_BUCKETS = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600)
# A playground answer's HTTP status as an outcome; any other status is "failed".
EVAL_OUTCOMES = {
    200: "ok",
    400: "error",  # refused code, a syntax error, or an exception the snippet raised
    408: "timeout",
    413: "refused",
    422: "refused",  # over a size, memory or output limit
    429: "busy",
    503: "unavailable",
}


# The system sampler's figures per device: the CPU's are the machine's, a GPU's NVML's.
DEVICE_GAUGES = (
    ("lossboard_device_utilization", "Percent of the device busy at the last sample.",
     "utilization"),
    ("lossboard_device_memory_used_bytes", "Memory in use on the device.", "memory_used"),
    ("lossboard_device_memory_total_bytes", "The device's memory.", "memory_total"),
)  # fmt: skip


class LiveCollector(Collector):
    """Reads, at each scrape, how many runs train and wait per device and who streams, and
    each device's latest system sample."""

    def __init__(self, manager: RunManager, hub: RunHub, sampler: SystemSampler | None) -> None:
        self.manager = manager
        self.hub = hub
        self.sampler = sampler

    def collect(self) -> Iterator[Metric]:
        queued = self.manager.reads.queued()
        active = dict.fromkeys(queued, 0)
        for run in self.manager.reads.live_runs():
            if run.status == "running":
                active[self.manager.executor.lane(run.config.device)] += 1
        yield per_device("lossboard_runs_active", "Runs training now.", active)
        yield per_device("lossboard_queue_depth", "Runs waiting for a worker.", queued)
        subscribers = self.hub.subscribers()
        yield GaugeMetricFamily("lossboard_ws_subscribers", "Open websocket streams.", subscribers)
        yield from device_gauges(self.sampler.latest if self.sampler else None)
        yield from checkpoint_figures(self.manager.steering.writer.figures)


def checkpoint_figures(figures: WriteFigures) -> Iterator[Metric]:
    """The checkpoint writer's counts, and the size and write time of the last checkpoint."""
    yield CounterMetricFamily(
        "lossboard_checkpoints_written", "Checkpoints written to disk.", figures.written
    )
    yield CounterMetricFamily(
        "lossboard_checkpoints_failed", "Checkpoints that could not be written.", figures.failed
    )
    yield CounterMetricFamily(
        "lossboard_checkpoint_write_seconds", "Time spent writing checkpoints.", figures.seconds
    )
    yield GaugeMetricFamily(
        "lossboard_checkpoint_last_bytes", "Size of the last checkpoint.", figures.last_bytes
    )
    yield GaugeMetricFamily(
        "lossboard_checkpoint_last_write_seconds",
        "How long the last checkpoint took to write (fsync included).",
        figures.last_seconds,
    )


def device_gauges(sample: Sample | None) -> Iterator[GaugeMetricFamily]:
    """Each device's utilisation and memory at the latest sample (none while sampling is off)."""
    devices = sample.devices if sample is not None else {}
    for name, documentation, attribute in DEVICE_GAUGES:
        figures = {d: getattr(f, attribute) for d, f in devices.items()}
        yield per_device(name, documentation, {d: v for d, v in figures.items() if v is not None})


def per_device(name: str, documentation: str, counts: Mapping[str, float]) -> GaugeMetricFamily:
    """A gauge with one sample per device (a lane: cpu or cuda under Ray)."""
    family = GaugeMetricFamily(name, documentation, labels=["device"])
    for device, count in counts.items():
        family.add_metric([device], count)
    return family


class Metrics:
    """One app's registry: counters for what happened, and the live collector for what is."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._declare_events()
        Info("lossboard_build", "The server's version.", registry=self.registry).info(
            {"version": __version__}
        )
        ProcessCollector(registry=self.registry)  # the server's memory, CPU and open files
        self._counted: dict[int, int] = {}  # iterations counted so far, per live run
        self._lock = threading.Lock()

    def watch(self, manager: RunManager, hub: RunHub, sampler: SystemSampler | None = None) -> None:
        """Count the manager's runs as they train and end; read the live gauges at scrapes."""
        self.registry.register(LiveCollector(manager, hub, sampler))
        manager.add_listener(self.observe_run)

    def _declare_events(self) -> None:
        """Declare the counters of what happened."""
        self.runs = Counter(
            "lossboard_runs_total",
            "Runs that ended, by final status.",
            ["variant", "status"],
            registry=self.registry,
        )
        self.iterations = Counter(
            "lossboard_iterations_total",
            "Training iterations done.",
            ["variant"],
            registry=self.registry,
        )
        self.durations = Histogram(
            "lossboard_run_duration_seconds",
            "Seconds from a run's start to its end.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.evals = Counter(
            "lossboard_playground_evals_total",
            "Playground snippets evaluated, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self._create_series()

    def _create_series(self) -> None:
        """Every series at 0 from the start, so a rate sees a run's first increase."""
        for variant in variants():
            self.iterations.labels(variant.id)
            for status in FINISHED_STATUSES:
                self.runs.labels(variant.id, status)
        for outcome in {*EVAL_OUTCOMES.values(), "failed"}:
            self.evals.labels(outcome)

    def observe_run(self, run: Run, event: str) -> None:
        """Count a run's new iterations, and its end (a manager listener, on any thread)."""
        done = len(run.losses)
        with self._lock:
            before = self._counted.pop(run.id, 0)
            if not run.finished:
                self._counted[run.id] = done
        # a resumed run computes the steps after its checkpoint again: counted from there
        self.iterations.labels(run.config.variant).inc(max(0, done - before))
        if not run.finished:
            return
        self.runs.labels(run.config.variant, run.status).inc()
        if run.started_at is not None and run.finished_at is not None:
            self.durations.observe(run.finished_at - run.started_at)

    def observe_eval(self, status: int) -> None:
        """Count a playground evaluation by its answer's HTTP status."""
        self.evals.labels(EVAL_OUTCOMES.get(status, "failed")).inc()
