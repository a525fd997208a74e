"""Size checks made before torch or numpy allocate: the first wall against memory bombs."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from server.playground import dtypes, textcap
from server.playground.errors import Refusal

MAX_ELEMENTS = 10_000_000
MAX_INT_BITS = 100_000

Args = Sequence[Any]
Kwargs = dict[str, Any]


def check_elements(count: int, what: str = "tensor", unit: str = "elements") -> None:
    """Refuse a result that would hold more than MAX_ELEMENTS elements (or characters)."""
    if count > MAX_ELEMENTS:
        raise Refusal(
            422, f"{what} over the size cap: {count:,} {unit} (the cap is {MAX_ELEMENTS:,})"
        )


def is_array(value: Any) -> bool:
    """Tell whether a value is a tensor or an ndarray."""
    return isinstance(value, (torch.Tensor, np.ndarray))


def numel(value: Any) -> int:
    """Count the elements of a tensor or an ndarray."""
    return value.numel() if isinstance(value, torch.Tensor) else int(value.size)


def _ints(values: Any) -> list[int] | None:
    """Read a sequence of integers, or None when it is not one."""
    try:
        return [operator.index(v) for v in values]
    except TypeError:
        return None


def _shape(args: Args, kwargs: Kwargs, key: str = "size") -> list[int] | None:
    """Read a shape given as `f(5, 3)`, `f((5, 3))` or `f(size=(5, 3))`."""
    if key in kwargs:
        args = (kwargs[key],)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, torch.Tensor)):
        return _ints(args[0])
    return _ints(args)


def _count(shape: list[int] | None) -> int:
    """Count elements of a shape, zero for an unreadable one (torch will complain itself)."""
    return math.prod(max(d, 0) for d in shape) if shape else 0


def _arg(args: Args, kwargs: Kwargs, index: int, key: str, default: Any = None) -> Any:
    """Read one argument given by position or keyword."""
    if key in kwargs:
        return kwargs[key]
    return args[index] if len(args) > index else default


def _as_shape(value: Any) -> list[int] | None:
    """Read an int or a sequence of ints as a shape."""
    if value is None:
        return None
    return _ints([value]) if isinstance(value, (int, np.integer)) else _ints(value)


def _arange(args: Args, kwargs: Kwargs) -> int:
    """Count the elements of arange(start, end, step) or arange(end)."""
    names = ("start", "end", "step") if len(args) > 1 else ("end",)
    given = dict(zip(names, args, strict=False)) | kwargs
    start, step = given.get("start", 0), given.get("step", 1)
    end = given.get("end", given.get("stop", 0))
    try:
        return max(math.ceil((float(end) - float(start)) / float(step)), 0)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return 0


def _eye(args: Args, kwargs: Kwargs) -> int:
    """Count the elements of eye(n, m)."""
    n = _arg(args, kwargs, 0, "n", _arg(args, kwargs, 0, "N", 0))
    m = _arg(args, kwargs, 1, "m", _arg(args, kwargs, 1, "M", None))
    return _count(_ints([n, n if m is None else m]))


def _expand(owner: Any, args: Args, kwargs: Kwargs) -> int:
    """Count the elements of tensor.expand(*sizes), where -1 keeps a dimension."""
    sizes = _shape(args, kwargs)
    if sizes is None or owner is None:
        return 0
    have = [1] * (len(sizes) - owner.dim()) + list(owner.shape)
    return _count([h if s == -1 else s for s, h in zip(sizes, have, strict=False)])


def _repeats(value: Any) -> int:
    """Total copies asked by np.repeat's `repeats` (an int or one count per element)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        return int(np.sum(value))
    except (TypeError, ValueError):
        return 0


def matmul_elements(a: Any, b: Any) -> int:
    """Count the elements of a @ b from the shapes alone."""
    if not (is_array(a) and is_array(b)):
        return 0
    sa, sb = tuple(a.shape), tuple(b.shape)
    rows = sa[-2] if len(sa) >= 2 else 1
    cols = sb[-1] if len(sb) >= 2 else 1
    batch = broadcast_elements([sa[:-2], sb[:-2]])
    return rows * cols * max(batch, 1)


def broadcast_elements(shapes: list[tuple[int, ...]]) -> int:
    """Count the elements of the shape these shapes broadcast to, 0 when they do not."""
    out = []
    for i in range(1, max((len(s) for s in shapes), default=0) + 1):
        dims = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(dims) > 1:
            return 0
        out.append(dims.pop() if dims else 1)
    return math.prod(out)


