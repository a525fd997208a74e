"""A polynomial fit's run page in a real browser: the fit chart beside the loss, drawn from the
streamed parameters, scrubbed to a stored step, and the form's fields for a fit."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.e2e.conftest import expect, open_dashboard, screenshot
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e
MODULE_JS = """async ([name, args]) => {
  const fit = await import("/static/js/fitview.js");
  const plot = await import("/static/js/fitplot.js");
  const numbers = await import("/static/js/numbers.js");
  return ({ ...fit, ...plot, ...numbers })[name](...args);
}"""
HISTORY_JS = """async ([adds, step]) => {
  const { ParamHistory } = await import("/static/js/fitview.js");
  const history = new ParamHistory();
  for (const [s, p] of adds) history.add(s, p);
  return [history.steps, history.at(step)];
}"""
FRACTIONS = (0.05, 0.27, 0.5, 0.73, 0.95)  # where the cursor reads the drawn curve


def cubic(p: dict, x: float) -> float:
    return p["a"] + p["b"] * x + p["c"] * x**2 + p["d"] * x**3


def stored_params(server, run_id: int) -> tuple[list[int], list[dict]]:
    """Every stored (step, parameters) of a run, page by page."""
    steps: list[int] = []
    params: list[dict] = []
    after = -1
    while after is not None:
        page = server.get(f"/api/runs/{run_id}/params?after={after}").json()
        steps += page["step"]
        params += page["params"]
        after = page["next_after"]
    return steps, params


def finished(server, run_id: int) -> dict:
    def done() -> dict | None:
        run = server.get(f"/api/runs/{run_id}").json()
        return run if run["status"] not in ("queued", "running") else None

    return wait_for(done, timeout=120)


def drawn(page) -> list[tuple[float, float]]:
    """(x, model y) read from the fit chart's legend with the cursor at FRACTIONS of its width."""
    over = page.locator("#fit-chart .u-over")
    box = over.bounding_box()
    values = page.locator("#fit-chart .u-legend .u-series .u-value")
    points = []
    for fraction in FRACTIONS:
        page.mouse.move(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
        expect(values.nth(0)).not_to_have_text("—")
        points.append((float(values.nth(0).inner_text()), float(values.nth(2).inner_text())))
    assert len({x for x, _ in points}) == len(FRACTIONS)
    return points


def assert_drawn_cubic(page, params: dict) -> None:
    for x, y in drawn(page):
        assert y == pytest.approx(cubic(params, x), rel=1e-3, abs=1e-3), x


@pytest.fixture(scope="module")
def tensors_run(server) -> int:
    """A default poly_tensors run, finished."""
    run = server.api("POST", "/api/runs", json={"variant": "poly_tensors", "seed": 3}).json()
    assert finished(server, run["id"])["status"] == "completed"
    return run["id"]


# ---- the modules


def test_param_history_finds_step_at_or_before(tab):
    adds = [[0, {"a": 0}], [40, {"a": 2}], [20, {"a": 1}], [40, {"a": 9}]]
    steps, entry = tab.evaluate(HISTORY_JS, [adds, 39])
    assert steps == [0, 20, 40]  # in order, the repeat of 40 ignored
    assert entry == {"step": 20, "params": {"a": 1}}


def test_param_history_before_first_gives_first(tab):
    _, entry = tab.evaluate(HISTORY_JS, [[[5, {"a": 1}], [9, {"a": 2}]], 0])
    assert entry["step"] == 5


def test_formula_reads_as_tutorial_prints_it(tab):
    params = {"a": -0.0021, "b": 0.8436, "c": 0.000363, "d": -0.09134}
    text = tab.evaluate(MODULE_JS, ["formula", ["cubic", params]])
    assert text == "y = -0.0021 + 0.8436 x + 3.63e-4 x^2 + -0.09134 x^3"


def test_formula_of_legendre_fit_names_p3(tab):
    params = {"a": 0.0, "b": -1.0, "c": 0.0, "d": 0.3}
    text = tab.evaluate(MODULE_JS, ["formula", ["legendre", params]])
    assert text == "y = 0 + -1 * P3(0 + 0.3 x)"


def test_quintic_fit_draws_cubic_part_and_full_quintic(tab):
    curves = """async (p) => {
      const { modelCurves } = await import("/static/js/fitplot.js");
      return modelCurves("quintic", p).map((c) => [c.label, c.f(2)]);
    }"""
    p = {"a": 1, "b": 1, "c": 1, "d": 1, "e": 0.5}
    assert tab.evaluate(curves, p) == [["cubic part", 15], ["quintic", 15 + 0.5 * 16 + 0.5 * 32]]


# ---- the run page


def test_fit_chart_changes_while_poly_module_trains(page, server):
    body = {"variant": "poly_module", "iterations": 500_000}
    run_id = server.api("POST", "/api/runs", json=body).json()["id"]
    page.goto(f"{server.url}/runs/{run_id}")
    card = page.locator("#fit-card")
    expect(card).to_have_attribute("data-step", re.compile(r"^\d+$"), timeout=60_000)  # started
    chart = page.locator("#fit-chart canvas")
    first, image = card.locator('[data-field="formula"]').inner_text(), chart.screenshot()
    expect(card.locator('[data-field="formula"]')).not_to_have_text(first, timeout=30_000)
    wait_for(lambda: chart.screenshot() != image)  # the drawn curve moved
    screenshot(page, "fit-poly-module-training")
    page.click("#cancel-run")
    expect(page.locator('[data-field="status"]').first).to_have_text("cancelled")


def test_fit_after_run_draws_final_cubic(page, server, tensors_run):
    steps, params = stored_params(server, tensors_run)
    page.goto(f"{server.url}/runs/{tensors_run}")
    expect(page.locator("#fit-card")).to_have_attribute("data-step", str(steps[-1]))
    assert_drawn_cubic(page, params[-1])
    screenshot(page, "fit-poly-tensors-done")


def test_fit_after_run_stays_near_sin(page, server, tensors_run):
    final = stored_params(server, tensors_run)[1][-1]
    xs = np.linspace(-math.pi, math.pi, 2001)
    assert float(np.max(np.abs(cubic(final, xs) - np.sin(xs)))) < 0.25
    page.goto(f"{server.url}/runs/{tensors_run}")
    shown = page.locator('#fit-card [data-field="fit-error"]')
    expect(shown).to_have_text(re.compile(r"^0\.\d+$"))
    assert float(shown.inner_text()) < 0.25
    expect(page.locator("#fit-card")).to_contain_text("largest distance of the model's curve from")


def test_fit_page_footer_names_no_two_layer_network(page, server, tensors_run):
    page.goto(f"{server.url}/runs/{tensors_run}")
    expect(page.locator("footer")).to_contain_text("Learning PyTorch with Examples")
    expect(page.locator("footer")).not_to_contain_text("two-layer network")


def test_fit_formula_shows_final_parameters(page, server, tensors_run):
    final = stored_params(server, tensors_run)[1][-1]
    page.goto(f"{server.url}/runs/{tensors_run}")
    formula = page.locator('#fit-card [data-field="formula"]')
    expect(formula).to_have_text(re.compile(r"^y = \S+ \+ \S+ x \+ \S+ x\^2 \+ \S+ x\^3$"))
    terms = formula.inner_text().removeprefix("y = ").split(" + ")
    numbers = [float(term.split(" ")[0]) for term in terms]
    assert numbers == pytest.approx([final[k] for k in "abcd"], rel=1e-3)


def test_scrub_to_step_zero_shows_initial_curve(page, server, tensors_run):
    steps, params = stored_params(server, tensors_run)
    page.goto(f"{server.url}/runs/{tensors_run}")
    card = page.locator("#fit-card")
    expect(card).to_have_attribute("data-step", str(steps[-1]))
    page.focus("#fit-step")
    page.keyboard.press("Home")
    expect(card).to_have_attribute("data-step", "0")
    expect(card.locator('[data-field="fit-at"]')).to_have_text("0")
    assert_drawn_cubic(page, params[0])


def test_scrubbing_a_fast_run_shows_its_fit_every_percent(page, server, tensors_run):
    page.goto(f"{server.url}/runs/{tensors_run}")
    card = page.locator("#fit-card")
    expect(card).to_have_attribute("data-step", re.compile(r"^[1-9]"))
    page.focus("#fit-step")
    page.keyboard.press("Home")
    shown = set()
    for _ in range(4):  # a few steps along the slider, each lands on a stored fit near it
        page.keyboard.press("PageUp")  # a tenth of the range at a time
        expect(card).not_to_have_attribute("data-step", "0")
        shown.add(int(card.get_attribute("data-step")))
    assert len(shown) == 4  # a fast run stored about 5 fits in all: the scrubber jumped


def test_loss_cursor_scrubs_fit_to_its_step(page, server, tensors_run):
    steps, _ = stored_params(server, tensors_run)
    page.goto(f"{server.url}/runs/{tensors_run}")
    card = page.locator("#fit-card")
    expect(card).to_have_attribute("data-step", str(steps[-1]))
    box = page.locator("#chart .u-over").bounding_box()
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
    expect(card).to_have_attribute("data-step", "0")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    cursor = page.locator("#chart .u-legend .u-series .u-value").first.inner_text()
    at_or_before = max(s for s in steps if s <= int(cursor.replace(",", "")))
    expect(card).to_have_attribute("data-step", str(at_or_before))


def test_two_layer_run_page_has_no_fit(page, server):
    page.goto(f"{server.url}/runs/{server.big_run_id}")
    expect(page.locator("#chart")).not_to_have_attribute("data-points", "0")
    expect(page.locator("#fit-card")).to_have_count(0)


# ---- the form


def test_form_hides_sizes_for_polynomial_variant(page, server):
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "poly_tensors")
    for name in ("N", "D_in", "H", "D_out"):
        expect(page.locator(f"#f-{name}")).to_be_hidden()
    expect(page.locator("#f-points")).to_be_visible()
    expect(page.locator("#f-points")).to_have_value("2000")
    expect(page.locator("#f-iterations")).to_have_value("2000")


