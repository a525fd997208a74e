"""Variants from outside the tutorial: installed packages' entry points (group
`lossboard.variants`) and the modules or files that $LOSSBOARD_VARIANTS names.

Each is operator-installed code, imported once. One that fails to import (or declares a variant
wrongly) is left out: its traceback is logged and kept in FAILURES for /api/system, and the
server goes on. Two variants with one id are DuplicateVariant, which stops the server.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import traceback
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from server.training import registry
from server.training.registry import FAILURES, DuplicateVariant

GROUP = "lossboard.variants"  # the entry-point group installed packages declare variants in
ENV = "LOSSBOARD_VARIANTS"  # modules or .py files, separated by commas

log = logging.getLogger("lossboard.variants")


def discover(loaded: set[str], modules: str | None = None) -> None:
    """Import every plugin source not imported yet: entry points, then `modules` (or the
    environment's), recording in `loaded` each one tried."""
    for point in entry_points(group=GROUP):
        source = f"entry point {point.name} = {point.value}"
        if source not in loaded:
            loaded.add(source)
            attempt(source, point.load)
    for name in named(os.environ.get(ENV, "") if modules is None else modules):
        if name not in loaded:
            loaded.add(name)
            attempt(name, lambda name=name: import_source(name))


def use(modules: str | None) -> None:
    """Load every variant, with `modules` (the --variants setting) as $LOSSBOARD_VARIANTS, so
    that Ray's workers are given them too; DuplicateVariant when two share an id."""
    if modules:
        os.environ[ENV] = modules
    registry.load(modules)


def named(value: str) -> list[str]:
    """The modules or files a comma-separated list names."""
    return [part.strip() for part in value.split(",") if part.strip()]


def attempt(source: str, load: Callable[[], object]) -> None:
    """Import one source; a failure is logged with its traceback and kept, not raised."""
    try:
        load()
    except DuplicateVariant:
        raise
    except Exception as exc:
        text = traceback.format_exc()
        log.error("variants from %s left out: %s\n%s", source, exc, text)
        FAILURES.append({"source": source, "error": f"{type(exc).__name__}: {exc}",
                         "traceback": text})  # fmt: skip


def import_source(name: str) -> None:
    """Import a module by name, or a .py file by its path (as a module named after it)."""
    path = Path(name)
    if name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(path.stem, path.resolve())
        if spec is None or spec.loader is None or not path.is_file():
            raise FileNotFoundError(f"no Python file at {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module  # so that its loops' __module__ can be found again
        spec.loader.exec_module(module)
        return
    importlib.import_module(name)


def file_modules(value: str) -> list[Path]:
    """The .py files a list names, resolved (what a Ray worker needs shipped to it)."""
    return [Path(name).resolve() for name in named(value) if name.endswith(".py")]
