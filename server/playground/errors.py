"""Errors of the playground: refusals inside the sandbox and answers to the caller."""

from __future__ import annotations

from typing import Any

MAX_MESSAGE = 2_000


class PlaygroundError(Exception):
    """A snippet the playground answers with an HTTP status and a detail instead of outputs."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail


class Refusal(Exception):
    """Raised inside the sandbox when a snippet is refused or fails at a place in its source."""

    def __init__(self, status: int, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.line = line
        self.col = col

    def to_answer(self) -> dict[str, Any]:
        """Return the wire form the parent turns into a PlaygroundError."""
        if self.status == 400:
            detail: Any = {"error": self.message, "line": self.line, "col": self.col}
        else:
            where = f"line {self.line}: " if self.line else ""
            detail = where + self.message
        return {"status": self.status, "detail": detail}


def classify(error: Exception) -> tuple[int, str]:
    """Map an exception from a snippet to a status and a message a person can act on."""
    text = str(error)
    if isinstance(error, MemoryError) or "can't allocate memory" in text or "bad_alloc" in text:
        return 422, "out of memory: the snippet needs more than the playground's memory limit"
    if isinstance(error, RecursionError):
        return 400, "the snippet is nested too deeply"
    message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return 400, message[:MAX_MESSAGE]
