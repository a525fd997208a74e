"""The ten run colours of each theme (static/js/colors.js) are told apart at a glance."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from coloraide import Color

COLORS_JS = Path(__file__).parents[2] / "static" / "js" / "colors.js"
MIN_DELTA_E = 15  # CIEDE2000: about where two thin lines stop passing for one


def palette(theme: str) -> list[str]:
    """The hex colours of `theme`'s palette, as colors.js lists them."""
    block = re.search(rf"^\s*{theme}: \[(.*?)\]", COLORS_JS.read_text(), re.M | re.S)
    assert block is not None, f"no {theme} palette in colors.js"
    return re.findall(r'"(#[0-9a-f]{6})"', block.group(1))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_palette_has_ten_distinct_colours(theme):
    assert len(set(palette(theme))) == 10


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_two_run_colours_differ_by_ciede2000_15(theme):
    close = [
        (a, b, round(Color(a).delta_e(b, method="2000"), 1))
        for a, b in itertools.combinations(palette(theme), 2)
        if Color(a).delta_e(b, method="2000") < MIN_DELTA_E
    ]
    assert close == []
