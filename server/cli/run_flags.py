"""The flags of `lossboard run` and `lossboard sweep`, made from RunSpec's fields: their types,
choices and descriptions are the API's own, so a field added to a run is a flag at once.

Light on purpose: server.training.spec imports pydantic and the registry, not the loops (and so
not torch); a field's description says its default, which is the variant's own where variants
differ (`lossboard variants` lists each one's)."""

from __future__ import annotations

import argparse
import typing
from typing import Any, Literal

from server.training.spec import RunSpec

# The flag each field is spelt as, where it is not --field with "_" as "-" (--D-in for D_in).
SPELLINGS = {"learning_rate": "--lr"}
POSITIONAL = ("variant",)  # `lossboard run VARIANT`
# a run's alone: a sweep says the first two its own way (--seed S --seeds K, --name), and
# its runs repeat no run
NOT_SWEPT_BASE = ("seed", "name", "rerun_of")


def flag(field: str) -> str:
    """The CLI spelling of a RunSpec field."""
    return SPELLINGS.get(field, "--" + field.replace("_", "-"))


def field_type(annotation: Any) -> dict[str, Any]:
    """argparse's type= or choices= for a field's annotation (None is what an unset flag is)."""
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if typing.get_origin(kinds[0]) is Literal:
        return {"choices": typing.get_args(kinds[0])}
    return {"type": kinds[0]} if kinds[0] in (int, float) else {}


def fields(exclude: tuple[str, ...] = ()) -> list[str]:
    """RunSpec's field names as the CLI offers them, in the API's order."""
    return [f for f in RunSpec.model_fields if f not in POSITIONAL + exclude]


def add_fields(parser: argparse.ArgumentParser, names: list[str]) -> None:
    """A flag for each of `names`, typed and described as RunSpec declares them."""
    for name in names:
        info = RunSpec.model_fields[name]
        metavar = "LR" if name == "learning_rate" else None
        parser.add_argument(
            flag(name), dest=name, metavar=metavar, help=info.description,
            **field_type(info.annotation),
        )  # fmt: skip


def run_fields() -> argparse.ArgumentParser:
    """The fields a sweep fixes and a run sets, as flags, shared by `run` and `sweep`."""
    parser = argparse.ArgumentParser(add_help=False)
    add_fields(parser, fields(exclude=NOT_SWEPT_BASE))
    return parser


def spec_values(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    """The fields given on the command line, by their API names."""
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
