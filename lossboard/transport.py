"""The ingest protocol's HTTP calls (docs/api.md), on one keep-alive connection.

Plain http.client, not httpx: it imports in a few milliseconds (httpx and its command line
take ~40 ms) and a request costs a fraction of httpx's CPU, which the training loop shares.
"""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit

import orjson

from lossboard.errors import Refused, Unreachable

TOKEN_HINT = "pass token= to lossboard.init or set LOSSBOARD_TOKEN"


class Transport:
    """A lossboard server at `url`, reached with `token`; not thread-safe (one connection)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(0, f"{url!r} is not an http(s) URL of a lossboard server")
        self.url = url.rstrip("/")
        self.prefix = parts.path
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self.conn = kind(parts.hostname, parts.port, timeout=timeout)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: bytes | dict[str, Any]) -> Any:
        """POST `body` (bytes sent as they are) and return the decoded answer."""
        # a config's paths, devices and the like go as their text, as W&B's do
        data = body if isinstance(body, bytes) else orjson.dumps(body, default=str)
        try:
            self.conn.request("POST", self.prefix + path, data, self.headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()  # the next request opens a fresh connection
            raise Unreachable(f"cannot reach the server at {self.url}: {reason(exc)}") from None
        if response.status >= 400:
            raise Refused(response.status, self.error_text(response.status, payload, path))
        return orjson.loads(payload)

    def error_text(self, status: int, payload: bytes, path: str) -> str:
        """One line from an error answer: the server's detail, or what the status means."""
        detail = detail_text(payload)
        if status == 401 and "Authorization" not in self.headers:
            return f"the server at {self.url} needs a token ({detail}): {TOKEN_HINT}"
        if status == 401:
            return f"the server at {self.url} refused the token ({detail}): {TOKEN_HINT}"
        if status == 404 and path == "/api/ingest/runs":
            return f"{self.url} does not look like a lossboard server (404 on POST {path})"
        return f"the server at {self.url} answered {status}: {detail}"

    def create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("/api/ingest/runs", body))

    def send_points(self, run_id: int, batch: bytes) -> dict[str, Any]:
        return dict(self.post(f"/api/ingest/runs/{run_id}/points", batch))

    def finish_run(self, run_id: int, status: str, error: str | None) -> dict[str, Any]:
        body = {"status": status, "error": error}
        return dict(self.post(f"/api/ingest/runs/{run_id}/finish", body))

    def close(self) -> None:
        self.conn.close()


def detail_text(payload: bytes) -> str:
    """The `detail` of a FastAPI error answer, 422 field errors joined on one line."""
    try:
        detail = orjson.loads(payload).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        return payload[:200].decode("utf-8", "replace") or "no reason given"
    if isinstance(detail, list):
        return "; ".join(field_error(e) for e in detail if isinstance(e, dict))
    return str(detail)


def field_error(error: dict[str, Any]) -> str:
    """'config: too big' from one of FastAPI's validation errors."""
    loc = [str(p) for p in error.get("loc", []) if p not in ("body", "query", "path")]
    return f"{'.'.join(loc)}: {error.get('msg', 'invalid')}" if loc else str(error.get("msg"))


def reason(exc: BaseException) -> str:
    """A transport error's own words, or its class name when it has none."""
    return str(exc) or type(exc).__name__
