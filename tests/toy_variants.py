"""Variants for the tests of plugins, loaded by a server through LOSSBOARD_VARIANTS (this file's
path): `toy`, whose fields are one of each kind the form draws, and `chatty`, which yields a
string."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

import lossboard


class ToyFields(BaseModel):
    width: int = Field(4, ge=1, le=64, description="how wide")
    rate: float = Field(0.5, gt=0, lt=1, description="how fast the loss falls")
    shape: Literal["flat", "steep"] = "flat"
    noisy: bool = False


@lossboard.variant(id="toy", title="A toy loop", fields=ToyFields, devices=("cpu",))
def toy(config: Any) -> Iterator[dict[str, float]]:
    """A loss that falls by `rate` each step (steep) or a tenth of it (flat), and a ramp."""
    loss, fields = float(config.fields.width), config.fields
    for step in config.steps():
        yield {"loss": loss, "acc": step / config.iterations}
        loss *= fields.rate if fields.shape == "steep" else 1 - fields.rate / 10


@lossboard.variant(id="chatty", title="Yields a string", devices=("cpu",))
def chatty(config: Any) -> Iterator[Any]:
    """A loss, then a word."""
    yield 1.0
    yield "done"
