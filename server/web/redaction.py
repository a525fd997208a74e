"""Log lines without the token: uvicorn's access log prints each request's path and query, and
its error log each websocket's, so a ?token= would otherwise be kept."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, quote_plus, unquote_plus

LOGGERS = ("uvicorn.access", "uvicorn.error")
HIDDEN = "[redacted]"
QUERY = re.compile(r"\?([^\s\"'#]*)")  # a URL's query in a log line


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
        value = QUERY.sub(lambda query: "?" + self.redact_query(query[1]), value)
        for secret in self.secrets:
            value = value.replace(secret, HIDDEN)
        return value

    def redact_query(self, query: str) -> str:
        """A query with the value of any `token` key, right or wrong, hidden, and any value
        that decodes to the token: keys and values are read as the app reads them, decoded."""
        parts = []
        for part in query.split("&"):
            key, equals, given = part.partition("=")
            decoded = unquote_plus(given)
            hide = unquote_plus(key).strip().lower() == "token" or any(
                secret in decoded for secret in self.secrets
            )
            parts.append(f"{key}{equals}{HIDDEN}" if hide and equals else part)
        return "&".join(parts)

    def install(self) -> Redaction:
        """Filter uvicorn's loggers (the app's lifespan calls this once uvicorn set them up)."""
        for name in LOGGERS:
            logging.getLogger(name).addFilter(self)
        return self

    def uninstall(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeFilter(self)
