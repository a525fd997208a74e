"""The tensor playground: evaluate a snippet of the tutorial's tensor code safely."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from server.playground.errors import PlaygroundError
from server.web.errors import BAD_BODY, ErrorPublic, ValidationErrorPublic, refusals
from server.web.schemas import PlaygroundEval, PlaygroundResult, SnippetRefusal

router = APIRouter()


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": SnippetRefusal, "description": f"{BAD_BODY}, or a snippet refused or raising"},
    **refusals({408: "the time limit", 413: "code over 20,000 bytes of UTF-8"}),
    422: {
        "model": ValidationErrorPublic | ErrorPublic,
        "description": "an invalid body, or a value over a size cap or the memory limit",
    },
    **refusals({429: "every evaluator is busy", 503: "the sandbox is starting or restarting"}),
}


@router.post("/api/playground/eval", response_model=PlaygroundResult, responses=REFUSALS)
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
