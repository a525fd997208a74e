"""NVML's recorded answers, replayed: pynvml's own types and errors, in the order recorded.

Each call must be the next one in the recording, with the recorded arguments; anything else
fails the test. Constants and error classes are the real pynvml's.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pynvml

FIXTURES = Path(__file__).parent / "fixtures"


class RecordedNvml:
    """Stands where the pynvml module does, answering as the recording says."""

    def __init__(self, name: str) -> None:
        self.calls = json.loads((FIXTURES / name).read_text())["calls"]
        self.made = 0
        self.handles: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("nvml"):
            return partial(self._answer, name)
        return getattr(pynvml, name)  # NVML_TEMPERATURE_GPU, NVMLError_NotSupported...

    def _answer(self, name: str, *args: Any) -> Any:
        assert self.made < len(self.calls), f"{name}{args} was not recorded"
        recorded = self.calls[self.made]
        called = [self._name_of(arg) for arg in args]
        assert (name, called) == (recorded["call"], recorded["args"]), (name, called, recorded)
        self.made += 1
        if "raises" in recorded:
            raise pynvml.NVMLError(recorded["raises"])  # pynvml picks the subclass by code
        return self._value(recorded["returns"])

    def _value(self, value: Any) -> Any:
        """A recorded answer as pynvml's type: a handle, a ctypes structure, or plain."""
        if not isinstance(value, dict):
            return value
        if "handle" in value:
            return self.handles.setdefault(value["handle"], pynvml.c_nvmlDevice_t())
        ((struct, fields),) = value.items()
        return getattr(pynvml, struct)(**fields)

    def _name_of(self, arg: Any) -> Any:
        names = {id(handle): name for name, handle in self.handles.items()}
        return names.get(id(arg), arg)

    def finished(self) -> bool:
        """Every recorded call was made."""
        return self.made == len(self.calls)
