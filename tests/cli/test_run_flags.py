"""The run flags are RunCreate's fields: none is missing, each parses to its API value."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from server.cli.main import build_parser
from server.cli.run_flags import flag
from server.training import registry
from server.web.schemas import RunCreate

FIELDS = [f for f in RunCreate.model_fields if f != "variant"]
SAMPLES = {int: "7", float: "0.5"}


def parse(*argv: str):
    return build_parser().parse_args(["run", "poly_numpy", *argv])


def run_parser() -> argparse.ArgumentParser:
    """The `run` subcommand's parser (argparse has no public way to it)."""
    subcommands = next(a for a in build_parser()._actions if a.dest == "command")
    return subcommands.choices["run"]


@pytest.mark.parametrize("field", FIELDS)
def test_every_run_create_field_has_a_run_flag(field):
    action = next((a for a in run_parser()._actions if a.dest == field), None)
    assert action is not None, f"RunCreate.{field} has no flag on `lossboard run`"
    value = action.choices[0] if action.choices else SAMPLES.get(action.type, "text")
    parsed = getattr(parse(flag(field), str(value)), field)
    assert parsed == (action.type(value) if action.type else value)


def test_points_flag_reaches_the_request():
    args = parse("--points", "300")
    assert args.points == 300


def test_help_shows_the_registrys_own_size_defaults():
    text = run_parser().format_help()
    for name, default in registry.KNOB_DEFAULTS.items():
        assert f"{flag(name)}" in text and f": {default}" in text


def test_cli_import_stays_light():
    code = "import sys, server.cli.main; print(sorted({'torch', 'fastapi'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