Rule = Callable[[Any, Args, Kwargs], int]

_CREATE: dict[str, Rule] = {
    name: lambda owner, a, k: _count(_shape(a, k))
    for name in (
        "torch.empty", "torch.zeros", "torch.ones", "torch.rand", "torch.randn",
        "Tensor.new_ones", "Tensor.new_zeros", "Tensor.new_empty",
        "numpy.random.rand", "numpy.random.randn",
    )
}  # fmt: skip

RULES: dict[str, Rule] = _CREATE | {
    "torch.full": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "size"))),
    "Tensor.new_full": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "size"))),
    "torch.randint": lambda o, a, k: _count(
        _as_shape(k.get("size", next((v for v in a if isinstance(v, (tuple, list))), None)))
    ),
    "torch.arange": lambda o, a, k: _arange(a, k),
    "numpy.arange": lambda o, a, k: _arange(a, k),
    "torch.linspace": lambda o, a, k: _count(_ints([_arg(a, k, 2, "steps", 0)])),
    "torch.logspace": lambda o, a, k: _count(_ints([_arg(a, k, 2, "steps", 0)])),
    "numpy.linspace": lambda o, a, k: _count(_ints([_arg(a, k, 2, "num", 50)])),
    "torch.eye": lambda o, a, k: _eye(a, k),
    "numpy.eye": lambda o, a, k: _eye(a, k),
    "numpy.identity": lambda o, a, k: _count(_ints([_arg(a, k, 0, "n", 0)] * 2)),
    "torch.randperm": lambda o, a, k: _count(_ints([_arg(a, k, 0, "n", 0)])),
    "numpy.ones": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "shape"))),
    "numpy.zeros": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "shape"))),
    "numpy.empty": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "shape"))),
    "numpy.full": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "shape"))),
    "numpy.random.random": lambda o, a, k: _count(_as_shape(_arg(a, k, 0, "size"))),
    "numpy.random.uniform": lambda o, a, k: _count(_as_shape(_arg(a, k, 2, "size"))),
    "numpy.random.normal": lambda o, a, k: _count(_as_shape(_arg(a, k, 2, "size"))),
    "numpy.random.randint": lambda o, a, k: _count(_as_shape(_arg(a, k, 2, "size"))),
    "torch.broadcast_to": lambda o, a, k: _count(_as_shape(_arg(a, k, 1, "size"))),
    "numpy.broadcast_to": lambda o, a, k: _count(_as_shape(_arg(a, k, 1, "shape"))),
    "Tensor.expand": _expand,
    "Tensor.repeat": lambda o, a, k: o.numel() * _count(_shape(a, k, "repeats")),
    "numpy.tile": lambda o, a, k: _sized(a[0]) * _count(_as_shape(_arg(a, k, 1, "reps"))),
    "numpy.repeat": lambda o, a, k: _sized(a[0]) * _repeats(_arg(a, k, 1, "repeats", 0)),
    "ndarray.repeat": lambda o, a, k: o.size * _repeats(_arg(a, k, 0, "repeats", 0)),
    "torch.nn.Linear": lambda o, a, k: _count(
        _ints([_arg(a, k, 0, "in_features", 0), _arg(a, k, 1, "out_features", 0)])
    ),
    "builtins.list": lambda o, a, k: len(a[0]) if a and isinstance(a[0], range) else 0,
    "builtins.tuple": lambda o, a, k: len(a[0]) if a and isinstance(a[0], range) else 0,
}

# Calls that build a string, by the length it could reach.
TEXT_RULES: dict[str, Rule] = {
    "str.replace": lambda o, a, k: textcap.replace_length(o, list(a), k),
    "builtins.str": lambda o, a, k: textcap.text_length(a[0] if a else "", MAX_ELEMENTS),
    "builtins.print": lambda o, a, k: sum(textcap.text_length(v, MAX_ELEMENTS) for v in a),
}
SEQUENCES = (str, list, tuple)

_OUTER = ("torch.outer", "numpy.outer", "Tensor.outer")
_MATMUL = ("torch.matmul", "torch.mm", "torch.bmm", "numpy.matmul", "numpy.dot")
_MATMUL_METHODS = ("Tensor.matmul", "Tensor.mm", "Tensor.bmm", "ndarray.dot")


