"""The errors lossboard raises: all are LossboardError, whose text is the one line to read."""

from __future__ import annotations


class LossboardError(Exception):
    """init() could not start the run, or a call was used wrongly; str() says why."""


class Unreachable(LossboardError):
    """No answer from the server (refused, reset, timed out): worth trying again later."""


class Refused(LossboardError):
    """The server answered with an error status; `status` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
