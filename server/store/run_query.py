"""The runs list's filters and orders as SQL: which runs match, and in what order they come."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# now, as SQLite reckons it, in seconds since the epoch (the runs' timestamps)
NOW_SQL = "((julianday('now') - 2440587.5) * 86400.0)"
# what each sort key orders by; a running run's duration counts up to now, a queued one has none
SORTS = {
    "id": "id",
    "created_at": "created_at",
    "status": "status",
    "variant": "variant",
    "device": "device",
    "best_loss": "best_loss",
    "duration": f"(COALESCE(finished_at, {NOW_SQL}) - started_at)",
    "learning_rate": "json_extract(config, '$.learning_rate')",
    "optimizer": "json_extract(config, '$.optimizer')",
    "iterations": "json_extract(config, '$.iterations')",
    "name": "name COLLATE NOCASE",
}
SORT_PATTERN = f"^-?({'|'.join(SORTS)})$"
ESCAPE = "\\"
# q's key:value terms (docs/api.md, "Searching runs"): a key names a column or a config field
SEARCH_COLUMNS = {
    "status": "status", "variant": "variant", "device": "device", "name": "name",
    "sweep": "sweep_id", "best_loss": "best_loss", "last_loss": "last_loss",
    "iteration": "iteration",
}  # fmt: skip
SEARCH_CONFIG = ("learning_rate", "optimizer", "iterations", "seed", "N", "D_in", "H", "D_out",
                 "points", "dtype")  # fmt: skip
SEARCH_ALIASES = {"lr": "learning_rate", "best": "best_loss", "loss": "last_loss"}
TERM = re.compile(r"^([A-Za-z_]+)(:|<=|>=|<|>)(.+)$")
# a word: in the name, the notes, the variant or any of the config's values
TEXT_SQL = (
    f"(name LIKE ? ESCAPE '{ESCAPE}' OR notes LIKE ? ESCAPE '{ESCAPE}' "
    f"OR variant LIKE ? ESCAPE '{ESCAPE}' OR EXISTS (SELECT 1 FROM json_each(runs.config) "
    f"WHERE CAST(json_each.value AS TEXT) LIKE ? ESCAPE '{ESCAPE}'))"
)


class SearchError(ValueError):
    """A term of `q` that names no key, or compares text with < or >."""


@dataclass(frozen=True)
class RunQuery:
    """Filters of the runs list (None: any) and its order: a SORTS key, `-` first to descend."""

    status: str | None = None
    variant: str | None = None
    sweep_id: int | None = None
    device: str | None = None
    tag: str | None = None
    rerun_of: int | None = None
    q: str | None = None
    sort: str = "-id"

    def where(self) -> tuple[str, list[object]]:
        """The WHERE clause ("" for every run) and its parameters."""
        terms: list[str] = []
        params: list[object] = []
        for col, value in (("status", self.status), ("variant", self.variant),
                           ("sweep_id", self.sweep_id), ("rerun_of", self.rerun_of)):  # fmt: skip
            if value is not None:
                terms.append(f"{col} = ?")
                params.append(value)
        if self.device is not None:
            terms.append(device_term(self.device, params))
        if self.tag is not None:
            terms.append("EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value = ?)")
            params.append(self.tag)
        for sql, values in search_terms(self.q or ""):
            terms.append(sql)
            params += values
        return (f"WHERE {' AND '.join(terms)}" if terms else ""), params

    def order(self) -> str:
        """The ORDER BY clause: runs without a value last either way, then by id."""
        key = self.sort.removeprefix("-")
        direction = "DESC" if self.sort.startswith("-") else "ASC"
        expr = SORTS[key]
        if key == "id":
            return f"ORDER BY id {direction}"
        return f"ORDER BY {expr} IS NULL, {expr} {direction}, id {direction}"


def device_term(device: str, params: list[object]) -> str:
    """A device id matches itself; a kind (`cuda`) matches each of its devices too."""
    params.append(device)
    if ":" in device:
        return "device = ?"
    params.append(f"{escape_like(device)}:%")
    return f"(device = ? OR device LIKE ? ESCAPE '{ESCAPE}')"


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern: its %, _ and escapes escaped."""
    for char in (ESCAPE, "%", "_"):
        text = text.replace(char, ESCAPE + char)
    return text


def search_terms(q: str) -> list[tuple[str, list[object]]]:
    """`q`'s words as SQL terms, all of which must hold; SearchError names a bad one."""
    return [search_term(word) for word in q.split()]


def search_term(word: str) -> tuple[str, list[object]]:
    """`variant:nn`, `lr<1e-5` or `tag:gpu` as a comparison; any other word as text."""
    match = TERM.match(word)
    if match is None:
        return TEXT_SQL, [f"%{escape_like(word)}%"] * 4
    key, op, value = match.groups()
    if key == "tag" and op == ":":
        return "EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value = ?)", [value]
    expr, number = search_column(key, word), as_number(value)
    if op == ":":
        return f"{expr} = ? COLLATE NOCASE", [value if number is None else number]
    if number is None:
        raise SearchError(f"'{word}': {op} compares numbers, and {value!r} is not one")
    return f"{expr} {op} ?", [number]


def search_column(key: str, word: str) -> str:
    """The SQL a search key reads: a column, or a config field."""
    key = SEARCH_ALIASES.get(key, key)
    if key in SEARCH_COLUMNS:
        return SEARCH_COLUMNS[key]
    if key in SEARCH_CONFIG:
        return f"json_extract(config, '$.{key}')"
    keys = ", ".join([*SEARCH_COLUMNS, *SEARCH_CONFIG, *SEARCH_ALIASES, "tag"])
    raise SearchError(f"'{word}': no key {key!r}; the keys are {keys}")


def as_number(text: str) -> float | None:
    """`text` as a finite number, else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
