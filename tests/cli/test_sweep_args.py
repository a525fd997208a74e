"""`lossboard sweep` flags to the POST /api/sweeps body, and each bad flag as a usage error."""

from __future__ import annotations

import pytest

from server.cli.main import build_parser
from server.cli.sweep_parser import value
from server.cli.sweep_table import printable, shown


def spec(*argv: str) -> dict:
    args = build_parser().parse_args(["sweep", *argv])
    args.check(args)
    return args.spec


def usage_error(capsys, *argv: str) -> str:
    """The one error line of `lossboard sweep ARGV`, which must exit 2 before any request."""
    with pytest.raises(SystemExit) as stop:
        spec(*argv)
    assert stop.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


def test_sweep_grid_makes_a_values_param_per_flag():
    body = spec("optim", "--grid", "learning_rate=1e-6,1e-5", "--grid", "optimizer=sgd,adam")
    assert body == {
        "variant": "optim",
        "method": "grid",
        "params": {
            "learning_rate": {"values": [1e-6, 1e-5]},
            "optimizer": {"values": ["sgd", "adam"]},
        },
        "base": {},
    }


def test_sweep_values_read_as_json_numbers_else_strings():
    assert [value(t) for t in ("1e-6", "100", "2.5", "sgd", "true", "nan")] == [
        1e-6,
        100,
        2.5,
        "sgd",
        "true",
        "nan",
    ]


def test_sweep_field_is_spelt_as_the_api_names_it():
    body = spec("nn", "--grid", "learning_rate=1e-4", "--grid", "D_in=8,16")
    assert list(body["params"]) == ["learning_rate", "D_in"]


def test_sweep_random_makes_ranges_and_a_count():
    body = spec(
        "nn",
        "--random",
        "--count",
        "6",
        "--log-uniform",
        "learning_rate=1e-6,1e-3",
        "--uniform",
        "N=1,2",
        "--int-uniform",
        "H=8,64",
    )
    assert body["method"] == "random"
    assert body["count"] == 6
    assert body["params"] == {
        "learning_rate": {"log_uniform": [1e-6, 1e-3]},
        "N": {"uniform": [1, 2]},
        "H": {"int_uniform": [8, 64]},
    }


def test_sweep_random_may_sample_from_listed_values():
    body = spec("optim", "--random", "--count", "3", "--grid", "optimizer=sgd,adam")
    assert body["params"] == {"optimizer": {"values": ["sgd", "adam"]}}


def test_sweep_run_flags_become_the_base():
    body = spec(
        "nn",
        "--grid",
        "H=8,16",
        "--iterations",
        "20",
        "--seed",
        "5",
        "--device",
        "cpu",
        "--set",
        "N=8",
        "--set",
        "D_in=16",
        "--set",
        "D_out=1",
        "--set",
        "dtype=float64",
        "--set",
        "learning_rate=1e-3",
    )
    assert body["base"] == {
        "iterations": 20,
        "seed": 5,
        "device": "cpu",
        "N": 8,
        "D_in": 16,
        "D_out": 1,
        "dtype": "float64",
        "learning_rate": 1e-3,
    }


def test_sweep_options_are_sent_only_when_given():
    body = spec("nn", "--grid", "H=8", "--seeds", "3", "--name", "h", "--max-parallel", "2")
    assert (body["seeds"], body["name"], body["max_parallel"]) == (3, "h", 2)


def test_sweep_extra_variants_make_a_variants_list():
    body = spec("nn", "--variant", "optim", "--grid", "H=8,16")
    assert body["variants"] == ["nn", "optim"]
    assert "variant" not in body


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give what to sweep: --grid FIELD=v1,v2,..."),
        (("--grid", "lr"), "argument --grid: expected FIELD=V1,V2,..., got 'lr'"),
        (("--grid", "=1,2"), "argument --grid: expected FIELD=V1,V2,..., got '=1,2'"),
        (("--grid", "H=8,,16"), "argument --grid: H: an empty value in '8,,16'"),
        (("--grid", "H="), "argument --grid: H: an empty value in ''"),
        (("--log-uniform", "learning_rate=1e-6"), "--log-uniform: learning_rate: expected LO,"),
        (("--int-uniform", "H=8,big"), "--int-uniform: H: expected LO,HI (two numbers), got"),
        (("--log-uniform", "learning_rate=1e-6,1e-3"), "learning_rate: --log-uniform needs"),
        (("--random", "--uniform", "N=1,2"), "--random needs --count N"),
        (("--grid", "H=8", "--count", "3"), "--count needs --random"),
        (("--grid", "H=8", "--grid", "H=16"), "H: swept twice"),
        (("--grid", "learning_rate=1e-4", "--set", "learning_rate=1e-3"), "both swept and fixed"),
        (("--grid", "H=8", "--set", "N"), "argument --set: expected FIELD=VALUE, got 'N'"),
        (("--grid", "H=8", "--set", "seed=1"), "seed is lossboard's own: give it as --seed"),
        (("--grid", "H=8", "--set", "N=1", "--set", "N=2"), "N: given twice"),
    ],
)
def test_sweep_bad_flags_are_usage_errors_naming_the_field(capsys, argv, message):
    line = usage_error(capsys, "numpy", *argv)
    assert line.startswith("lossboard sweep: error: ")
    assert message in line


def test_sweep_bad_number_flag_is_an_argparse_error(capsys):
    assert "--seeds: invalid int value: 'two'" in usage_error(
        capsys, "numpy", "--grid", "H=8", "--seeds", "two"
    )


def test_printable_escapes_control_characters():
    assert printable("a\x1b[31mb\u202ec\n") == "a\\x1b[31mb\\u202ec\\n"


def test_shown_escapes_rich_markup():
    assert shown("[bold]x") == "\\[bold]x"


def test_printable_writes_floats_to_six_digits():
    assert printable(1.0 / 3) == "0.333333"


def test_run_keeps_its_flags_after_the_sweep_shares_them():
    argv = ["run", "nn", "--set", "learning_rate=1e-3", "--seed", "2", "--name", "x"]
    args = build_parser().parse_args(argv)
    assert (args.sets, args.seed, args.name) == ([("learning_rate", 1e-3)], 2, "x")


def test_sweep_search_flags_make_method_pruner_and_objective():
    body = spec("nn", "--method", "tpe", "--pruner", "median", "--count", "30",
                "--log-uniform", "learning_rate=1e-7,1e-3", "--report-every", "20",
                "--objective", "mean_last", "--k", "5")  # fmt: skip
    assert body == {
        "variant": "nn",
        "method": "tpe",
        "params": {"learning_rate": {"log_uniform": [1e-7, 1e-3]}},
        "base": {},
        "count": 30,
        "pruner": "median",
        "report_every": 20,
        "objective": "mean_last",
        "k": 5,
    }


def test_sweep_search_without_count_or_with_another_random_is_a_usage_error(capsys):
    args = ("nn", "--method", "tpe", "--log-uniform", "learning_rate=1e-7,1e-3")
    assert "--method tpe needs --count N" in usage_error(capsys, *args)
    both = ("nn", "--random", "--method", "cmaes", "--count", "3", "--uniform", "learning_rate=0,1")
    assert "--random and --method cmaes: give one of them" in usage_error(capsys, *both)
