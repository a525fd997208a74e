"""What a loop may yield each step: a loss, or a dict of named floats whose `loss` is the
primary and whose others go into the batch as series at the step."""

from __future__ import annotations

import numpy as np
import pytest

from server.training.drive import Batch, named_series


def test_a_number_is_the_loss_and_adds_no_series():
    batch = Batch()
    assert named_series(batch, np.float32(0.5), 3, 0.1) == 0.5 and batch.samples == []


def test_a_dicts_loss_is_the_primary_and_the_rest_series_at_the_step():
    batch = Batch()
    assert named_series(batch, {"loss": 2, "acc": np.float64(0.25), "lr": 1e-3}, 7, 1.5) == 2.0
    (sample,) = batch.samples
    assert (sample.step, sample.time, sample.values) == (7, 1.5, {"acc": 0.25, "lr": 1e-3})


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        ("done", "the loop yielded str 'done' at step 4: yield a loss (a float) or a dict"),
        (None, "the loop yielded NoneType None at step 4"),
        ({"acc": 1.0}, "the loop yielded a dict without 'loss' at step 4 (acc)"),
        ({"loss": 1.0, "": 2.0}, "the loop yielded series '' at step 4: a series name has 1 to"),
        ({"loss": 1.0, 3: 2.0}, "the loop yielded series 3 at step 4: a series name is a string"),
    ],
)
def test_anything_else_is_a_type_error_saying_what_the_loop_yielded(reading, message):
    with pytest.raises(TypeError) as raised:
        named_series(Batch(), reading, 4, 0.0)
    assert str(raised.value).startswith(message)