def test_form_shows_sizes_for_two_layer_variant(page, server):
    open_dashboard(page, server.url)
    page.select_option("#f-variant", "poly_dynamic")
    expect(page.locator("#f-iterations")).to_have_value("30000")
    page.select_option("#f-variant", "tensors")
    for name in ("N", "D_in", "H", "D_out"):
        expect(page.locator(f"#f-{name}")).to_be_visible()
    expect(page.locator("#f-points")).to_be_hidden()
    expect(page.locator("#f-iterations")).to_have_value("500")


def test_form_groups_variants_by_tutorial(page, server):
    open_dashboard(page, server.url)
    groups = page.locator("#f-variant optgroup")
    expect(groups).to_have_count(2)
    labels = groups.evaluate_all("gs => gs.map(g => g.label)")
    assert labels == ["two-layer network", "polynomial fit"]
    fits = groups.nth(1).locator("option").evaluate_all("os => os.map(o => o.value)")
    assert fits and all(value.startswith("poly_") for value in fits)


def test_diverged_fit_page_draws_what_it_has(page, server):
    body = {"variant": "poly_tensors", "learning_rate": 0.5, "iterations": 300}
    run_id = server.api("POST", "/api/runs", json=body).json()["id"]
    assert finished(server, run_id)["status"] == "diverged"
    steps, _ = stored_params(server, run_id)
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.locator("#fit-card")).to_have_attribute("data-step", str(steps[-1]))
    expect(page.locator('#fit-card [data-field="formula"]')).to_have_text(re.compile(r"^y = "))
