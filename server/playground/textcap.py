"""How long a string Python would build, predicted from the operands before it builds it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch

# One printf-style conversion: `%(key)-08.3f`, `%*d`, `%%` ...
SPEC = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?"
    r"(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<kind>.?)",
    re.DOTALL,
)
NUMBER_CHARS = 400  # a float's longest plain digits (1e308 as %f) and its sign and dot
ARRAY_CHARS = 10_000  # torch and numpy summarise large arrays in their repr


def text_length(value: Any, limit: int) -> int:
    """Upper bound on the length of str(value) or repr(value); counting stops past `limit`."""
    total = 0
    stack: list[Any] = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += _str_length(item)
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            total += 2 + 2 * len(item)  # brackets, then ", " (or ": ") per element
            stack.extend(_members(item))
        else:
            total += _scalar_length(item)
    return total


def _members(container: Any) -> Iterator[Any]:
    """A container's elements; a dict's keys and values."""
    if isinstance(container, dict):
        for key, value in container.items():
            yield key
            yield value
    else:
        yield from container


def _str_length(text: str) -> int:
    """Upper bound on len(repr(text)): quotes, escapes, and \\U00000000 for a non-printable."""
    if text.isprintable():
        return len(text) + 2 + text.count("\\") + text.count("'")
    return 10 * len(text) + 2


def _scalar_length(value: Any) -> int:
    """Upper bound on the repr of a number, an array, or any other value shown whole."""
    if isinstance(value, int):
        return max(math.ceil(abs(value).bit_length() * math.log10(2)), 1) + (value < 0)
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return ARRAY_CHARS
    return NUMBER_CHARS


def format_length(template: str, values: Any, limit: int) -> int:
    """Upper bound on len(template % values): the template, each width, precision and value."""
    positional = iter(values if isinstance(values, tuple) else (values,))
    total = len(template)
    for spec in SPEC.finditer(template):
        if spec["kind"] == "%" or not spec["kind"]:
            continue
        total += _number(spec["width"], positional) + _number(spec["precision"], positional)
        if spec["key"] is not None and isinstance(values, Mapping):
            value = values.get(spec["key"])
        else:
            value = next(positional, None)
        total += text_length(value, limit)
        if total > limit:
            break
    return total


def _number(given: str | None, positional: Iterator[Any]) -> int:
    """A width or precision: written in the template, or taken from the values for `*`."""
    if given == "*":
        value = next(positional, 0)
        return abs(value) if isinstance(value, int) else 0
    return int(given[:20]) if given else 0  # 20 digits are past any cap already


def replace_length(text: str, args: list[Any], kwargs: dict[str, Any]) -> int:
    """Upper bound on len(text.replace(old, new, count))."""
    old = args[0] if args else kwargs.get("old")
    new = args[1] if len(args) > 1 else kwargs.get("new")
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    if not (isinstance(old, str) and isinstance(new, str) and isinstance(count, int)):
        return 0  # str.replace itself refuses these
    found = len(text) + 1 if old == "" else text.count(old)
    if count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)
