"""Gate: at most `limit` of a group's runs (a sweep's) in their lane's queue or training at
once; the others wait behind it, in order, still `queued`."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # run.py imports this module to give each run its gate
    from server.training.run import Run


class Gate:
    """Holds a group's runs back so that at most `limit` of them are past it at a time."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._passed: set[Run] = set()
        self._waiting: deque[Run] = deque()

    def admit(self, runs: list[Run]) -> list[Run]:
        """Take new runs: those that may go to their lane's queue now (the rest wait here)."""
        self._waiting.extend(runs)
        return self._release()

    def leave(self, run: Run) -> list[Run]:
        """A run of the group ended: the waiting runs that may go in its place."""
        self._passed.discard(run)
        return self._release()

    def _release(self) -> list[Run]:
        out = []
        while self._waiting and len(self._passed) < self.limit:
            run = self._waiting.popleft()
            if run.stop is None:  # a run stopped while it waited has already ended
                self._passed.add(run)
                out.append(run)
        return out
