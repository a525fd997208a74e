"""What passes from the server to its sandbox and back: the GPU count it is told, and
length-prefixed JSON frames on the pipe from an evaluation back to the server."""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">I")
# The sandbox runs with no GPU visible; this tells it how many the server sees.
HOST_CUDA_ENV = "LOSSBOARD_HOST_CUDA_DEVICES"


def pack(message: dict[str, Any]) -> bytes:
    """Encode one frame."""
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "replace")
    return HEADER.pack(len(data)) + data


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Write one whole frame to a file descriptor."""
    view = memoryview(pack(message))
    while view:
        view = view[os.write(fd, view) :]


class FrameReader:
    """Collects bytes as they arrive and hands back whole frames."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.received = 0

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add bytes; return the frames now complete."""
        self.buffer += chunk
        self.received += len(chunk)
        frames = []
        while len(self.buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buffer)
            if len(self.buffer) < HEADER.size + size:
                break
            frames.append(json.loads(self.buffer[HEADER.size : HEADER.size + size]))
            del self.buffer[: HEADER.size + size]
        return frames
