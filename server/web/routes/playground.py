"""The tensor playground: evaluate a snippet of the tutorial's tensor code safely."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from server.web.deps import RequireSameOrigin
from server.web.errors import BAD_BODY, ORIGIN_REFUSAL, ErrorPublic, ValidationErrorPublic, refusals
from server.web.schemas import PlaygroundEval, PlaygroundResult, SnippetRefusal

# what runs code: not from other sites (the token is checked before, by server.web.auth)
router = APIRouter(
    tags=["playground"], dependencies=[RequireSameOrigin], responses=refusals(ORIGIN_REFUSAL)
)


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
    answer = request.app.state.playground.evaluate(body.code)  # a refusal: errors.py answers
    request.app.state.metrics.observe_eval(200)
    return answer
