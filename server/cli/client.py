"""The HTTP and websocket calls behind the `lossboard` client commands (docs/api.md's contract)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from websockets.exceptions import ConnectionClosedError, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from server.protocol import CloseCode

DEFAULT_URL = "http://127.0.0.1:8000"
CLOSE_MESSAGES: dict[int, str] = {
    CloseCode.UNAUTHORIZED: "a valid token is required (pass --token or set LOSSBOARD_TOKEN)"
}


class ApiError(Exception):
    """A request that failed; str() is the one line a person reads."""


class Client:
    """A lossboard server at `url`, with the token it needs (sent as a bearer header)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token or None
        self.headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.http = httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; turn a transport failure or a 4xx/5xx answer into ApiError."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(f"cannot reach the server at {self.url}: {reason(exc)}") from None
        if response.is_error:
            raise ApiError(error_message(response))
        return response

    def create_run(self, spec: dict) -> dict:
        return self.request("POST", "/api/runs", json=spec).json()

    def read_runs(self, **query: Any) -> dict:
        params = {k: v for k, v in query.items() if v is not None}
        return self.request("GET", "/api/runs", params=params).json()

    def read_run(self, run_id: int) -> dict:
        return self.request("GET", f"/api/runs/{run_id}").json()

    def cancel_run(self, run_id: int) -> dict:
        return self.request("POST", f"/api/runs/{run_id}/cancel").json()

    def export_run(self, run_id: int, format: str) -> bytes:
        return self.request("GET", f"/api/runs/{run_id}/export", params={"format": format}).content

    def read_variants(self) -> list[dict]:
        return self.request("GET", "/api/variants").json()

    def read_system(self) -> dict:
        return self.request("GET", "/api/system").json()

    def ws_url(self, path: str, **query: Any) -> str:
        """The websocket URL for `path`: ws(s) on the same host and prefix."""
        parts = urlsplit(self.url)
        scheme = {"https": "wss"}.get(parts.scheme, "ws")
        return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query), ""))

    def follow_run(self, run_id: int, after: int = -1) -> Iterator[dict]:
        """Every message of /ws/runs/{id} until the server closes it after the run ends."""
        url = self.ws_url(f"/ws/runs/{run_id}", after=after)
        try:
            with connect(
                url, additional_headers=self.headers, max_size=None, open_timeout=10
            ) as socket:
                for text in socket:
                    yield json.loads(text)
        except ConnectionClosedError as exc:
            raise ApiError(closed_message(exc, run_id)) from None
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise ApiError(f"cannot follow run {run_id} at {self.url}: {reason(exc)}") from None


def closed_message(exc: ConnectionClosedError, run_id: int) -> str:
    """Why the server closed the run's socket, from its close code."""
    code = exc.rcvd.code if exc.rcvd else None
    if code == CloseCode.UNKNOWN_RUN:
        return f"run {run_id} does not exist"
    if code in CLOSE_MESSAGES:
        return CLOSE_MESSAGES[code]
    why = f" ({code} {exc.rcvd.reason})".replace(" )", ")") if exc.rcvd and code else ""
    return (
        f"lost the connection to the server while following run {run_id}{why}; "
        f"once the server is back, `lossboard show {run_id}` says how the run ended"
    )


def error_message(response: httpx.Response) -> str:
    """One line from an error answer: the 422 fields and reasons, or the detail string."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        return "; ".join(field_error(e) for e in detail)
    if not isinstance(detail, str):
        detail = f"the server answered {response.status_code} {response.reason_phrase}".strip()
    if response.status_code == 401:
        detail += " (pass --token or set LOSSBOARD_TOKEN)"
    return detail


def field_error(error: dict) -> str:
    """'iterations: Input should be ...' from one of FastAPI's validation errors."""
    loc = [str(p) for p in error.get("loc", []) if p not in ("body", "query", "path")]
    field = ".".join(loc)
    return f"{field}: {error.get('msg', 'invalid')}" if field else str(error.get("msg"))


def reason(exc: BaseException) -> str:
    """A transport error's own words, or its class name when it has none."""
    return str(exc) or type(exc).__name__
