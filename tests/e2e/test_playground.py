"""The playground page in a real browser: pick a tutorial cell, run it, read its Out cards."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, screenshot

pytestmark = pytest.mark.e2e


def open_playground(page, base_url: str) -> None:
    page.goto(base_url + "/playground")
    expect(page.locator("#run-code")).to_be_enabled()


def run_with_keys(page) -> None:
    """Ctrl+Enter in the editor, then wait for the answer to be shown."""
    runs = int(page.locator("#outputs").get_attribute("data-runs"))
    page.locator("#code").press("Control+Enter")
    expect(page.locator("#outputs")).to_have_attribute("data-runs", str(runs + 1))


def cards(page):
    return page.locator("#out-cards .out-card")


def test_view_cell_shows_shapes_and_one_shared_storage(page, server):
    open_playground(page, server.url)
    page.select_option("#cell-picker", "view")
    assert "z = x.view(-1,8)" in page.locator("#code").input_value()
    run_with_keys(page)

    expect(page.locator("#outputs")).to_have_attribute("data-state", "done")
    expect(cards(page)).to_have_count(3)
    shapes = cards(page).locator('[data-fact="shape"]')
    expect(shapes).to_have_text(["[4, 4]", "[16]", "[2, 8]"])
    expect(cards(page).locator(".out-label")).to_have_text(["Out[1]", "Out[2]", "Out[3]"])
    expect(cards(page).locator(".out-source")).to_have_text(["x", "y", "z"])
    expect(cards(page).locator(".storage")).to_have_text(["s1", "s1", "s1"])
    expect(page.locator("#storage-legend")).to_contain_text("same memory")
    expect(page.locator("#run-status")).to_contain_text(" ms")
    screenshot(page, "playground-view-cell")


def test_numpy_bridge_cell_shows_a_and_b_sharing_memory(page, server):
    open_playground(page, server.url)
    page.select_option("#cell-picker", "to-numpy")
    run_with_keys(page)

    expect(cards(page)).to_have_count(4)
    expect(cards(page).locator(".out-source")).to_have_text(["a", "b", "b", "a"])
    expect(cards(page).nth(2).locator(".out-repr")).to_have_text(
        "array([1., 2., 1., 1., 1.], dtype=float32)"
    )
    expect(cards(page).nth(3).locator(".out-repr")).to_have_text("tensor([1., 2., 1., 1., 1.])")
    expect(cards(page).locator(".storage")).to_have_text(["s1"] * 4)
    expect(cards(page).nth(1).locator('[data-fact="dtype"]')).to_have_text("float32")
    screenshot(page, "playground-numpy-bridge")


def test_refused_snippet_names_its_line_and_selects_it(page, server):
    open_playground(page, server.url)
    page.fill("#code", "import torch\nx = torch.ones(3)\nopen('x')\nx")
    run_with_keys(page)

    expect(page.locator("#outputs")).to_have_attribute("data-state", "error")
    error = page.locator("#run-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("line 3, col 1")
    expect(error).to_contain_text("open")
    expect(cards(page)).to_have_count(0)
    expect(page.locator("#gutter .error-line")).to_have_text("3")
    selected = page.locator("#code").evaluate(
        "el => el.value.slice(el.selectionStart, el.selectionEnd)"
    )
    assert selected == "open('x')"
    screenshot(page, "playground-refused")


def test_tab_indents_in_the_editor(page, server):
    open_playground(page, server.url)
    page.fill("#code", "if True:\n")
    page.locator("#code").press("End")
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")
    page.keyboard.type("x = 1")
    expect(page.locator("#code")).to_have_value("if True:\n    x = 1")
    expect(page.locator("#code")).to_be_focused()
