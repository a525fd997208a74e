"""The run form's "Run all" by tutorial, in a real browser: every variant of the chosen
variant's tutorial, one seed, then their comparison."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import expect, open_dashboard, run_all_compared, screenshot

pytestmark = pytest.mark.e2e
FITS = [
    "poly_autograd", "poly_dynamic", "poly_function", "poly_module", "poly_nn", "poly_numpy",
    "poly_optim", "poly_tensors",
]  # fmt: skip


def test_run_all_polynomial_fits_then_compare(page, server):
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "poly_module")
    expect(page.locator("#run-all")).to_have_text("Run all 8")
    page.fill("#f-iterations", "60")
    page.fill("#f-seed", "4321")
    rows = run_all_compared(page, 8)
    expect(page.locator("#chart")).to_have_attribute("data-points", str(8 * 60))
    assert sorted(rows.locator(".variant").all_text_contents()) == FITS
    assert set(rows.locator("td:nth-child(7)").all_text_contents()) == {"4321"}  # one seed
    # each legend entry names its run's variant, not the batch it came in
    legend = page.locator("#chart .u-legend .u-series th").all_text_contents()[1:]
    assert sorted(re.sub(r"^#\d+ ", "", label) for label in legend) == [
        f"{fit} · seed 4321" for fit in FITS
    ]
    screenshot(page, "compare-all-fits")


def test_run_all_counts_the_chosen_tutorial(page, server):
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "tensors")
    expect(page.locator("#run-all")).to_have_text("Run all 8")
    expect(page.locator("#run-all")).to_have_attribute("title", re.compile("two-layer network"))
    page.select_option("#f-variant", "poly_numpy")
    expect(page.locator("#run-all")).to_have_attribute("title", re.compile("polynomial fit"))
