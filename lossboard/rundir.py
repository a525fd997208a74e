"""A run on disk: run.json (what init was given, how it ended) and batches.bin (its batches).

The same directory serves offline mode (every batch) and the online spool (the batches the
server has not acknowledged yet); `lossboard sync DIR` sends either. A batch is a record:
4-byte length, 8-byte seq, 4-byte point count, then the body exactly as it is POSTed.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson

HEADER = struct.Struct("<IQI")  # body length, seq, points
META = "run.json"
BATCHES = "batches.bin"


class RunDir:
    """A run's directory; `write` appends a batch, `read_next` reads them back in order."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.read_at = 0  # offset of the next batch read_next returns

    @property
    def batches(self) -> Path:
        return self.path / BATCHES

    def create(self, meta: dict[str, Any]) -> RunDir:
        self.path.mkdir(parents=True, exist_ok=True)
        self.save_meta(meta)
        self.batches.touch()
        return self

    def meta(self) -> dict[str, Any]:
        return dict(orjson.loads((self.path / META).read_bytes()))

    def save_meta(self, meta: dict[str, Any]) -> None:
        """Replace run.json whole (written aside, then renamed: never half a file)."""
        tmp = self.path / (META + ".tmp")
        tmp.write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        os.replace(tmp, self.path / META)

    def update_meta(self, **fields: Any) -> None:
        self.save_meta(self.meta() | fields)

    def write(self, seq: int, body: bytes, points: int) -> None:
        with self.batches.open("ab") as f:
            f.write(HEADER.pack(len(body), seq, points) + body)

    def read_next(self) -> Batch | None:
        """The batch after the last one read, or None when none is left."""
        with self.batches.open("rb") as f:
            f.seek(self.read_at)
            head = f.read(HEADER.size)
            if len(head) < HEADER.size:
                return None
            size, seq, points = HEADER.unpack(head)
            body = f.read(size)
        if len(body) < size:  # a batch cut short by a crash mid-write: nothing after it
            return None
        self.read_at += HEADER.size + size
        return Batch(seq, body, points)

    def unread(self) -> bool:
        """Whether batches remain after the last one read."""
        return self.batches.exists() and self.batches.stat().st_size > self.read_at

    def in_order(self) -> Iterator[Batch]:
        """Every batch once, by seq (a spool may hold the batch that was in flight last),
        read one at a time."""
        offsets: dict[int, int] = {}
        with self.batches.open("rb") as f:
            while len(head := f.read(HEADER.size)) == HEADER.size:
                size, seq, _ = HEADER.unpack(head)
                offsets.setdefault(seq, f.tell() - HEADER.size)
                f.seek(size, os.SEEK_CUR)
        for seq in sorted(offsets):
            self.read_at = offsets[seq]
            batch = self.read_next()
            if batch is not None:
                yield batch


class Batch(NamedTuple):
    """A batch of points as it is POSTed: its seq, its JSON body and how many points it holds."""

    seq: int
    body: bytes
    points: int
