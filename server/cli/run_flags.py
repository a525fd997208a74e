"""The flags of `lossboard run` and `lossboard sweep`: lossboard's common fields as flags made
from RunSpec's (--device, --iterations, --seed, --name, --rerun-of), and a variant's own fields
as `--set FIELD=VALUE`, which `lossboard run VARIANT --help` lists from the server's
/api/variants, so no flag is written by hand for a variant's field.

Light on purpose: server.training.spec imports pydantic and the registry, not the loops (and so
not torch)."""

from __future__ import annotations

import argparse
import json
import typing
from typing import Any, Literal

from server.training.registry import COMMON_FIELDS
from server.training.spec import RunSpec

POSITIONAL = ("variant",)  # `lossboard run VARIANT`
FLAGS = tuple(f for f in COMMON_FIELDS if f not in POSITIONAL)  # device, iterations, seed, ...
# a run's alone: a sweep says the first two its own way (--seed S --seeds K, --name), and
# its runs repeat no run
NOT_SWEPT_BASE = ("seed", "name", "rerun_of")
SET = "--set"


def flag(field: str) -> str:
    """The CLI flag of a common field: --field with "_" as "-"."""
    return "--" + field.replace("_", "-")


def spelling(field: str) -> str:
    """How the CLI gives a field of /api/variants: its flag, or --set FIELD=."""
    return flag(field) if field in FLAGS else f"{SET} {field}="


def field_type(annotation: Any) -> dict[str, Any]:
    """argparse's type= or choices= for a field's annotation (None is what an unset flag is)."""
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if typing.get_origin(kinds[0]) is Literal:
        return {"choices": typing.get_args(kinds[0])}
    return {"type": kinds[0]} if kinds[0] in (int, float) else {}


def add_fields(parser: argparse.ArgumentParser, names: list[str]) -> None:
    """A flag for each of `names` (common fields), typed and described as RunSpec declares."""
    for name in names:
        info = RunSpec.model_fields[name]
        parser.add_argument(flag(name), dest=name, help=info.description,
                            **field_type(info.annotation))  # fmt: skip


def setting(text: str) -> tuple[str, Any]:
    """A --set FIELD=VALUE: the field and its value (a number when JSON reads one, else the
    text, which the server's validation reads as its field's type: true, relu, ...)."""
    field, equals, raw = text.partition("=")
    field = field.strip()
    if not equals or not field.isidentifier():
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE, got {text!r}")
    if field in FLAGS:
        raise argparse.ArgumentTypeError(f"{field} is lossboard's own: give it as {flag(field)}")
    return field, value(raw.strip())


setting.__name__ = SET  # argparse names the flag's type in its messages


def value(text: str) -> int | float | str:
    """A number when JSON reads one (1e-6 is a float, 100 an int), else the text itself."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, int | float) and not isinstance(parsed, bool) else text


def run_fields() -> argparse.ArgumentParser:
    """The fields a sweep fixes and a run sets, shared by `run` and `sweep`: the common ones as
    flags, a variant's own through --set."""
    parser = argparse.ArgumentParser(add_help=False)
    add_fields(parser, [f for f in FLAGS if f not in NOT_SWEPT_BASE])
    parser.add_argument(
        SET, dest="sets", action="append", type=setting, metavar="FIELD=VALUE", default=[],
        help="one of the variant's own fields (repeatable); `lossboard run VARIANT --help` "
        "lists them",
    )  # fmt: skip
    return parser


def spec_values(args: argparse.Namespace, names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The fields given on the command line, by their API names: flags, then each --set."""
    given = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    for field, set_value in getattr(args, "sets", None) or []:
        if field in given:
            raise ValueError(f"{field}: given twice; give it once")
        given[field] = set_value
    return given


def fields_help(variant: dict) -> str:
    """A variant's own fields as `--help` lists them, from its /api/variants entry."""
    properties = variant.get("fields_schema", {}).get("properties", {})
    lines = [f"fields of {variant['id']} (--set FIELD=VALUE):"]
    for name, schema in properties.items():
        kind = schema_kind(schema)
        default = variant.get("defaults", {}).get(name, schema.get("default"))
        about = schema.get("description", "")
        lines.append(f"  {SET} {name}={kind}  {about} (default {default})".rstrip())
    return "\n".join(lines if properties else [*lines, "  (none)"])


def schema_kind(schema: dict) -> str:
    """A field's JSON schema as a word: its choices, or its type (null left out)."""
    for option in schema.get("anyOf", [schema]):
        if "enum" in option:
            return "|".join(map(str, option["enum"]))
        if option.get("type") not in (None, "null"):
            return str(option["type"])
    return "VALUE"
