"""Trusted code that turns a snippet's values into the API's JSON, labelling shared memory."""

from __future__ import annotations

import re
import reprlib
from typing import Any

import numpy as np
import torch

from server.playground.sizecap import MAX_ELEMENTS
from server.playground.textcap import text_length

MAX_REPR = 10_000
REPR_BUDGET = 1_000_000
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # `<... object at 0x7f...>` would leak addresses


def _abridged() -> reprlib.Repr:
    """A repr that shows the start of each part of a container too large to show whole."""
    short = reprlib.Repr()
    short.maxlevel = 3
    short.maxstring = short.maxlong = 80
    short.maxother = 200
    short.maxlist = short.maxtuple = short.maxset = short.maxfrozenset = short.maxdict = 20
    return short


ABRIDGED = _abridged()


def _tensor_extent(tensor: torch.Tensor) -> tuple[int, int]:
    """Byte range of the storage behind a tensor (views share their base's)."""
    try:
        storage = tensor.untyped_storage()
        start = storage.data_ptr()
        return start, start + storage.nbytes()
    except RuntimeError:  # tensors without a data pointer get a label of their own
        return 0, 0


def _array_extent(array: np.ndarray) -> tuple[int, int]:
    """Byte range of the memory behind an array: its owning array's, or a tensor's storage."""
    base: Any = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, torch.Tensor):
        return _tensor_extent(base)
    owner = base if isinstance(base, np.ndarray) else array
    start = owner.__array_interface__["data"][0]
    return start, start + owner.nbytes


class Renderer:
    """Renders values as `{"type": ...}` dicts; equal storage labels mean shared memory."""

    def __init__(self) -> None:
        self._extents: list[list[Any]] = []  # [start, end, label], merged when they overlap
        self._labels = 0
        self._kept: list[Any] = []  # rendered values stay alive so no address is reused
        self._budget = REPR_BUDGET

    def render(self, value: Any) -> dict[str, Any]:
        """Render one value: a tensor, an ndarray, or any other Python value."""
        if isinstance(value, torch.Tensor):
            return self._tensor(value, with_grad=True)
        if isinstance(value, np.ndarray):
            return self._ndarray(value)
        return {"type": "python", "repr": self._repr(value)}

    def _tensor(self, tensor: torch.Tensor, *, with_grad: bool) -> dict[str, Any]:
        """Render a tensor with its layout, autograd state and storage label."""
        grad = tensor.grad if with_grad and tensor.is_leaf else None  # non-leaf .grad warns
        return {
            "type": "tensor",
            "repr": self._repr(tensor),
            "shape": list(tensor.shape),
            "dtype": str(tensor.dtype),
            "stride": list(tensor.stride()),
            "contiguous": tensor.is_contiguous(),
            "device": str(tensor.device),
            "requires_grad": tensor.requires_grad,
            "grad": None if grad is None else self._tensor(grad, with_grad=False),
            "storage": self._label(_tensor_extent(tensor), tensor),
        }

    def _ndarray(self, array: np.ndarray) -> dict[str, Any]:
        """Render an ndarray with its storage label."""
        return {
            "type": "ndarray",
            "repr": self._repr(array),
            "shape": list(array.shape),
            "dtype": str(array.dtype),
            "storage": self._label(_array_extent(array), array),
        }

    def _label(self, extent: tuple[int, int], value: Any) -> str:
        """Label a byte range: the label of a range it overlaps, else the next new one."""
        self._kept.append(value)
        start, end = extent
        for known in self._extents:
            if start < known[1] and known[0] < end:
                known[0], known[1] = min(known[0], start), max(known[1], end)
                return known[2]
        self._labels += 1
        label = f"s{self._labels}"
        if end > start:
            self._extents.append([start, end, label])
        return label

    def _repr(self, value: Any) -> str:
        """A value's repr, cut to MAX_REPR characters and to what is left of the budget."""
        if self._budget <= 0:
            return "… (output limit reached)"
        try:
            whole = text_length(value, MAX_ELEMENTS) <= MAX_ELEMENTS  # as str() may build
            text = repr(value) if whole else ABRIDGED.repr(value)
        except Exception as error:  # a repr that fails must not lose the whole answer
            text = f"<repr failed: {type(error).__name__}: {error}>"
        limit = min(MAX_REPR, self._budget)
        text = ADDRESS.sub("", text[:limit]) + ("…" if len(text) > limit else "")
        self._budget -= len(text)
        return text
