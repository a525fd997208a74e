"""The pages' keyboard shortcuts in a real browser: on the dashboard / searches and n goes to
the run form; on a run page c cancels once asked; ? lists them; none fires while typing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import expect, open_dashboard
from tests.helpers import TINY

pytestmark = pytest.mark.e2e


def test_slash_focuses_the_runs_search(page, server):
    open_dashboard(page, server.url)
    page.keyboard.press("/")
    expect(page.locator("#runs-filters input[name=q]")).to_be_focused()
    page.keyboard.type("n")  # typed into the search, not a shortcut
    expect(page.locator("#runs-filters input[name=q]")).to_have_value("n")


def test_n_goes_to_the_run_form(page, server):
    open_dashboard(page, server.url)
    page.keyboard.press("n")
    expect(page.locator("#f-variant")).to_be_focused()


def test_question_mark_lists_the_shortcuts(page, server):
    open_dashboard(page, server.url)
    page.keyboard.press("?")
    dialog = page.locator("#shortcuts-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("dt")).to_have_text(["/", "n", "?"])
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_c_cancels_a_run_once_asked(page, server):
    body = {"variant": "tensors", "iterations": 10_000_000, **TINY}
    run_id = server.api("POST", "/api/runs", json=body).json()["id"]
    page.goto(f"{server.url}/runs/{run_id}")
    status = page.locator('#page [data-field="status"]').first
    expect(status).to_have_text("running")
    page.keyboard.press("c")
    page.get_by_role("button", name="Keep it").click()
    expect(status).to_have_text("running")
    page.keyboard.press("c")
    page.get_by_role("button", name="Cancel run").click()
    expect(status).to_have_text("cancelled")
