"""Log lines without the token: uvicorn's access log prints each request's path and query, and
its error log each websocket's, so a ?token= would otherwise be kept."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, quote_plus

LOGGERS = ("uvicorn.access", "uvicorn.error")
HIDDEN = "[redacted]"
QUERY_TOKEN = re.compile(r"([?&]token=)[^&\s\"']*", re.IGNORECASE)  # right or wrong, any value


class Redaction(logging.Filter):
    """Rewrites each record's message and arguments; drops nothing."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        forms = [token, quote(token, safe=""), quote_plus(token)] if token else []
        self.secrets = sorted(set(forms), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.msg)
        # uvicorn's access formatter unpacks the arguments: keep their shape
        if isinstance(record.args, tuple):
            record.args = tuple(self.redact(arg) for arg in record.args)
        return True

    def redact(self, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = QUERY_TOKEN.sub(rf"\g<1>{HIDDEN}", value)
        for secret in self.secrets:
            value = value.replace(secret, HIDDEN)
        return value

    def install(self) -> Redaction:
        """Filter uvicorn's loggers (the app's lifespan calls this once uvicorn set them up)."""
        for name in LOGGERS:
            logging.getLogger(name).addFilter(self)
        return self

    def uninstall(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeFilter(self)
