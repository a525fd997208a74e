"""Runs' checkpoints on disk, beside the database: `checkpoints/<run id>/<step>.pt`, each what
the loop's state() gave at the yield of that step, and `model-<step>.pt`, a finished run's model.

Each file is written atomically (a temporary file, fsync, rename, fsync of the directory), so a
kill at any moment leaves the previous checkpoint whole; only the last two of a run are kept.
The files are what `torch.save` writes, loadable with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch

KEEP = 2  # checkpoints of a run kept on disk: a kill while writing the next leaves the last
NAME = re.compile(r"^(model-)?(\d+)\.pt$")
log = logging.getLogger("lossboard.checkpoints")
Save = Callable[[IO[bytes]], None]  # writes a checkpoint's bytes to an open file


@dataclass(frozen=True)
class Written:
    """A checkpoint on disk: its step, size and how long writing it took."""

    step: int
    bytes: int
    seconds: float
    at: float  # when it was written (Unix time)

    def public(self) -> dict[str, Any]:
        return {"step": self.step, "bytes": self.bytes, "seconds": self.seconds, "at": self.at}


class Checkpoints:
    """The checkpoint files of every run, under `<data_dir>/checkpoints`."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "checkpoints"

    def folder(self, run_id: int) -> Path:
        return self.root / str(run_id)

    def write(self, run_id: int, step: int, save: Save, model: bool = False) -> Written:
        """Write a checkpoint (or a finished run's model) at `step` atomically; then keep only
        the last KEEP checkpoints. OSError (a full disk) leaves the earlier ones as they were."""
        folder = self.folder(run_id)
        for path in (self.root, folder):
            if not path.exists():
                path.mkdir(mode=0o700, exist_ok=True)
        name = f"model-{step}.pt" if model else f"{step}.pt"
        final, partial = folder / name, folder / f".{name}.partial"
        started = time.perf_counter()
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                save(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
            sync_folder(folder)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        written = Written(step, final.stat().st_size, time.perf_counter() - started, time.time())
        for old in self.steps(run_id)[:-KEEP] if not model else ():
            (folder / f"{old}.pt").unlink(missing_ok=True)
        return written

    def steps(self, run_id: int) -> list[int]:
        """The steps of a run's checkpoints on disk, in order."""
        return sorted(step for step, model in self._files(run_id) if not model)

    def latest(self, run_id: int, at_most: int | None = None) -> int | None:
        """The step of the run's last checkpoint (at or before `at_most`), or None."""
        steps = [s for s in self.steps(run_id) if at_most is None or s <= at_most]
        return steps[-1] if steps else None

    def load(self, run_id: int, step: int) -> dict[str, Any]:
        """A checkpoint's state, as torch.load(weights_only=True) reads it."""
        return torch.load(self.folder(run_id) / f"{step}.pt", weights_only=True)

    def model(self, run_id: int) -> tuple[int, Path] | None:
        """A finished run's model file and the step whose loss it gave, or None."""
        found = [step for step, model in self._files(run_id) if model]
        return (max(found), self.folder(run_id) / f"model-{max(found)}.pt") if found else None

    def drop_after(self, run_id: int, step: int, keep_model: bool = False) -> None:
        """Forget the checkpoints past `step` and, unless `keep_model`, the model (a resumed
        run computes them again)."""
        for found, model in self._files(run_id):
            if (model and not keep_model) or (not model and found > step):
                name = f"model-{found}.pt" if model else f"{found}.pt"
                (self.folder(run_id) / name).unlink(missing_ok=True)

    def delete(self, run_id: int) -> None:
        """Delete every file of a run (a deleted run)."""
        shutil.rmtree(self.folder(run_id), ignore_errors=True)

    def _files(self, run_id: int) -> list[tuple[int, bool]]:
        try:
            names = os.listdir(self.folder(run_id))
        except FileNotFoundError:
            return []
        return [(int(m[2]), bool(m[1])) for name in names if (m := NAME.match(name))]


def sync_folder(folder: Path) -> None:
    """fsync a directory, so a rename in it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
