"""The refusals the engine raises, each carrying the HTTP status the API answers it with (as
MLflow's exceptions do), so that no route catches an error to re-raise it by hand. Light: it
imports nothing, and the engine raises these without knowing about FastAPI."""

from __future__ import annotations

from typing import ClassVar


class Refused(Exception):
    """A request refused with `status` and this message as its detail."""

    status: ClassVar[int] = 400


class NotFound(Refused):
    """No such run or sweep."""

    status = 404

    def __init__(self, kind: str, item_id: int) -> None:
        super().__init__(f"{kind} {item_id} does not exist")


class Conflict(Refused):
    """A request that the state of what it names forbids (deleting a run that is going)."""

    status = 409


class TooMany(Refused):
    """A limit on how much the server holds at once is reached; try again later."""

    status = 429
