"""Where runs train: the seam (base.py), the local lane threads (local.py) and Ray (ray_tasks.py),
and make_executor(), which picks one. Importing this package leaves Ray unimported."""

from __future__ import annotations

from pathlib import Path

from server.system.sampler import SystemSampler
from server.training.executors.base import Executor, Stop, Worker, this_worker
from server.training.executors.local import LocalExecutor
from server.training.executors.ray_auth import private_auth

__all__ = ["Executor", "LocalExecutor", "Stop", "Worker", "make_executor", "this_worker"]


def make_executor(
    kind: str,
    ray_address: str | None = None,
    workers_per_device: int = 1,
    data_dir: Path | None = None,
    sampler: SystemSampler | None = None,
) -> Executor:
    """The executor a server was asked for: `local`, or `ray` (imported only then). Runs record
    the sampler's samples: locally the server's own, under Ray each worker's at that interval."""
    if kind == "ray":
        if ray_address is None and data_dir is not None:  # a private Ray: before Ray loads
            private_auth(data_dir)
        # Inside the function: Ray is an optional extra, imported only when asked for.
        from server.training.executors.ray_tasks import RayExecutor

        every_s = sampler.every_s if sampler else 0
        return RayExecutor(ray_address, data_dir=data_dir, system_every_s=every_s)
    return LocalExecutor(workers_per_device=workers_per_device, sampler=sampler)
