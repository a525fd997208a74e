"""Where the pages' templates and static files are, and the Jinja2 environment that renders them.

A wheel carries `templates/` and `static/` inside the package (pyproject force-includes them);
a source checkout keeps them at the top of the repository, beside `server/`.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

import server
from server.protocol import page_constants


def asset_dir(name: str) -> Path:
    """The `templates` or `static` folder: inside the installed package, else the checkout's."""
    packaged = Path(str(resources.files(server) / name))
    if packaged.is_dir():
        return packaged
    return Path(server.__file__).resolve().parent.parent / name


TEMPLATES_DIR, STATIC_DIR = asset_dir("templates"), asset_dir("static")


@cache
def static_url(path: str) -> str:
    """/static/<path>?v=<hash of its content>: a new file gets a new URL."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


# an ES module's static imports of this host's files: `from "./x.js"`, `import "../y.js"`
IMPORTS = re.compile(r"""(?:\bfrom|^import)\s*["'](\.{1,2}/[^"']+)["']""", re.M)


@cache
def module_urls(entry: str) -> tuple[str, ...]:
    """The bare /static URLs of every module that `entry` imports, however deep: preloaded
    together, they load in one round trip instead of one per level of imports."""
    found: dict[str, None] = {}
    todo = [entry]
    while todo:
        path = todo.pop()
        for spec in IMPORTS.findall((STATIC_DIR / path).read_text(encoding="utf-8")):
            imported = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
            if imported not in found:
                found[imported] = None
                todo.append(imported)
    return tuple(f"/static/{path}" for path in found)


@cache
def templates() -> Jinja2Templates:
    """The Jinja2 environment, built on first use; everything it renders is escaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=True,
        lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )  # fmt: skip
    # numbers are formatted by the pages' JS alone, from the raw values the templates give it
    env.globals.update(
        static=static_url,
        module_urls=module_urls,
        version=server.__version__,
        constants=page_constants(),
    )
    return Jinja2Templates(env=env)
