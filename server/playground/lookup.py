"""How a snippet reaches things: modules, methods per value type, and calls, all allowlisted."""

from __future__ import annotations

import ast
import importlib
import inspect
import operator
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from server.playground import allowlist, sizecap
from server.playground.errors import Refusal
from server.playground.wire import HOST_CUDA_ENV

# What each operator of the syntax tree does; the operands' own types decide the rest.
BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.MatMult: operator.matmul, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}  # fmt: skip
# `x += y` is `operator.iadd`: in place for tensors, as in Python (a view's base changes).
INPLACE: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    node: getattr(operator, f"i{op.__name__.rstrip('_')}") for node, op in BINARY.items()
}
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
    ast.Invert: operator.invert,
}  # fmt: skip
COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_,
    ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip


class ModuleRef:
    """A module as a snippet sees it: only its allowlisted attributes are reachable."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<module {self.name!r}>"


class Fn:
    """A function or method the allowlist let through, with its name for the size rules."""

    __slots__ = ("func", "owner", "qualname")

    def __init__(self, func: Any, qualname: str, owner: Any = None) -> None:
        self.func, self.qualname, self.owner = func, qualname, owner

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"


TYPE_ATTRIBUTES: list[tuple[type | tuple[type, ...], str, frozenset[str]]] = [
    (torch.Tensor, "Tensor", allowlist.TENSOR),
    (np.ndarray, "ndarray", allowlist.NDARRAY),
    (np.generic, "numpy scalar", allowlist.NUMPY_SCALAR),
    (np.dtype, "numpy dtype", allowlist.NUMPY_DTYPE),
    (torch.dtype, "dtype", allowlist.TORCH_DTYPE),
    (torch.Size, "Size", allowlist.TORCH_SIZE),
    (torch.device, "device", allowlist.TORCH_DEVICE),
    (torch.nn.Module, "Module", allowlist.NN_MODULE),
    (str, "str", allowlist.STR),
    (list, "list", allowlist.LIST),
    (dict, "dict", allowlist.DICT),
    ((bool, int, float, complex), "number", allowlist.NUMBER),
]


def attributes_of(value: Any) -> tuple[str, frozenset[str]]:
    """The type label and allowlisted attributes of a value."""
    if type(value).__module__ == "torch.return_types":
        return "return_types", allowlist.RETURN_TYPES
    for kind, label, names in TYPE_ATTRIBUTES:
        if isinstance(value, kind):
            return label, names
    if isinstance(value, tuple):
        return "tuple", allowlist.TUPLE
    return type(value).__name__, frozenset()


def host_cuda_count() -> int:
    """The server's GPU count: the sandbox itself runs with CUDA hidden."""
    return int(os.environ.get(HOST_CUDA_ENV, "0") or 0)


HOST_CUDA = {
    "torch.cuda.is_available": lambda: host_cuda_count() > 0,
    "torch.cuda.device_count": host_cuda_count,
}


def refuse_gpu(qualname: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Tensors stay on the CPU here: GPU memory is beyond the sandbox's limits."""
    named = [kwargs.get("device"), *(a for a in args if isinstance(a, torch.device))]
    if qualname == "Tensor.to":
        named += args
    elif qualname == "torch.device":
        named = args[:1] if args and _is_index(args[0]) else []  # naming "cuda" is harmless
    if qualname.endswith(".cuda") or any(_off_cpu(value) for value in named):
        raise Refusal(
            400,
            "the playground computes on the CPU only; "
            f"this server's {host_cuda_count()} GPU(s) are for training runs",
        )


def _is_index(value: Any) -> bool:
    """Tell whether a value is an int, which torch reads as a CUDA device's index."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _off_cpu(value: Any) -> bool:
    """Tell whether a device argument names anything but the CPU: 0, "cuda:0", "mps" ..."""
    if _is_index(value):
        return True
    if isinstance(value, str):
        try:
            value = torch.device(value)
        except RuntimeError:
            return False  # not a device at all: the call itself says so
    return isinstance(value, torch.device) and value.type != "cpu"


def module_attribute(module: ModuleRef, name: str) -> Any:
    """Look up an allowlisted name on a module."""
    full = f"{module.name}.{name}"
    if name not in allowlist.MODULES[module.name]:
        raise Refusal(400, f"{full} is not allowed in the playground")
    if full in HOST_CUDA:
        return Fn(HOST_CUDA[full], full)
    if full in allowlist.MODULES:
        return ModuleRef(full)
    value = getattr(importlib.import_module(module.name), name)
    if isinstance(value, type) and issubclass(value, np.generic):
        return value  # numpy scalar types are used as dtypes as well as called
    return Fn(value, full) if callable(value) else value


def value_attribute(value: Any, name: str) -> Any:
    """Look up an attribute allowlisted for the value's type; methods come back as Fn."""
    if isinstance(value, ModuleRef):
        return module_attribute(value, name)
    label, names = attributes_of(value)
    if name not in names:
        raise Refusal(400, f"{label}.{name} is not allowed in the playground")
    found = getattr(value, name)
    return Fn(found, f"{label}.{name}", value) if inspect.isroutine(found) else found


def call(func: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call an allowlisted function, a module such as nn.Linear, or a numpy scalar type."""
    if isinstance(func, Fn):
        refuse_gpu(func.qualname, args, kwargs)
        sizecap.check_call(func.qualname, func.owner, args, kwargs)
        result = func.func(*args, **kwargs)
    elif isinstance(func, torch.nn.Module) or (
        isinstance(func, type) and issubclass(func, np.generic)
    ):
        result = func(*args, **kwargs)
    else:
        raise TypeError(f"{attributes_of(func)[0]} object is not callable in the playground")
    sizecap.check_result(result)
    return result
