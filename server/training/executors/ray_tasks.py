"""RayExecutor: each run is a Ray streaming-generator task that yields its batches of losses.

The task runs the same `drive` loop as a local worker thread, on whichever node Ray gives
it (`num_cpus=1` for a CPU run, `num_gpus=1` for a CUDA one), and yields its Worker first.
Imported only with `--executor ray`: Ray is the optional extra `lossboard[ray]`.
"""

from __future__ import annotations

import functools
import importlib
import io
import os
import re
import signal
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

import ray
import torch
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import server
from server.system.nodes import NodeFigures
from server.system.sampler import SystemSampler
from server.training import registry
from server.training.devices import DEVICE_PATTERN, Device
from server.training.drive import (
    KEEPING,
    Batch,
    Change,
    Control,
    drive,
    first_line,
    loop_config,
    to_bytes,
)
from server.training.executors.base import Stop, Worker, this_worker
from server.training.spec import ConfigError, TrainConfig

CHECK_TIMEOUT_S = 5.0  # ray.init to a dead address can hang for minutes: look first
HEALTH_TIMEOUT_S = 1.0
SILENT_END = "failed", "the Ray task ended without saying how"
POLL_S = 0.25  # how often a stopped run's task is cancelled again while it still runs
CANCEL_GRACE_S = 1.5  # then the run ends as stopped, whatever Ray still does with it
LOST_CHECK_POLLS = 8  # while a run hears nothing, check every 2 s that the cluster answers
BOARD_POLL_S = 0.2  # how often a task asks the board whether it is paused, stopped or changed
Signal = tuple["str | None", list[tuple[str, float]]]  # a stop that keeps state; changes


class Board:
    """A Ray actor beside the server: what it asks of running tasks beyond a cancel (a pause,
    a graceful stop, hyperparameter changes), which each task polls."""

    def __init__(self) -> None:
        self.stops: dict[int, str] = {}
        self.changes: dict[int, list[tuple[str, float]]] = defaultdict(list)

    def signal(self, run_id: int, stop: str | None, changes: list[tuple[str, float]]) -> None:
        if stop is not None:
            self.stops[run_id] = stop
        self.changes[run_id].extend(changes)

    def poll(self, run_id: int) -> Signal:
        return self.stops.get(run_id), self.changes.pop(run_id, [])

    def forget(self, run_id: int) -> None:
        self.stops.pop(run_id, None)
        self.changes.pop(run_id, None)


def follow_board(board: Any, run_id: int, control: Control, done: threading.Event) -> list[str]:
    """Poll the board from a thread of the task until `done`: changes go to `control`, a stop
    to the list returned (which the loop reads at each step)."""
    stopped: list[str] = []

    def poll() -> None:
        while not done.wait(BOARD_POLL_S):
            try:
                stop, changes = ray.get(board.poll.remote(run_id))
            except RayError:  # the server went away: its cancel, or the task's end, follows
                return
            control.live.extend(changes)
            if stop is not None and not stopped:
                stopped.append(stop)

    threading.Thread(target=poll, name=f"lossboard-board-{run_id}", daemon=True).start()
    return stopped


def train_task(
    config: dict[str, Any],
    version: str,
    system_every_s: float = 0,
    steering: dict[str, Any] | None = None,
    board: Any = None,
    run_id: int = 0,
) -> Iterator[Worker | Batch]:
    """A run on a Ray worker: where it trains, then its batches (the last says how it ended),
    which carry this worker's system samples, every `system_every_s` (0: none). `steering`
    is its Control as control_dict() gives it; `board`, the actor it polls for a pause, a
    graceful stop and hyperparameter changes. Its checkpoints come back as bytes."""
    node = ray.get_runtime_context().get_node_id()
    device = config["device"]
    if device == "cuda":  # Ray shows the task only its own GPU, as cuda:0
        device = f"cuda:{ray.get_gpu_ids()[0]}"
        config = {**config, "device": "cuda:0"}
    yield this_worker("ray", node, device)
    if version != server.__version__:
        why = (
            f"node {node} runs lossboard {server.__version__} and the server {version}: every "
            "node needs the server's lossboard and torch"
        )
        yield Batch(ended=("failed", why))
        return
    if (missing := missing_variant(config["variant"], node)) is not None:
        yield Batch(ended=("failed", missing))
        return
    control, done = control_of(steering or {}), threading.Event()
    stopped = follow_board(board, run_id, control, done) if board is not None else []
    sampler = worker_sampler(system_every_s)
    try:
        for batch in drive(TrainConfig.from_dict(config), lambda: next(iter(stopped), None),
                           sampler, control):  # fmt: skip
            batch.checkpoints = [checkpoint.shipped() for checkpoint in batch.checkpoints]
            yield batch
    finally:
        done.set()


