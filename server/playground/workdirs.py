"""The sandbox's working directory: named after the server's pid, so a later server can tell
the leftovers of one that died from the directory of one still running."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "lossboard-playground-"


def create() -> Path:
    """Remove dead servers' directories, then make this server's own."""
    remove_leftovers()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def remove_leftovers() -> list[Path]:
    """Remove each sandbox directory whose server process is gone; return them."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = owner(path)
        if pid is not None and not alive(pid) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def owner(path: Path) -> int | None:
    """The pid in a directory's name, None for a name without one."""
    pid, _, _ = path.name.removeprefix(PREFIX).partition("-")
    return int(pid) if pid.isdigit() else None


def alive(pid: int) -> bool:
    """Tell whether a process runs (one of another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
