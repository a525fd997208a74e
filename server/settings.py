"""Settings: command-line flags, then LOSSBOARD_* environment variables, then defaults."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.protocol import MAX_INTEGER

MIN_TOKEN_LENGTH = 16
MAKE_TOKEN = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class Settings(BaseSettings):
    """Everything the server is configured by; build one per app, never at import time."""

    model_config = SettingsConfigDict(env_prefix="LOSSBOARD_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("data")
    token: str | None = Field(
        None, description="needed by every route but /healthz and /static/ (at least 16 characters)"
    )
    token_file: Path | None = Field(
        None, description="a file whose first line is the token (kept out of `ps`); wins over token"
    )
    max_token_failures: int = Field(
        10, ge=1, description="wrong tokens a client address may send a minute; then 429"
    )
    session_max_age_s: int = Field(
        7 * 24 * 3600, ge=60, description="how long a browser's login lasts, in seconds"
    )
    insecure: bool = False
    workers_per_device: int = Field(1, ge=1, le=64)
    executor: Literal["local", "ray"] = Field("local", description="where runs train")
    ray_address: str | None = Field(
        None, description="unset: a private local Ray; auto; a GCS host:port; or ray://host:port"
    )
    max_header_bytes: int = Field(
        64 * 2**10, ge=1024, description="cap on a request's line and headers, checked as read"
    )
    head_timeout_s: float = Field(
        10.0, gt=0, le=3600, description="time a client has to send a request's line and headers"
    )
    max_connections: int = Field(
        1000, ge=1, description="open connections, websockets included; past it, 503"
    )
    max_body_bytes: int = Field(2**20, ge=1, description="cap on a request's body, checked as read")
    max_run_bytes: int = Field(2**30, ge=1, description="cap on the memory of one run's tensors")
    max_iterations: int = Field(10_000_000, ge=1, le=MAX_INTEGER, description="cap on one run")
    max_queued: int = Field(1000, ge=1, description="runs that may wait in the queue at once")
    max_exports: int = Field(4, ge=1, description="downloads of runs' losses served at once")
    max_loss_pages: int = Field(
        1, ge=1, description="pieces of /losses pages read and written at once; more wait"
    )
    max_subscribers: int = Field(
        256, ge=1, description="websockets following runs at once; past it, close code 1013"
    )
    export_send_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="a download whose client takes nothing this long ends"
    )
    max_sweep_runs: int = Field(500, ge=1, description="runs of one sweep at most")
    sdk_timeout_s: float = Field(
        60.0, gt=0, le=86_400, description="a script's run with no word for this long: interrupted"
    )
    system_every_s: float = Field(
        2.0, ge=0, le=3600, description="seconds between system samples (CPU, memory, GPU); 0: off"
    )
    checkpoint_every_s: float = Field(
        30.0,
        ge=0,
        le=86_400,
        description="seconds between a run's checkpoints; 0: off (a pause "
        "and a graceful stop still checkpoint)",
    )
    resume: Literal["auto", "off"] = Field(
        "auto", description="auto: resume at start the runs the stopped server left going"
    )
    playground_workers: int = Field(2, ge=1, le=32)
    playground_timeout_s: float = Field(5.0, gt=0, le=120)
    playground_memory_bytes: int = Field(2 * 2**30, ge=256 * 2**20)
    playground_prestart: bool = Field(True, description="warm the sandbox at start, not on use")
    log_level: str = "info"
    variants: str | None = Field(
        None, description="modules or .py files that declare variants, comma-separated"
    )
    allowed_hosts: list[str] | None = Field(
        None, description="Host headers to answer; default: loopback names on a loopback bind"
    )

    @model_validator(mode="before")
    @classmethod
    def _token_from_file(cls, data: Any) -> Any:
        """Read the token from token_file, when one is given."""
        if isinstance(data, dict) and data.get("token_file"):
            data = {**data, "token": read_token_file(Path(data["token_file"]))}
        return data

    @field_validator("token")
    @classmethod
    def _token_is_long_or_none(cls, value: str | None) -> str | None:
        """Empty means none; a short token is refused, since it would be guessed."""
        value = (value or "").strip()  # an .env line's stray space is not part of the token
        if value and len(value) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"the token must be at least {MIN_TOKEN_LENGTH} characters (it has {len(value)}); "
                f"make one with: {MAKE_TOKEN}"
            )
        if value and len(set(value)) == 1:
            raise ValueError(
                f"the token is one character repeated, which is guessed at once; make one "
                f"with: {MAKE_TOKEN}"
            )
        return value or None

    def trusted_hosts(self) -> list[str] | None:
        """The Host names to answer: set; or loopback names when bound to loopback; or, with
        no token to stop a page that rebinds its DNS name to us, this machine's own names."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if is_loopback(self.host):
            return list(LOOPBACK_NAMES)
        return None if self.token else [*LOOPBACK_NAMES, *machine_names(self.host)]

    def exposure_problem(self) -> str | None:
        """Why serving with these settings would be unsafe, or None."""
        if is_loopback(self.host) or self.token or self.insecure:
            return None
        return (
            f"refusing to serve on {self.host} without a token: anyone who can reach the port "
            "could start jobs on this machine (as with Ray's dashboard, CVE-2023-48022). "
            "Pass --token T (or set LOSSBOARD_TOKEN), or --insecure if you really mean it."
        )


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def read_token_file(path: Path) -> str:
    """The first line of a token file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"cannot read the token file {path}: {exc}") from None
    return text.splitlines()[0] if text.strip() else ""


def machine_names(host: str) -> list[str]:
    """The names and IPv4 addresses this machine is reached by, and the address it binds."""
    names = {socket.gethostname(), socket.getfqdn()}
    with contextlib.suppress(OSError):
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        names |= {str(info[4][0]) for info in infos}
    if host not in ("0.0.0.0", "::", ""):
        names.add(host)
    return sorted(names)


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