def control_dict(control: Control) -> dict[str, Any]:
    """A run's Control as a Ray task takes it: plain values, its checkpoint as bytes."""
    resume = control.resume
    return {
        "checkpoint_every_s": control.checkpoint_every_s,
        "pause_at": control.pause_at,
        "time_offset": control.time_offset,
        "schedule": [change.as_dict() for change in control.schedule],
        "resume": None if resume is None else (resume.step, to_bytes(resume.state)),
    }


def control_of(values: dict[str, Any]) -> Control:
    """The Control that control_dict() gave `values`."""
    resume = values.get("resume")
    saved = None
    if resume is not None:
        state = torch.load(io.BytesIO(resume[1]), weights_only=True)
        saved = registry.Saved(resume[0], state)
    return Control(
        checkpoint_every_s=values.get("checkpoint_every_s", 0),
        pause_at=values.get("pause_at"),
        time_offset=values.get("time_offset", 0.0),
        schedule=[Change(**change) for change in values.get("schedule", [])],
        resume=saved,
    )


def missing_variant(variant_id: str, node: str) -> str | None:
    """Why this node cannot run the variant (its plugin is not here, or failed to import)."""
    try:
        registry.variant(variant_id)
        return None
    except KeyError:
        failed = "; ".join(f"{f['source']}: {f['error']}" for f in registry.FAILURES)
        return (
            f"node {node} has no variant {variant_id!r}: install its package on every node, or "
            f"name it in LOSSBOARD_VARIANTS (shipped with Ray's py_modules)"
            + (f"; here these failed: {failed}" if failed else "")
        )


def plugin_env() -> dict[str, Any]:
    """The Ray job's runtime_env: the LOSSBOARD_VARIANTS modules shipped to every worker (its
    py_modules: each module's package, or the file), and the variable naming them there."""
    from server.training.variants import plugins  # deferred: the registry loads it

    names = plugins.named(os.environ.get(plugins.ENV, ""))
    if not names:
        return {}
    shipped = [shipped_module(name) for name in names]
    here = ",".join(Path(n).stem if n.endswith(".py") else n for n in names)
    return {"py_modules": shipped, "env_vars": {plugins.ENV: here}}


def shipped_module(name: str) -> str:
    """What py_modules ships for one LOSSBOARD_VARIANTS entry: a file as it is; a module as its
    top-level package's directory (or its file)."""
    if name.endswith(".py"):
        return str(Path(name).resolve())
    top = importlib.import_module(name.split(".")[0])
    paths = list(getattr(top, "__path__", []))
    return paths[0] if paths else str(top.__file__)


@functools.cache  # one per worker process, started by its first run and kept for the next
def worker_sampler(every_s: float) -> SystemSampler | None:
    """This worker process's sampler (its CPU and RSS, its node's CPU and GPUs)."""
    if every_s <= 0:
        return None
    sampler = SystemSampler(every_s)
    sampler.start()
    return sampler


def warm_task() -> int:
    """Start a worker with torch and everything the loops import on their first step, so a
    run pays for none of it, and a cancel never lands in the middle of an import."""
    for variant in registry.variants():
        if variant.plugin:  # outside code: its first run pays for its own imports
            continue
        config = TrainConfig(
            variant.id, "cpu", 2, 1e-6, variant.optimizer, 0, 2, 2, 2, 1, "float32", points=8
        )
        for _ in variant.loop(loop_config(config)):
            pass
    return os.getpid()


