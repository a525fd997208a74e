"""Settings: command-line flags, then LOSSBOARD_* environment variables, then defaults."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.protocol import MAX_INTEGER

MIN_TOKEN_LENGTH = 16


class Settings(BaseSettings):
    """Everything the server is configured by; build one per app, never at import time."""

    model_config = SettingsConfigDict(env_prefix="LOSSBOARD_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("data")
    token: str | None = Field(
        None, description="needed by every route but /healthz and /static/ (at least 16 characters)"
    )
    insecure: bool = False
    workers_per_device: int = Field(1, ge=1, le=64)
    executor: Literal["local", "ray"] = Field("local", description="where runs train")
    ray_address: str | None = Field(
        None, description="unset: a private local Ray; auto; a GCS host:port; or ray://host:port"
    )
    max_body_bytes: int = Field(2**20, ge=1, description="cap on a request's body, checked as read")
    max_run_bytes: int = Field(2**30, ge=1, description="cap on the memory of one run's tensors")
    max_iterations: int = Field(10_000_000, ge=1, le=MAX_INTEGER, description="cap on one run")
    max_queued: int = Field(1000, ge=1, description="runs that may wait in the queue at once")
    max_exports: int = Field(4, ge=1, description="downloads of runs' losses served at once")
    max_sweep_runs: int = Field(500, ge=1, description="runs of one sweep at most")
    sdk_timeout_s: float = Field(
        60.0, gt=0, le=86_400, description="a script's run with no word for this long: interrupted"
    )
    system_every_s: float = Field(
        2.0, ge=0, le=3600, description="seconds between system samples (CPU, memory, GPU); 0: off"
    )
    playground_workers: int = Field(2, ge=1, le=32)
    playground_timeout_s: float = Field(5.0, gt=0, le=120)
    playground_memory_bytes: int = Field(2 * 2**30, ge=256 * 2**20)
    playground_prestart: bool = Field(True, description="warm the sandbox at start, not on use")
    log_level: str = "info"
    allowed_hosts: list[str] | None = Field(
        None, description="Host headers to answer; default: loopback names on a loopback bind"
    )

    @field_validator("token")
    @classmethod
    def _token_is_long_or_none(cls, value: str | None) -> str | None:
        """Empty means none; a short token is refused, since it would be guessed."""
        value = (value or "").strip()  # an .env line's stray space is not part of the token
        if value and len(value) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"the token must be at least {MIN_TOKEN_LENGTH} characters (it has {len(value)}); "
                "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value or None

    def trusted_hosts(self) -> list[str] | None:
        """The Host names to answer: set, or loopback names when bound to loopback."""
        if self.allowed_hosts:
            return self.allowed_hosts
        return list(LOOPBACK_NAMES) if is_loopback(self.host) else None

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


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
