"""The HTTP and websocket calls behind the `lossboard` client commands (docs/api.md's contract)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from websockets.exceptions import ConnectionClosedError, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from server.protocol import CloseCode

DEFAULT_URL = "http://127.0.0.1:8000"
RUNS_PAGE = 1000  # the most GET /api/runs answers at once
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

    def pause_run(self, run_id: int) -> dict:
        return self.request("POST", f"/api/runs/{run_id}/pause").json()

    def resume_run(self, run_id: int) -> dict:
        return self.request("POST", f"/api/runs/{run_id}/resume").json()

    def step_run(self, run_id: int, n: int) -> dict:
        return self.request("POST", f"/api/runs/{run_id}/step", json={"n": n}).json()

    def change_hyper(self, run_id: int, changes: dict) -> dict:
        return self.request("PATCH", f"/api/runs/{run_id}/hyper", json=changes).json()

    def download_model(self, run_id: int, out: BinaryIO) -> int:
        """Write a run's trained model (torch.save's file) to `out`, as it streams in; the
        step whose loss those weights gave."""
        try:
            with self.http.stream("GET", f"/api/runs/{run_id}/model") as response:
                if response.is_error:
                    response.read()
                    raise ApiError(error_message(response))
                for chunk in response.iter_bytes():
                    out.write(chunk)
        except httpx.TransportError as exc:
            raise ApiError(f"cannot reach the server at {self.url}: {reason(exc)}") from None
        return int(response.headers["X-Lossboard-Step"])

    def export(self, kind: str, item_id: int, format: str) -> bytes:
        """A run's or a sweep's export (kind "run" or "sweep"), whole; a run as `tensorboard`
        is the many-runs export of that one run (a zipped logdir)."""
        if kind == "run" and format == "tensorboard":
            params = {"ids": str(item_id), "format": format}
            return self.request("GET", "/api/runs/export", params=params).content
        path = f"/api/{kind}s/{item_id}/export"
        return self.request("GET", path, params={"format": format}).content

    def cancel_sweep(self, sweep_id: int) -> dict:
        return self.request("POST", f"/api/sweeps/{sweep_id}/cancel").json()

    def delete_run(self, run_id: int) -> None:
        self.request("DELETE", f"/api/runs/{run_id}")

    def rerun_run(self, run_id: int, changes: dict) -> dict:
        return self.request("POST", f"/api/runs/{run_id}/rerun", json=changes).json()

    def edit_run(self, run_id: int, changes: dict) -> dict:
        return self.request("PATCH", f"/api/runs/{run_id}", json=changes).json()

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
        return self.messages(url, Watched("run", run_id, "show"))

    def create_sweep(self, spec: dict) -> dict:
        return self.request("POST", "/api/sweeps", json=spec).json()

    def read_sweeps(self, **query: Any) -> dict:
        params = {k: v for k, v in query.items() if v is not None}
        return self.request("GET", "/api/sweeps", params=params).json()

    def read_sweep(self, sweep_id: int) -> dict:
        return self.request("GET", f"/api/sweeps/{sweep_id}").json()

    def read_sweep_runs(self, sweep_id: int) -> list[dict]:
        """Every run of a sweep, a page of RUNS_PAGE at a time."""
        runs: list[dict] = []
        while True:
            page = self.read_runs(sweep_id=sweep_id, offset=len(runs), limit=RUNS_PAGE)
            runs += page["runs"]
            if not page["runs"] or len(runs) >= page["total"]:
                return runs

    def follow_sweep(self, sweep_id: int) -> Iterator[dict]:
        """Every message of /ws/sweeps/{id} until the server closes it after the sweep ends."""
        url = self.ws_url(f"/ws/sweeps/{sweep_id}")
        return self.messages(url, Watched("sweep", sweep_id, "sweep-show"))

    def messages(self, url: str, watched: Watched) -> Iterator[dict]:
        """A websocket's JSON messages (the token in its handshake's header); a failure or an
        early close becomes ApiError."""
        try:
            with connect(
                url, additional_headers=self.headers, max_size=None, open_timeout=10
            ) as ws:
                for text in ws:
                    yield json.loads(text)
        except ConnectionClosedError as exc:
            raise ApiError(closed_message(exc, watched)) from None
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise ApiError(f"cannot follow {watched} at {self.url}: {reason(exc)}") from None


class Watched(NamedTuple):
    """What a websocket follows (a run or a sweep), for the messages about it."""

    kind: str
    id: int
    show: str  # the subcommand that tells how it ended

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


def closed_message(exc: ConnectionClosedError, watched: Watched) -> str:
    """Why the server closed the socket, from its close code."""
    code = exc.rcvd.code if exc.rcvd else None
    if code == CloseCode.UNKNOWN_RUN:
        return f"{watched} does not exist"
    if code in CLOSE_MESSAGES:
        return CLOSE_MESSAGES[code]
    why = f" ({code} {exc.rcvd.reason})".replace(" )", ")") if exc.rcvd and code else ""
    return (
        f"lost the connection to the server while following {watched}{why}; once the server "
        f"is back, `lossboard {watched.show} {watched.id}` says how the {watched.kind} ended"
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