def _sized(value: Any) -> int:
    """Count elements of an array, or of anything numpy would turn into one."""
    return numel(value) if is_array(value) else int(np.size(value))


def _arrays(owner: Any, args: Args, kwargs: Kwargs) -> list[Any]:
    """The tensors and ndarrays a call reads directly (its owner included, `out=` excluded)."""
    values = [owner, *args, *(v for key, v in kwargs.items() if key != "out")]
    return [v for v in values if is_array(v)]


def _nested(args: Args) -> int:
    """Total elements of tensors held in list or tuple arguments, as `torch.cat` reads them."""
    return sum(
        numel(v) for arg in args if isinstance(arg, (list, tuple)) for v in arg if is_array(v)
    )


def _rule_elements(qualname: str, owner: Any, args: Args, kwargs: Kwargs) -> int:
    """Elements a call would produce by its specific rule, 0 when none applies."""
    if qualname in RULES:
        return RULES[qualname](owner, args, kwargs)
    arrays = _arrays(owner, args, kwargs)
    if qualname in _OUTER and len(arrays) == 2:
        return numel(arrays[0]) * numel(arrays[1])
    if qualname in _MATMUL + _MATMUL_METHODS and len(arrays) == 2:
        return matmul_elements(arrays[0], arrays[1])
    return 0


def check_call(qualname: str, owner: Any, args: Args, kwargs: Kwargs) -> None:
    """Refuse a call whose result would be over the cap, judged before it runs."""
    dtypes.check_arguments(qualname, args, kwargs)
    if qualname == "builtins.round" and isinstance(args[0] if args else None, int):
        digits = _arg(args, kwargs, 1, "ndigits")
        if isinstance(digits, int):
            _check_int_growth("Pow", 10, -digits)  # an int rounds by 10 ** -ndigits
    try:
        count = _rule_elements(qualname, owner, args, kwargs)
    except (TypeError, ValueError, IndexError, AttributeError, OverflowError):
        count = 0  # malformed arguments: the call itself will say what is wrong
    arrays = _arrays(owner, args, kwargs)
    if len(arrays) >= 2:
        count = max(count, broadcast_elements([tuple(a.shape) for a in arrays]))
    check_elements(max(count, _nested(args)))
    if qualname in TEXT_RULES:
        check_elements(TEXT_RULES[qualname](owner, args, kwargs), "string", "characters")


def check_binop(op: type, left: Any, right: Any) -> None:
    """Refuse an operator whose result would be over the cap: broadcasting, @, repetition."""
    if is_array(left) and is_array(right):
        shapes = [tuple(left.shape), tuple(right.shape)]
        count = broadcast_elements(shapes)
        if op.__name__ == "MatMult":
            count = matmul_elements(left, right)
        check_elements(count)
    elif op.__name__ == "Mult":
        _check_repeat(left, right)
        _check_repeat(right, left)
        _check_int_growth("Mult", left, right)
    elif op.__name__ in ("Pow", "LShift"):
        _check_int_growth(op.__name__, left, right)
    elif op.__name__ == "Mod" and isinstance(left, str):
        length = textcap.format_length(left, right, MAX_ELEMENTS)
        check_elements(length, "string", "characters")
    elif op.__name__ == "Add" and isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        check_elements(len(left) + len(right), "sequence")


def _check_repeat(seq: Any, times: Any) -> None:
    """Refuse `"a" * 10**10` and `[0] * 10**10` before Python tries."""
    if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int):
        check_elements(len(seq) * max(times, 0), "sequence")


def _check_int_growth(name: str, left: Any, right: Any) -> None:
    """Refuse integers with more than MAX_INT_BITS bits: 2 ** 10**9, 1 << 10**10, x * x ..."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if name == "Mult":
        bits = float(abs(left).bit_length() + abs(right).bit_length())
    elif right <= 0 or left == 0:
        return
    elif name == "Pow":
        bits = 0.0 if left in (1, -1) else right * math.log2(abs(left))
    else:
        bits = right + left.bit_length()
    if bits > MAX_INT_BITS:
        raise Refusal(422, f"number over the size cap: about {int(bits):,} bits")


def check_result(value: Any) -> None:
    """Refuse a tensor, array or sequence that came out over the cap, or of a refused dtype."""
    if is_array(value):
        check_elements(numel(value))
    elif isinstance(value, (*SEQUENCES, dict, set)):
        check_elements(len(value), "sequence")
    dtypes.check_array(value)
