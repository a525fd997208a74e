"""POST /api/runs: a size over the cap is refused in the same 422 as the body's other errors.

FastAPI validates the body before the handler, which checks the caps, so a run with a wrong
learning rate and N a thousand times too big heard only of the learning rate; a form showed
one error, then the next. Here the cap is judged even when other fields are wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from server.training import registry
from server.training.caps import Caps
from server.training.spec import ConfigError, RunSpec

SIZES = tuple(registry.KNOB_DEFAULTS)  # every variant's sizes: the network's, a fit's points


def lenient_spec(body: dict) -> RunSpec | None:
    """A spec of the body's sizes, its variant and dtype when they are valid, else float32 (the
    smallest a run takes, so a cap is never claimed wrongly); None when a size is invalid."""
    sizes = {k: body[k] for k in SIZES if k in body}
    given = {k: body[k] for k in ("variant", "dtype") if k in body}
    smallest = {"variant": registry.variants()[0].id, "dtype": "float32"}
    for others in (given, smallest):
        try:
            return RunSpec.model_validate({**sizes, **others})
        except ValidationError:
            continue
    return None


def size_error(body: object, caps: Caps) -> dict[str, Any] | None:
    """The cap's refusal of the body's sizes as a 422 error, or None when they fit (or are
    invalid, which the body's own errors say)."""
    spec = lenient_spec(body) if isinstance(body, dict) else None
    if spec is None:
        return None
    try:
        caps.check_size(spec)
    except ConfigError as exc:
        return {"type": "value_error", "loc": ("body", exc.field), "msg": exc.message}
    return None


class SizeCheckedRoute(APIRoute):
    """A route whose 422 for an invalid run body also names a size over the cap."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                error = size_error(exc.body, request.app.state.manager.caps)
                if error is None:
                    raise
                raise RequestValidationError([*exc.errors(), error], body=exc.body) from None

        return checked
