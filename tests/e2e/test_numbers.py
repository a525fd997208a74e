"""The pages' number formats, run in the browser: static/js/numbers.js is the only formatter."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e
FORMAT_JS = """async ([name, value]) => {
  const numbers = await import("/static/js/numbers.js");
  return numbers[name](value);
}"""


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (0, "0"), (12345678.0, "1.235e7"), (0.00025514, "2.551e-4"), (3.14159, "3.142")],
)
def test_loss_format_reads_short(tab, value, text):
    assert tab.evaluate(FORMAT_JS, ["fmtLoss", value]) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (99_999, "99,999"), (250_300, "250.3K"), (1_000_000, "1M")]
)
def test_count_format_exact_then_compact(tab, value, text):
    assert tab.evaluate(FORMAT_JS, ["fmtCount", value]) == text


@pytest.mark.parametrize(("value", "text"), [(None, "—"), (2.3456, "2.35"), (12345.6, "12,346")])
def test_rate_format_whole_from_100(tab, value, text):
    assert tab.evaluate(FORMAT_JS, ["fmtRate", value]) == text


@pytest.mark.parametrize(
    ("value", "text"), [(None, "—"), (4.2, "4.2 s"), (61, "1 min 1 s"), (3725, "1 h 2 min")]
)
def test_seconds_format_in_units(tab, value, text):
    assert tab.evaluate(FORMAT_JS, ["fmtSeconds", value]) == text
