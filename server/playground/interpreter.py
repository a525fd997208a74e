"""Evaluate a checked snippet by walking its syntax tree; nothing is handed to eval or exec."""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import warnings
from typing import Any, cast

import torch

from server.playground import allowlist, sizecap
from server.playground.errors import Refusal, classify
from server.playground.lookup import (
    BINARY,
    COMPARE,
    INPLACE,
    UNARY,
    Fn,
    ModuleRef,
    call,
    value_attribute,
)
from server.playground.render import ADDRESS, Renderer
from server.playground.validate import parse, position

MAX_LOOP = 10_000
MAX_STDOUT = 1_000_000
MAX_OUTPUTS = 1_000

GRAD_MODES = (torch.no_grad, torch.enable_grad, torch.set_grad_enabled, torch.inference_mode)


class _Break(BaseException):
    """Leaves the innermost loop."""


class _Continue(BaseException):
    """Goes on with the next turn of the innermost loop."""


class Interpreter:
    """Runs a checked tree statement by statement, keeping the snippet's names to itself."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines()
        self.stdout = io.StringIO()
        self.renderer = Renderer()
        self.names: dict[str, Any] = {"torch": ModuleRef("torch"), "np": ModuleRef("numpy")}
        self.builtins = {
            name: Fn(getattr(builtins, name), f"builtins.{name}") for name in allowlist.BUILTINS
        }
        self.builtins["print"] = Fn(self.print, "builtins.print")

    def run(self, tree: ast.Module) -> list[dict[str, Any]]:
        """Run every statement; each top-level expression that is not None gives an output."""
        outputs: list[dict[str, Any]] = []
        for statement in tree.body:
            if not isinstance(statement, ast.Expr):
                self.execute(statement)
                continue
            value = self.evaluate(statement.value)
            if value is not None and len(outputs) < MAX_OUTPUTS:
                outputs.append(self.output(statement, value))
        return outputs

    def output(self, statement: ast.Expr, value: Any) -> dict[str, Any]:
        """An `Out[n]`: the statement's line and source and its rendered value."""
        source = ast.get_source_segment(self.source, statement) or ""
        return {
            "line": statement.lineno,
            "source": source[:500],
            "value": self.renderer.render(value),
        }

    def located(self, error: BaseException, node: ast.AST) -> BaseException:
        """Attach the node's position to an error raised while running it."""
        if isinstance(error, Refusal):
            if not error.line:
                error.line, error.col = position(self.lines, node)
            return error
        if isinstance(error, Exception):
            return Refusal(*classify(error), *position(self.lines, node))
        return error

    def execute(self, node: ast.stmt) -> None:
        """Run one statement."""
        try:
            getattr(self, f"exec_{type(node).__name__}")(node)
        except (_Break, _Continue):
            raise
        except Exception as error:
            raise self.located(error, node) from None

    def evaluate(self, node: ast.expr) -> Any:
        """Evaluate one expression."""
        try:
            return getattr(self, f"eval_{type(node).__name__}")(node)
        except Exception as error:
            raise self.located(error, node) from None

    def body(self, statements: list[ast.stmt]) -> None:
        """Run a block of statements."""
        for statement in statements:
            self.execute(statement)

    def print(self, *values: Any, sep: str | None = " ", end: str | None = "\n") -> None:
        """The snippet's print: writes into the captured stdout, up to MAX_STDOUT characters."""
        if not isinstance(sep, (str, type(None))) or not isinstance(end, (str, type(None))):
            raise TypeError("print's sep and end must be strings")
        text = (" " if sep is None else sep).join(str(v) for v in values)
        text = ADDRESS.sub("", text) + ("\n" if end is None else end)
        room = MAX_STDOUT - self.stdout.tell()
        if room > 0:
            self.stdout.write(text if len(text) <= room else text[:room] + "\n… (stdout cut)\n")

    # Statements.

    def exec_Expr(self, node: ast.Expr) -> None:
        self.evaluate(node.value)

    def exec_Assign(self, node: ast.Assign) -> None:
        value = self.evaluate(node.value)
        for target in node.targets:
            self.assign(target, value)

    def exec_AugAssign(self, node: ast.AugAssign) -> None:
        current = self.evaluate(_as_load(node.target))
        value = self.evaluate(node.value)
        sizecap.check_binop(type(node.op), current, value)
        self.assign(node.target, INPLACE[type(node.op)](current, value))

    def exec_If(self, node: ast.If) -> None:
        self.body(node.body if self.evaluate(node.test) else node.orelse)

    def exec_For(self, node: ast.For) -> None:
        turns = self.evaluate(node.iter)
        if not isinstance(turns, range) or len(turns) > MAX_LOOP:
            raise Refusal(400, f"for loops may only run over range() of at most {MAX_LOOP:,}")
        for turn in turns:
            self.assign(node.target, turn)
            try:
                self.body(node.body)
            except _Break:
                break
            except _Continue:
                continue

    def exec_With(self, node: ast.With) -> None:
        with contextlib.ExitStack() as stack:
            for item in node.items:
                manager = self.evaluate(item.context_expr)
                if not isinstance(manager, GRAD_MODES):
                    raise Refusal(400, "with only takes torch.no_grad() and its relatives")
                stack.enter_context(manager)
            self.body(node.body)

    def exec_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.names[alias.asname] = ModuleRef(alias.name)
            else:
                top = alias.name.split(".")[0]
                self.names[top] = ModuleRef(top)

    def exec_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            assert isinstance(target, ast.Name)  # validate.py allows only `del name`
            if target.id not in self.names:
                raise NameError(f"name {target.id!r} is not defined")
            del self.names[target.id]

    def exec_Pass(self, node: ast.Pass) -> None:
        pass

    def exec_Break(self, node: ast.Break) -> None:
        raise _Break

    def exec_Continue(self, node: ast.Continue) -> None:
        raise _Continue

    def assign(self, target: ast.expr, value: Any) -> None:
        """Bind a value to a name, an item, an allowed attribute, or unpack it."""
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, ast.Subscript):
            owner, key = self.evaluate(target.value), self.evaluate(target.slice)
            owner[key] = value
        elif isinstance(target, ast.Attribute):
            owner = self.evaluate(target.value)
            if not isinstance(owner, torch.Tensor):
                raise Refusal(400, f"only a tensor's {target.attr} may be assigned")
            setattr(owner, target.attr, value)
        else:
            assert isinstance(target, (ast.Tuple, ast.List))  # all validate.py leaves
            self.unpack(target, value)

    def unpack(self, target: ast.Tuple | ast.List, value: Any) -> None:
        """Assign `a, b = value`."""
        values = list(value)
        if len(values) != len(target.elts):
            raise ValueError(f"expected {len(target.elts)} values to unpack, got {len(values)}")
        for element, item in zip(target.elts, values, strict=True):
            self.assign(element, item)

    # Expressions.

    def eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def eval_Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in self.builtins:
            return self.builtins[node.id]
        raise NameError(f"name {node.id!r} is not defined")

    def eval_Attribute(self, node: ast.Attribute) -> Any:
        return value_attribute(self.evaluate(node.value), node.attr)

    def eval_Subscript(self, node: ast.Subscript) -> Any:
        owner, key = self.evaluate(node.value), self.evaluate(node.slice)
        keys = key if isinstance(key, tuple) else (key,)
        indexes = [tuple(k.shape) for k in keys if sizecap.is_array(k)]
        if len(indexes) > 1:
            sizecap.check_elements(sizecap.broadcast_elements(indexes))
        result = owner[key]
        sizecap.check_result(result)
        return result

    def eval_Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.evaluate(part) for part in parts))

    def elements(self, nodes: list[ast.expr]) -> list[Any]:
        """Evaluate the items of a literal or an argument list, expanding `*values`."""
        values: list[Any] = []
        for node in nodes:
            if isinstance(node, ast.Starred):
                values.extend(self.evaluate(node.value))
            else:
                values.append(self.evaluate(node))
        return values

    def eval_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.elements(node.elts))

    def eval_List(self, node: ast.List) -> list:
        return self.elements(node.elts)

    def eval_Set(self, node: ast.Set) -> set:
        return set(self.elements(node.elts))

    def eval_Dict(self, node: ast.Dict) -> dict:
        keys = cast("list[ast.expr]", node.keys)  # no None: validate.py refuses {**mapping}
        pairs = zip(keys, node.values, strict=True)
        return {self.evaluate(key): self.evaluate(value) for key, value in pairs}

    def eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        sizecap.check_binop(type(node.op), left, right)
        result = BINARY[type(node.op)](left, right)
        sizecap.check_result(result)
        return result

    def eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return UNARY[type(node.op)](self.evaluate(node.operand))

    def eval_BoolOp(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.evaluate(operand)
            if bool(value) == isinstance(node.op, ast.Or):
                return value
        return value

    def eval_Compare(self, node: ast.Compare) -> Any:
        left = self.evaluate(node.left)
        pairs = list(zip(node.ops, node.comparators, strict=True))
        for op, comparator in pairs[:-1]:  # a chain stops at its first false link
            right = self.evaluate(comparator)
            result = COMPARE[type(op)](left, right)
            if not result:
                return result
            left = right
        op, comparator = pairs[-1]  # the last link is returned as is, never truth-tested
        return COMPARE[type(op)](left, self.evaluate(comparator))

    def eval_IfExp(self, node: ast.IfExp) -> Any:
        return self.evaluate(node.body if self.evaluate(node.test) else node.orelse)

    def eval_Call(self, node: ast.Call) -> Any:
        func = self.evaluate(node.func)
        args = self.elements(node.args)
        kwargs = {keyword.arg: self.evaluate(keyword.value) for keyword in node.keywords}
        for value in (*args, *kwargs.values()):
            if isinstance(value, (Fn, ModuleRef)):
                raise Refusal(400, "functions and modules cannot be passed as arguments")
        return call(func, args, cast("dict[str, Any]", kwargs))  # no None: ** is refused


def _as_load(target: ast.Name | ast.Attribute | ast.Subscript) -> ast.expr:
    """The same target read instead of written, for `x += 1`."""
    copy = type(target)(**{field: getattr(target, field) for field in target._fields})
    copy.ctx = ast.Load()
    return ast.copy_location(copy, target)


def run_snippet(source: str) -> dict[str, Any]:
    """Check and run a snippet; return its outputs and stdout, or raise Refusal."""
    tree = parse(source)
    interpreter = Interpreter(source)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, category, *rest: interpreter.print(
            f"{category.__name__}: {message}"
        )
        outputs = interpreter.run(tree)
    return {"outputs": outputs, "stdout": interpreter.stdout.getvalue()}
