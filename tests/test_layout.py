"""The layout holds: no import cycle among server's modules, store/ below the engine, training/
in its rooms, and docs/architecture.md naming every module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SERVER.rglob("*.py")}


def deferred(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An import inside a function, or under `if TYPE_CHECKING:`."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return True
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def targets(node: ast.Import | ast.ImportFrom, name: str) -> Iterator[str]:
    """The server modules an import statement loads (a package's submodule where it names one)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    assert node.level == 0, f"{name}: server's imports are absolute"
    base = node.module or ""
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def imports(name: str, *, with_deferred: bool) -> set[str]:
    """The server modules that module `name` imports (at module level, or anywhere)."""
    tree = ast.parse(MODULES[name].read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and (
            with_deferred or not deferred(node, parents)
        ):
            found.update(t for t in targets(node, name) if t in MODULES and t != name)
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph`, as the modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_server_modules_at_module_level():
    graph = {name: imports(name, with_deferred=False) for name in MODULES}
    assert cycle(graph) is None


def test_no_import_cycle_within_executors_even_counting_deferred_imports():
    inside = {n for n in MODULES if n.startswith("server.training.executors")}
    graph = {n: imports(n, with_deferred=True) & inside for n in inside}
    assert len(inside) >= 4 and cycle(graph) is None


def said_why(lines: list[str], node: ast.stmt) -> bool:
    """A comment on the import, on the imports grouped with it, or on the line above them."""
    first = node.lineno - 1
    while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
        first -= 1
    block = lines[max(0, first - 1) : node.end_lineno]
    return any("#" in line for line in block)


def test_every_deferred_import_says_why():
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and deferred(node, parents):
                assert said_why(lines, node), f"{name}:{node.lineno} says no why"


def test_store_imports_nothing_from_training_or_web():
    for name in (n for n in MODULES if n.startswith("server.store")):
        above = {
            t for t in imports(name, with_deferred=True)
            if t.startswith(("server.training", "server.web"))
        }  # fmt: skip
        assert not above, f"{name} imports {above}"


def test_training_has_at_most_14_entries():
    entries = [p for p in (SERVER / "training").iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 14, sorted(p.name for p in entries)


def test_no_route_module_catches_to_raise_http_exception_or_imports_another():
    for path in (SERVER / "web" / "routes").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"except[^\n]*:\s*\n(\s+[^\n]*\n)*?\s+raise HTTPException", text)
        assert "server.web.routes" not in text, f"{path.name} imports a route module"


def listed_paths(text: str) -> set[str]:
    """The paths that the Layout section's tree names (its description lines ignored)."""
    tree = text.split("## Layout", 1)[1].split("```")[1]
    stack: list[tuple[int, str]] = []
    paths = set()
    for line in tree.splitlines():
        match = re.match(r"( *)([\w.-]+(?:/|\.py|\.js))(?:\s|$)", line)
        if not match or len(match[1]) >= DESCRIPTION_INDENT:
            continue
        indent, name = len(match[1]), match[2]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "".join(d for _, d in stack) + name
        if name.endswith("/"):
            stack.append((indent, name))
        paths.add(path)
    return paths


DESCRIPTION_INDENT = 20  # a tree line's name starts left of this; its description to the right


def test_layout_parser_follows_the_tree():
    tree = "## Layout\n```\nserver/\n  a.py  x\n  web/\n    b.py  y\n  c.py\n```"
    assert listed_paths(tree) == {"server/", "server/a.py", "server/web/", "server/web/b.py",
                                  "server/c.py"}  # fmt: skip


def test_architecture_lists_every_module():
    listed = listed_paths(ARCHITECTURE.read_text())
    files = [*SERVER.rglob("*.py"), *(ROOT / "static" / "js").glob("*.js")]
    missing = sorted(
        path for p in files
        if (path := str(p.relative_to(ROOT))) not in listed and p.name != "__init__.py"
    )  # fmt: skip
    assert not missing, f"docs/architecture.md does not list {missing}"
