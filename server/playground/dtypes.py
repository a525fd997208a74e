"""numpy dtypes a snippet may use: numbers only, for strings and objects escape the size caps."""

from __future__ import annotations

from typing import Any

import numpy as np

from server.playground.errors import Refusal

# Python objects (their ints grow without bound), unicode and bytes strings, raw records.
REFUSED_KINDS = "OUSV"


def check_dtype(dtype: Any) -> None:
    """Refuse a dtype whose elements are Python objects, strings or raw records."""
    try:
        kind = np.dtype(dtype).kind
    except (TypeError, ValueError):
        return  # not a numpy dtype: a torch dtype, or something the call itself refuses
    if kind in REFUSED_KINDS:
        raise Refusal(400, "numpy arrays of Python objects, strings or records are not allowed")


def check_arguments(qualname: str, args: Any, kwargs: dict[str, Any]) -> None:
    """Refuse a call that names such a dtype: `dtype="O"`, `np.ones(3, str)`, `a.astype("U9")`."""
    if "dtype" in kwargs:
        check_dtype(kwargs["dtype"])
    if qualname.startswith(("numpy.", "ndarray.")):
        for value in args:
            if isinstance(value, (str, type, np.dtype)):
                check_dtype(value)


def check_array(value: Any) -> None:
    """Refuse an array that came out with such a dtype (`np.array([10**30])` holds objects)."""
    if isinstance(value, np.ndarray):
        check_dtype(value.dtype)