@contextmanager
def server_signals() -> Iterator[None]:
    """Keep the server's SIGTERM and SIGINT handlers: ray.init puts its own in their place,
    which would end uvicorn with a SystemExit instead of its orderly shutdown."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


@contextmanager
def loopback_node() -> Iterator[None]:
    """Start a private Ray whose servers all listen on loopback alone. Ray binds a node's
    servers there exactly when the node's address is a loopback one, but ray.init swaps
    127.0.0.1 for the machine's address unless multi-node clusters are off (what
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 does, read once at import; Ray's default on macOS and
    Windows). So they are off for this ray.init alone: the node keeps 127.0.0.1, and neither
    Ray's processes nor a `ray start` that this process runs later inherit the setting."""
    from ray._private import ray_constants  # private: it may move between Ray versions

    kept = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = kept


def check_address(address: str | None) -> str | None:
    """Why the Ray cluster at `address` cannot be reached, or None (unset: a private one)."""
    if address is None:
        return None
    try:
        target = bootstrap_address(address)
    except Exception as exc:  # Ray says why it found no cluster
        return f"no Ray cluster at {address!r}: {first_line(exc)}"
    host, _, port = target.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), CHECK_TIMEOUT_S).close()
    except (OSError, ValueError) as exc:
        return f"cannot reach the Ray cluster at {target} ({address}): {first_line(exc)}"
    return None


def bootstrap_address(address: str) -> str:
    """host:port for a GCS address, `auto` (the cluster `ray start` made) or ray://host:port."""
    if address.startswith("ray://"):
        return address.removeprefix("ray://")
    # Ray's private helper, only for a host:port address (it may move between Ray versions)
    from ray._private.services import canonicalize_bootstrap_address_or_die

    return canonicalize_bootstrap_address_or_die(address)


