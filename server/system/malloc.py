"""Keep glibc's malloc from holding the memory of finished runs.

glibc gives each thread that contends for the heap an arena of its own, up to eight per CPU,
and keeps what a thread frees in that thread's arena. A server whose worker threads come and
go (the request pool's idle out) gathered a new arena every run or two, each keeping a few MB
of the run's freed buffers: about 2 MB of RSS a run (bench/soak.py). Two arenas, and a trim
once a run's memory is let go, keep it flat. Elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
import time
from functools import cache

M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h
ARENAS = 2  # what MALLOC_ARENA_MAX=2 gives: the flat soak was measured with it
TRIM_EVERY_S = 1.0  # a burst of short runs trims once a second, not once a run


@cache
def glibc() -> ctypes.CDLL | None:
    """The C library, when it is glibc (whose mallopt and malloc_trim this uses)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - a glibc system always has it
        return None


def cap_arenas(arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas from now on (called at start, before threads make
    more), unless MALLOC_ARENA_MAX already set the cap; whether this set it."""
    libc = glibc()
    if libc is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


class Trimmer:
    """Hands the free pages of every arena back to the system, at most once per `every_s`."""

    def __init__(self, every_s: float = TRIM_EVERY_S) -> None:
        self.every_s = every_s
        self.trims = 0
        self._last = -every_s
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        """Trim now unless one did within `every_s`; whether it trimmed."""
        libc = glibc()
        with self._lock:
            now = time.monotonic()
            if libc is None or now - self._last < self.every_s:
                return False
            self._last = now
            self.trims += 1
        libc.malloc_trim(0)
        return True
