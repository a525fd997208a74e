"""The run flags: lossboard's common fields as flags, a variant's own through --set; every
field /api/variants lists has its spelling, so the CLI cannot drift from the variants."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.cli.main import build_parser
from server.cli.run_flags import FLAGS, spec_values, spelling
from tests.cli.support import lossboard


def parse(*argv: str):
    return build_parser().parse_args(["run", "poly_numpy", *argv])


def sample(schema: dict) -> str:
    """A value of a field's JSON schema, as a command line gives it."""
    for option in schema.get("anyOf", [schema]):
        if "enum" in option:
            return str(option["enum"][-1])
        if option.get("type") in ("integer", "number", "boolean", "string"):
            return {"integer": "7", "number": "0.5", "boolean": "true"}.get(option["type"], "x")
    raise AssertionError(f"a field the CLI cannot give: {schema}")


def test_every_field_in_api_variants_has_its_cli_spelling(shared_client):
    for variant in shared_client.get("/api/variants").json():
        properties = variant["fields_schema"]["properties"]
        for field in variant["fields"]:
            given = sample(properties[field]) if field in properties else "cpu"
            if field in ("iterations", "seed"):
                given = "7"
            flag, _, _ = spelling(field).partition(" ")
            argv = [flag, given] if flag != "--set" else ["--set", f"{field}={given}"]
            args = build_parser().parse_args(["run", variant["id"], *argv])
            values = spec_values(args, FLAGS)
            assert str(values[field]) == given, (variant["id"], field, values)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("N=256", 256),
        ("learning_rate=1e-3", 1e-3),
        ("dtype=float64", "float64"),
        ("full_batch=false", "false"),
    ],
)
def test_set_gives_numbers_as_numbers_and_the_rest_as_text(text, value):
    assert spec_values(parse("--set", text), FLAGS) == {text.split("=")[0]: value}


def test_common_fields_are_flags_not_sets(capsys):
    with pytest.raises(SystemExit):
        parse("--set", "iterations=3")
    assert "iterations is lossboard's own: give it as --iterations" in capsys.readouterr().err
    assert (parse("--iterations", "3").iterations, parse("--device", "cpu").device) == (3, "cpu")


def test_help_lists_the_variants_own_fields_from_the_server(server):
    text = lossboard(server, "run", "poly_numpy", "--help").stdout
    assert "fields of poly_numpy (--set FIELD=VALUE):" in text
    for line in ("--set points=integer", "--set learning_rate=number",
                 "--set dtype=float32|float64"):  # fmt: skip
        assert line in text
    assert "--set N=" not in text  # a fit has no network sizes


def test_set_reaches_the_run_with_each_field_type(server):
    argv = ["--device", "cpu", "--iterations", "2", "--set", "points=40", "--set",
            "learning_rate=1e-7", "--set", "dtype=float64"]  # fmt: skip
    result = lossboard(server, "run", "poly_numpy", *argv)
    assert result.returncode == 0, result.stderr
    config = server.get(f"/api/runs/{result.stdout.strip()}").json()["config"]
    assert (config["points"], config["learning_rate"], config["dtype"]) == (40, 1e-7, "float64")


def test_cli_import_stays_light():
    code = "import sys, server.cli.main; print(sorted({'torch', 'fastapi'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
