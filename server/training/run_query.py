"""The runs list's filters and orders as SQL: which runs match, and in what order they come."""

from __future__ import annotations

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
        if self.q:
            terms.append(f"(name LIKE ? ESCAPE '{ESCAPE}' OR notes LIKE ? ESCAPE '{ESCAPE}')")
            params += [f"%{escape_like(self.q)}%"] * 2
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
