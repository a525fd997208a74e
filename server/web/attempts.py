"""Failed token attempts per client address: past a few a minute, the address waits.

A token of 16 random characters is out of reach of guessing, but a short or weak one is not,
and every wrong guess costs a request's work. Only a presented, wrong token counts (a bearer
or a ?token= login); a browser without its cookie is not guessing.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_ADDRESSES = 10_000  # addresses remembered at once; past it the one seen longest ago goes


class Attempts:
    """At most `limit` failures per address in any `window_s` seconds."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until `address` may try again, or None when it may now."""
        with self._lock:
            failures = self._recent(address, time.monotonic())
            if failures is None or len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window_s - time.monotonic()))

    def failed(self, address: str) -> None:
        """Count a wrong token from `address`."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if failures is None:
                if len(self._failures) >= MAX_ADDRESSES:
                    del self._failures[next(iter(self._failures))]
                failures = self._failures[address] = deque(maxlen=self.limit)
            failures.append(now)

    def _recent(self, address: str, now: float) -> deque[float] | None:
        """The address's failures within the window (called with the lock held)."""
        failures = self._failures.get(address)
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures
