"""Parse a snippet and refuse every syntax-tree node, name or attribute not on the allowlist."""

from __future__ import annotations

import ast

from server.playground import allowlist
from server.playground.errors import Refusal

MAX_DEPTH = 100

_OPERATORS = (ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context)

ALLOWED_NODES = frozenset(
    {
        ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.With,
        ast.withitem, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.alias, ast.Delete,
        ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple,
        ast.List, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
        ast.IfExp, ast.Call, ast.keyword, ast.Starred,
    }
)  # fmt: skip

# What a person calls the node kinds most often refused.
NODE_NAMES = {
    "FunctionDef": "def", "AsyncFunctionDef": "async def", "ClassDef": "class",
    "Lambda": "lambda", "While": "while", "Try": "try", "TryStar": "try", "Raise": "raise",
    "Global": "global", "Nonlocal": "nonlocal", "JoinedStr": "an f-string",
    "FormattedValue": "an f-string", "ListComp": "a list comprehension",
    "SetComp": "a set comprehension", "DictComp": "a dict comprehension",
    "GeneratorExp": "a generator expression", "Yield": "yield", "YieldFrom": "yield from",
    "Await": "await", "ImportFrom": "from ... import", "Return": "return",
    "NamedExpr": "the walrus operator", "Assert": "assert", "AnnAssign": "an annotation",
    "Match": "match", "AsyncFor": "async for", "AsyncWith": "async with",
}  # fmt: skip


def parse(source: str) -> ast.Module:
    """Parse a snippet and check it against the allowlist; raise Refusal(400) if refused."""
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as error:
        line, col = error.lineno or 1, error.offset or 1
        raise Refusal(400, f"{type(error).__name__}: {error.msg}", line, col) from None
    except (RecursionError, MemoryError):
        raise Refusal(400, "the snippet is nested too deeply to parse", 1, 1) from None
    except ValueError as error:  # e.g. a NUL byte in the source
        raise Refusal(400, f"ValueError: {error}", 1, 1) from None
    Checker(source).check(tree, depth=0, in_loop=False)
    return tree


def position(source_lines: list[str], node: ast.AST) -> tuple[int, int]:
    """1-based line and character column of a node."""
    line = getattr(node, "lineno", 0) or 0
    offset = getattr(node, "col_offset", 0) or 0
    if 0 < line <= len(source_lines):
        offset = len(source_lines[line - 1].encode()[:offset].decode(errors="ignore"))
    return line, offset + 1 if line else 0


def dotted(node: ast.AST) -> str:
    """Write an attribute chain such as `torch.cuda.is_available` back as text."""
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func)}(…)"
    return node.id if isinstance(node, ast.Name) else "(…)"