class RayExecutor:
    """Runs train as Ray tasks; the manager's lane threads follow their streams."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        data_dir: Path | None = None,
        system_every_s: float = 0,
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.data_dir = data_dir  # where a private Ray's token file is kept
        self.system_every_s = system_every_s
        self._owns_ray = False
        self._capacity: dict[str, int] = {}  # the lanes' widths, as the cluster was at start
        self._devices: list[Device] = []  # as last seen: a cluster that went away says no more
        self._running: dict[int, ray.ObjectRefGenerator] = {}  # run id -> its task's stream
        self._nodes = NodeFigures()  # each node's use, from its runs' system samples
        self._board: Any = None  # the actor tasks poll for pauses and changes

    def start(self) -> None:
        """Connect (or start a private Ray), then warm one worker per CPU."""
        if not ray.is_initialized():  # else this process already talks to a cluster: use it
            self._owns_ray = True
            # "local": a new instance, even where a `ray start` cluster runs on this machine
            address = self.address or "local"
            cpus = (self.num_cpus or os.cpu_count()) if address == "local" else None
            with server_signals(), loopback_node() if address == "local" else nullcontext():
                ray.init(address=address, num_cpus=cpus, include_dashboard=False,
                         runtime_env=plugin_env() or None)  # fmt: skip
        resources = ray.cluster_resources()
        self._capacity = {"cpu": int(resources.get("CPU", 0)), "cuda": int(resources.get("GPU", 0))}
        here = ray.get_runtime_context().get_node_id()  # the server's node: it outlives workers
        self._board = (
            ray.remote(Board)
            .options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(here, True))
            .remote()
        )
        warm = ray.remote(warm_task).options(num_cpus=1)
        ray.get([warm.remote() for _ in range(self._capacity["cpu"])])

    def close(self) -> None:
        """Leave the cluster (and stop the private Ray this executor started)."""
        if self._owns_ray:
            ray.shutdown()

    def devices(self) -> list[Device]:
        """The cluster as two devices: its CPUs, and its GPUs when a node has one."""
        if self.health() == "ok":
            self._devices = cluster_devices([n for n in ray.nodes() if n["Alive"]])
        return self._devices

    def lanes(self) -> dict[str, int]:
        """A queue for CPU runs and one for GPU runs, as wide as the cluster was at start."""
        return dict(self._capacity)

    def lane(self, device: str) -> str:
        return device

    def resolve_device(self, requested: str, variant: str) -> str:
        """cpu or cuda: Ray picks the node, so a run names a kind, never cuda:N."""
        match = DEVICE_PATTERN.match(requested)
        if not match or match[1] == "mps" or (match[2] is not None):
            raise ConfigError(
                "device",
                f"'{requested}': under the Ray executor a run asks for auto, cpu or cuda, and "
                "Ray picks the node and GPU (use cuda, not cuda:N)",
            )
        kinds = registry.variant(variant).devices
        has_gpu = self._capacity["cuda"] > 0  # a GPU that joined later has no lane to run in
        if match[1] == "auto":
            free_gpu = has_gpu and self.health() == "ok" and free_gpus() >= 1
            return "cuda" if free_gpu and "cuda" in kinds else "cpu"
        if match[1] not in kinds:
            raise ConfigError("device", f"the {variant} variant runs only on the CPU")
        if match[1] == "cuda" and not has_gpu:
            raise ConfigError(
                "device",
                "the Ray cluster had no GPU when the server started (restart it to use one)",
            )
        return str(match[1])

    def execute(
        self, run_id: int, config: TrainConfig, stop: Stop, control: Control | None = None
    ) -> Iterator[Worker | Batch]:
        """Start the run's task and pass on what it yields; Ray's failures end the run, and a
        lost node or worker ends it `lost` (the manager may resume it elsewhere)."""
        if self.health() != "ok":
            yield Batch(ended=("failed", self.lost()))
            return
        resources = {"num_gpus": 1, "num_cpus": 0} if config.device == "cuda" else {"num_cpus": 1}
        task = ray.remote(train_task).options(num_returns="streaming", max_retries=0, **resources)
        # num_returns="streaming" makes .remote() give a generator of refs, not one ref
        started = task.remote(
            config.as_dict(), server.__version__, self.system_every_s,
            control_dict(control or Control()),
            self._board, run_id,
        )  # fmt: skip
        stream = cast(ray.ObjectRefGenerator, started)
        self._running[run_id] = stream
        if (early := stop()) and early not in KEEPING:  # stopped before it was there to cancel
            ray.cancel(stream)
        node, item = "?", None
        try:
            for ref in follow(stream, stop, lambda: self.health() == "ok"):
                item = ray.get(ref)
                node = item.node if isinstance(item, Worker) else node
                if isinstance(item, Batch):
                    self._nodes.note(run_id, node, item.samples)
                yield item
            if not isinstance(item, Batch) or item.ended is None:  # a cancelled task may stop so
                yield Batch(ended=(stopped, None) if (stopped := stop()) else SILENT_END)
        except RayError as exc:  # a cancelled task raises too, as one of several errors
            if (stopped := stop()) and stopped not in KEEPING:
                yield Batch(ended=(stopped, None))
                return
            why = f"Ray lost the run on node {node}: {type(exc).__name__}: {first_line(exc)}"
            # its own code failing is the run's failure; a worker or node gone is not
            yield Batch(ended=("failed" if isinstance(exc, RayTaskError) else "lost", why))
        except ClusterLost:
            yield Batch(ended=("failed", self.lost()))
        finally:
            self._running.pop(run_id, None)
            self._nodes.forget(run_id)
            if self._board is not None and self.health() == "ok":
                self._board.forget.remote(run_id)

    def signal(self, run_id: int, stop: str | None, changes: list[tuple[str, float]]) -> None:
        """Ask a running task to pause or stop at its next step, keeping its state, or to
        change hyperparameters there (it polls the board)."""
        if self._board is not None and self.health() == "ok":
            self._board.signal.remote(run_id, stop, changes)

    def cancel(self, run_id: int) -> None:
        """Cancel the run's task: Ray interrupts it wherever it is."""
        if (stream := self._running.get(run_id)) is not None and self.health() == "ok":
            ray.cancel(stream)

    def health(self) -> str:
        """ "ok" while the cluster's control store answers, else "unreachable"."""
        host, _, port = ray.get_runtime_context().gcs_address.rpartition(":")
        try:
            socket.create_connection((host, int(port)), HEALTH_TIMEOUT_S).close()
        except OSError:
            return "unreachable"
        return "ok"

    def lost(self) -> str:
        """Why a run could not go on: the cluster stopped answering."""
        address = ray.get_runtime_context().gcs_address
        return f"the Ray cluster at {address} does not answer (is its head node down?)"

    def cluster(self) -> dict[str, Any]:
        """The address, whether it answers, and every node with its CPUs and GPUs and their use."""
        reachable = self.health() == "ok"
        found = ray.nodes() if reachable else []
        nodes = [node_public(n) | self._nodes.of(n["NodeID"]) for n in found]
        address = ray.get_runtime_context().gcs_address
        return {"address": address, "reachable": reachable, "nodes": nodes}


