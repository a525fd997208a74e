"""Browser logins: each a random id that the server keeps, with an expiry, until /logout.

Only a SHA-256 of each id is kept, so a lookup's timing says nothing about a live id, and
nothing in the server's memory can be replayed as a cookie. Sessions live in this process: a
restart, and so a change of token, ends every one of them.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

MAX_SESSIONS = 10_000  # logins kept at once; past it the oldest ends


def digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class Sessions:
    """The live logins: hashed ids and when each ends."""

    def __init__(self, max_age_s: float, limit: int = MAX_SESSIONS) -> None:
        self.max_age_s, self.limit = max_age_s, limit
        self._ends: dict[bytes, float] = {}  # in the order they started
        self._lock = threading.Lock()

    def start(self) -> str:
        """A new session's id, good for `max_age_s`."""
        session_id, now = secrets.token_urlsafe(32), time.time()
        with self._lock:
            self._prune(now)
            self._ends[digest(session_id)] = now + self.max_age_s
        return session_id

    def valid(self, session_id: str) -> bool:
        """True while the session is live: started here, not expired, not ended."""
        ends = self._ends.get(digest(session_id)) if session_id else None
        return ends is not None and ends > time.time()

    def end(self, session_id: str) -> None:
        """Log this session out."""
        with self._lock:
            self._ends.pop(digest(session_id), None)

    def _prune(self, now: float) -> None:
        """Drop expired sessions, then the oldest while there are `limit`."""
        for key in [key for key, ends in self._ends.items() if ends <= now]:
            del self._ends[key]
        while len(self._ends) >= self.limit:
            del self._ends[next(iter(self._ends))]