class Checker:
    """Walks a parsed snippet and raises Refusal at the first node not allowed."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()

    def refuse(self, node: ast.AST, message: str) -> Refusal:
        """Build a 400 refusal that points at a node."""
        return Refusal(400, message, *position(self.lines, node))

    def check(self, node: ast.AST, *, depth: int, in_loop: bool) -> None:
        """Check a node and everything below it."""
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"the snippet is nested deeper than {MAX_DEPTH} levels")
        kind = type(node)
        if kind not in ALLOWED_NODES and not isinstance(node, _OPERATORS):
            label = NODE_NAMES.get(kind.__name__, kind.__name__)
            raise self.refuse(node, f"{label} is not allowed in the playground")
        method = getattr(self, f"check_{kind.__name__}", None)
        if method is not None:
            method(node, in_loop)
        in_loop = in_loop or isinstance(node, ast.For)
        for child in ast.iter_child_nodes(node):
            self.check(child, depth=depth + 1, in_loop=in_loop)

    def check_Name(self, node: ast.Name, in_loop: bool) -> None:
        """Refuse private and dunder names and the dangerous builtins."""
        if node.id.startswith("_"):
            raise self.refuse(node, f"the name {node.id!r} is not allowed (private or dunder)")
        if node.id in allowlist.FORBIDDEN_NAMES:
            raise self.refuse(node, f"{node.id}() is not allowed in the playground")

    def check_Attribute(self, node: ast.Attribute, in_loop: bool) -> None:
        """Refuse attributes no allowlist names; only some may be assigned."""
        name = dotted(node)
        if node.attr.startswith("_"):
            raise self.refuse(node, f"{name} is not allowed (private or dunder attribute)")
        if node.attr not in allowlist.ALL_ATTRIBUTES:
            raise self.refuse(node, f"{name} is not allowed in the playground")
        if not isinstance(node.ctx, ast.Load) and node.attr not in allowlist.SETTABLE:
            raise self.refuse(node, f"assigning or deleting {name} is not allowed")

    def check_Import(self, node: ast.Import, in_loop: bool) -> None:
        """Allow only `import torch`, `import numpy as np` and `import torch.nn as nn`."""
        for alias in node.names:
            if alias.name not in allowlist.IMPORTABLE:
                raise self.refuse(node, f"import {alias.name} is not allowed; only torch, numpy")
            if (alias.asname or "").startswith("_"):
                raise self.refuse(node, f"the name {alias.asname!r} is not allowed")

    def check_For(self, node: ast.For, in_loop: bool) -> None:
        """Allow `for name in range(...)` only, without `else`."""
        loop = node.iter
        ranged = (
            isinstance(loop, ast.Call)
            and isinstance(loop.func, ast.Name)
            and loop.func.id == "range"
            and not loop.keywords
        )
        if not ranged:
            raise self.refuse(node, "for loops may only run over range(...)")
        if not isinstance(node.target, ast.Name) or node.orelse:
            raise self.refuse(node, "only `for name in range(...):` is allowed, without else")

    def check_With(self, node: ast.With, in_loop: bool) -> None:
        """Allow `with torch.no_grad():` and the like, without `as`."""
        if any(item.optional_vars is not None for item in node.items):
            raise self.refuse(node, "`with ... as` is not allowed")

    def check_Break(self, node: ast.stmt, in_loop: bool) -> None:
        """Refuse break and continue outside a loop, as Python's compiler would."""
        if not in_loop:
            raise self.refuse(node, f"{type(node).__name__.lower()} outside a loop")

    check_Continue = check_Break

    def check_Delete(self, node: ast.Delete, in_loop: bool) -> None:
        """Allow `del name` only."""
        if not all(isinstance(target, ast.Name) for target in node.targets):
            raise self.refuse(node, "only `del name` is allowed")

    def check_Call(self, node: ast.Call, in_loop: bool) -> None:
        """Allow calls of names and attributes, without `**` unpacking."""
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise self.refuse(node, "only named functions and methods may be called")
        if any(keyword.arg is None for keyword in node.keywords):
            raise self.refuse(node, "** unpacking is not allowed")

    def check_keyword(self, node: ast.keyword, in_loop: bool) -> None:
        """Refuse private keyword arguments."""
        if (node.arg or "").startswith("_"):
            raise self.refuse(node, f"the keyword {node.arg!r} is not allowed")

    def check_Dict(self, node: ast.Dict, in_loop: bool) -> None:
        """Refuse `{**mapping}`."""
        if any(key is None for key in node.keys):
            raise self.refuse(node, "** unpacking is not allowed")

    def check_Starred(self, node: ast.Starred, in_loop: bool) -> None:
        """Allow `*values` in calls and literals, not as an assignment target."""
        if not isinstance(node.ctx, ast.Load):
            raise self.refuse(node, "starred assignment is not allowed")

    def check_Constant(self, node: ast.Constant, in_loop: bool) -> None:
        """Refuse bytes literals; nothing allowed takes raw bytes."""
        if isinstance(node.value, bytes):
            raise self.refuse(node, "bytes literals are not allowed")