class ClusterLost(Exception):
    """The Ray cluster stopped answering while a run waited on it."""


def follow(
    stream: ray.ObjectRefGenerator, stop: Stop, reachable: Callable[[], bool]
) -> Iterator[ray.ObjectRef]:
    """The stream's refs as they come. Once stopped, cancel again while it goes on (a cancel
    sent before the task started can be lost), and give up on it after CANCEL_GRACE_S; while
    nothing comes, raise ClusterLost once the cluster no longer answers."""
    stopped_at, quiet = None, 0
    while True:
        ready, _ = ray.wait([stream], timeout=POLL_S)
        if ready:
            quiet = 0
            try:
                yield next(stream)
            except StopIteration:
                return
        elif (quiet := quiet + 1) % LOST_CHECK_POLLS == 0 and not reachable():
            raise ClusterLost
        if (stopped := stop()) and stopped not in KEEPING:  # those the task ends itself
            stopped_at = stopped_at or time.monotonic()
            if time.monotonic() - stopped_at > CANCEL_GRACE_S:
                return
            ray.cancel(stream)


def cluster_devices(nodes: list[dict[str, Any]]) -> list[Device]:
    """The alive nodes as two devices: their CPUs, and their GPUs when a node has one."""
    cpus = sum(int(n["Resources"].get("CPU", 0)) for n in nodes)
    out = [Device("cpu", "cpu", f"{cpus} CPUs on {len(nodes)} Ray node(s)")]
    if gpus := sum(int(n["Resources"].get("GPU", 0)) for n in nodes):
        names = sorted({name for n in nodes for name in gpu_names(n)})
        kinds = f" ({', '.join(names)})" if names else ""
        out.append(Device("cuda", "cuda", f"{gpus} GPUs on the Ray cluster{kinds}"))
    return out


def free_gpus() -> float:
    """How many GPUs of the cluster no task holds now."""
    return float(ray.available_resources().get("GPU", 0))


def node_public(node: dict[str, Any]) -> dict[str, Any]:
    """One node of ray.nodes() as /api/system shows it."""
    resources = node["Resources"]
    return {
        "id": node["NodeID"],
        "host": node["NodeManagerHostname"],
        "alive": node["Alive"],
        "cpus": int(resources.get("CPU", 0)),
        "gpus": int(resources.get("GPU", 0)),
        "gpu_names": gpu_names(node),
    }


def gpu_names(node: dict[str, Any]) -> list[str]:
    """The node's GPU model, from its `accelerator_type:*` resource where Ray reports one."""
    return [re.sub("^accelerator_type:", "", key) for key in node["Resources"] if
            key.startswith("accelerator_type:")]  # fmt: skip
