"""The tensor playground: evaluate a snippet of the tutorial's tensor code safely."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from server.playground.errors import PlaygroundError

router = APIRouter()


class PlaygroundEval(BaseModel):
    """A snippet to evaluate, like one notebook cell."""

    code: str


class PlaygroundOutput(BaseModel):
    """One top-level expression's value: the snippet's `Out[n]`."""

    line: int
    source: str
    value: dict[str, Any]


class PlaygroundResult(BaseModel):
    """Every output of a snippet, what it printed, and how long it took."""

    outputs: list[PlaygroundOutput]
    stdout: str
    elapsed_ms: float


@router.post("/api/playground/eval", response_model=PlaygroundResult)
def evaluate_snippet(body: PlaygroundEval, request: Request) -> dict[str, Any]:
    """Evaluate a snippet in the sandbox; a plain def, so it blocks a pool thread, not the loop."""
    try:
        return request.app.state.playground.evaluate(body.code)
    except PlaygroundError as error:
        raise HTTPException(status_code=error.status_code, detail=error.detail) from None
