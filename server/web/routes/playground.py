"""The tensor playground: evaluate a snippet of the tutorial's tensor code safely."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from server.playground.errors import PlaygroundError
from server.web.schemas import PlaygroundEval, PlaygroundResult

router = APIRouter()


@router.post("/api/playground/eval", response_model=PlaygroundResult)
def evaluate_snippet(body: PlaygroundEval, request: Request) -> dict[str, Any]:
    """Evaluate a snippet in the sandbox; a plain def, so it blocks a pool thread, not the loop."""
    metrics = request.app.state.metrics
    try:
        answer = request.app.state.playground.evaluate(body.code)
    except PlaygroundError as error:
        metrics.observe_eval(error.status_code)
        raise HTTPException(status_code=error.status_code, detail=error.detail) from None
    metrics.observe_eval(200)
    return answer
