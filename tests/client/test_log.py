"""log() on the calling thread: what it keeps, what it drops (with one warning), and that
it never raises; and what `import lossboard` loads."""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import warnings

import numpy as np
import orjson
import pytest
import torch

import lossboard


@pytest.fixture
def run() -> lossboard.Run:
    return lossboard.init(mode="disabled")


def test_import_loads_no_torch_fastapi_httpx_nor_websockets():
    code = "import sys, lossboard; print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    for heavy in ("'torch'", "'fastapi'", "'httpx'", "'websockets'", "'numpy'", "'orjson'"):
        assert heavy not in loaded


def logged(run: lossboard.Run) -> dict[str, list[tuple[int, float]]]:
    """Finish an offline run and read back its points by series."""
    run.finish()
    points: dict[str, list[tuple[int, float]]] = {}
    for batch in run.dir.in_order():
        for name, series in orjson.loads(batch.body)["series"].items():
            points.setdefault(name, []).extend(zip(series["step"], series["value"], strict=True))
    return points


def test_default_step_counts_calls_and_follows_an_explicit_one():
    run = lossboard.init(mode="offline")
    run.log({"loss": 1.0})
    run.log({"loss": 2.0})
    run.log({"loss": 3.0}, step=10)
    run.log({"loss": 4.0})
    assert logged(run) == {"loss": [(0, 1.0), (1, 2.0), (10, 3.0), (11, 4.0)]}
    assert run.summary == {"loss": 4.0}


def test_step_going_back_in_a_series_is_dropped_with_one_warning(run):
    run.log({"loss": 1.0}, step=5)
    with pytest.warns(RuntimeWarning, match="step going backwards in series 'loss': 3 after 5"):
        run.log({"loss": 2.0, "val/acc": 0.5}, step=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.log({"loss": 2.0}, step=4)  # the same problem again: no second warning
    assert run.summary == {"loss": 1.0, "val/acc": 0.5}


@pytest.mark.parametrize(
    ("name", "reason"),
    [("", "1 to 128"), ("x" * 129, "1 to 128"), ("a\nb", "printable"), (3, "a string")],
)
def test_bad_series_name_is_dropped_with_a_warning(run, name, reason):
    with pytest.warns(RuntimeWarning, match=reason):
        run.log({name: 1.0, "loss": 2.0})
    assert run.summary == {"loss": 2.0}


def test_more_than_a_thousand_series_drops_the_rest(run):
    run.log({f"s{i}": 1.0 for i in range(1000)})
    with pytest.warns(RuntimeWarning, match="too many series"):
        run.log({"one more": 1.0})
    assert "one more" not in run.summary


def test_numbers_of_every_kind_are_kept_as_floats(run):
    run.log({"int": 3, "bool": True, "np": np.float32(0.5), "torch": torch.tensor(0.25)})
    assert run.summary == {"int": 3.0, "bool": 1.0, "np": 0.5, "torch": 0.25}
    assert all(type(v) is float for v in run.summary.values())


@pytest.mark.parametrize("value", ["1.5", None, [1.0], torch.ones(2)])
def test_non_number_is_dropped_with_a_warning(run, value):
    with pytest.warns(RuntimeWarning, match="not a number"):
        run.log({"loss": value, "ok": 1.0})
    assert run.summary == {"ok": 1.0}


def test_non_finite_values_are_kept(run):
    run.log({"loss": math.nan, "lr": math.inf})
    assert math.isnan(run.summary["loss"]) and run.summary["lr"] == math.inf


@pytest.mark.parametrize(
    ("metrics", "step"), [(None, None), ({"loss": 1.0}, -1), ({"loss": 1.0}, "3"), (42, 1)]
)
def test_log_never_raises(run, metrics, step):
    with pytest.warns(RuntimeWarning, match="lossboard dropped"):
        run.log(metrics, step=step)


def test_log_never_raises_even_under_warnings_as_errors(run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.log({"": 1.0})


def test_numpy_and_torch_integers_are_steps():
    run = lossboard.init(mode="offline")
    run.log({"loss": 1.0}, step=np.int64(4))
    run.log({"loss": 2.0}, step=torch.tensor(7))
    assert logged(run) == {"loss": [(4, 1.0), (7, 2.0)]}


def test_config_reads_as_attributes_and_items():
    run = lossboard.init(mode="disabled", config={"lr": 0.1})
    assert run.config.lr == run.config["lr"] == 0.1
    run.config.batch = 32
    assert lossboard.config == {"lr": 0.1, "batch": 32}


def test_module_log_before_init_says_to_call_init():
    lossboard.current = None
    with pytest.raises(lossboard.LossboardError, match="init"):
        lossboard.log({"loss": 1.0})


def test_unknown_mode_is_refused():
    with pytest.raises(lossboard.LossboardError, match="mode must be one of"):
        lossboard.init(mode="sometimes")


def test_config_from_argparse_is_taken_as_its_fields():
    run = lossboard.init(mode="disabled", config=argparse.Namespace(lr=0.1, epochs=3))
    assert run.config == {"lr": 0.1, "epochs": 3}
