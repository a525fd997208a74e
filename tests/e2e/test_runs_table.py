"""The dashboard's runs table in a real browser: paging to the oldest of 120 runs, sorting and
filtering (kept in the URL across a reload), delete asking first, multi-select, queue places."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.store.sqlite import Store
from server.training.spec import RunSpec, resolve
from tests.e2e.conftest import Server, expect, open_dashboard, row, serve
from tests.helpers import TINY, wait_for

pytestmark = pytest.mark.e2e
SEEDED = 120
VARIANTS = ("numpy", "tensors", "autograd")
STATUSES = ("completed", "completed", "failed", "cancelled")


def seeded_run(i: int, now: float) -> dict:
    """The i-th of the seeded runs: variants, statuses and losses that differ from run to run."""
    variant = VARIANTS[i % len(VARIANTS)]
    config = resolve(RunSpec(variant=variant, iterations=100, seed=i, **TINY), "cpu").as_dict()
    return {
        "variant": variant, "name": f"seeded {i:03d}", "config": config, "device": "cpu",
        "status": STATUSES[i % len(STATUSES)], "iteration": 100, "last_loss": 1.0 + i,
        "best_loss": 1000.0 - i * 7 % 997, "iterations_per_second": 1000.0,
        "created_at": now - 3600 + i, "started_at": now - 3600 + i, "finished_at": now - 3599 + i,
        "notes": "a needle in run 42" if i == 42 else "", "tags": ["seeded"] if i % 10 == 0 else [],
    }  # fmt: skip


def seed_runs(data_dir: Path) -> None:
    """SEEDED finished runs, ids 1 … SEEDED, written into the store the server will open."""
    store = Store(data_dir)
    store.open()
    try:
        now = time.time()
        for i in range(1, SEEDED + 1):
            store.create_run(seeded_run(i, now))
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """This module's own server (the `page` fixture uses it), with SEEDED runs in its store."""
    data_dir = tmp_path_factory.mktemp("runs-table")
    seed_runs(data_dir)
    with serve(data_dir) as url:
        yield Server(url, big_run_id=SEEDED, log=data_dir / "server.log")


def ids(page) -> list[int]:
    """The run ids of the table's rows, top to bottom."""
    return [int(i) for i in page.locator("#runs-body tr.run-row").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )]  # fmt: skip


def header(page, key: str):
    return page.locator(f"#runs th[data-sort={key}]")


def first_row(page):
    return page.locator("#runs-body tr.run-row").first


def best_loss(i: int) -> float:
    return 1000.0 - i * 7 % 997


def test_runs_list_reaches_the_oldest_of_120_runs(page, server):
    open_dashboard(page, server.url)
    expect(page.locator("#page-range")).to_have_text(f"1–50 of {SEEDED}")
    page.click("#page-next")
    expect(page.locator("#page-range")).to_have_text(f"51–100 of {SEEDED}")
    page.click("#page-next")
    expect(page.locator("#page-range")).to_have_text(f"101–{SEEDED} of {SEEDED}")
    expect(row(page, 1)).to_be_visible()
    expect(page.locator("#page-next")).to_be_disabled()
    assert page.url.endswith("?offset=100")


def test_runs_page_survives_a_reload(page, server):
    open_dashboard(page, server.url, "?offset=50")
    expect(page.locator("#page-range")).to_have_text(f"51–100 of {SEEDED}")
    page.reload()
    expect(page.locator("#page-range")).to_have_text(f"51–100 of {SEEDED}")
    assert ids(page) == list(range(SEEDED - 50, SEEDED - 100, -1))
    page.click("#page-prev")
    expect(row(page, SEEDED)).to_be_visible()
    assert page.url == server.url + "/"


def test_runs_sort_by_best_loss_survives_a_reload(page, server):
    open_dashboard(page, server.url)
    header(page, "best_loss").locator("button").click()
    expect(header(page, "best_loss")).to_have_attribute("aria-sort", "ascending")
    expected = sorted(range(1, SEEDED + 1), key=best_loss)[:50]
    expect(first_row(page)).to_have_attribute("data-id", str(expected[0]))
    assert ids(page) == expected
    assert page.url.endswith("?sort=best_loss")
    page.reload()
    expect(header(page, "best_loss")).to_have_attribute("aria-sort", "ascending")
    expect(first_row(page)).to_have_attribute("data-id", str(expected[0]))


def test_runs_sort_twice_goes_the_other_way(page, server):
    open_dashboard(page, server.url)
    expect(header(page, "id")).to_have_attribute("aria-sort", "descending")
    header(page, "id").locator("button").click()
    expect(header(page, "id")).to_have_attribute("aria-sort", "ascending")
    expect(first_row(page)).to_have_attribute("data-id", "1")
    assert page.url.endswith("?sort=id")


def test_runs_filter_by_variant_and_status_survives_a_reload(page, server):
    open_dashboard(page, server.url)
    page.select_option("#runs-filters select[name=variant]", "numpy")
    page.select_option("#runs-filters select[name=status]", "failed")
    # numpy: i % 3 == 0; failed: i % 4 == 2
    expected = [i for i in range(SEEDED, 0, -1) if i % 3 == 0 and i % 4 == 2]
    expect(page.locator("#runs-total")).to_have_text(f"{len(expected)} match")
    assert ids(page) == expected
    assert set(page.locator("#runs-body [data-field=variant]").all_text_contents()) == {"numpy"}
    assert set(page.locator("#runs-body [data-field=status]").all_text_contents()) == {"failed"}
    page.reload()
    expect(page.locator("#runs-total")).to_have_text(f"{len(expected)} match")
    expect(page.locator("#runs-filters select[name=variant]")).to_have_value("numpy")
    expect(page.locator("#runs-filters select[name=status]")).to_have_value("failed")
    assert ids(page) == expected


def test_runs_search_finds_a_word_in_the_notes(page, server):
    open_dashboard(page, server.url)
    page.fill("#runs-filters input[name=q]", "needle")
    expect(page.locator("#runs-total")).to_have_text("1 match")
    assert ids(page) == [42]
    assert page.url.endswith("?q=needle")


def test_runs_search_key_value_terms_filter(page, server):
    open_dashboard(page, server.url)
    page.fill("#runs-filters input[name=q]", "variant:numpy status:failed seed<40")
    expected = [i for i in range(39, 0, -1) if i % 3 == 0 and i % 4 == 2]
    expect(page.locator("#runs-total")).to_have_text(f"{len(expected)} match")
    assert ids(page) == expected


def test_runs_search_with_an_unknown_key_says_which(page, server):
    open_dashboard(page, server.url)
    page.fill("#runs-filters input[name=q]", "colour:red")
    expect(page.locator("#banner")).to_contain_text("no key 'colour'")


def test_runs_tag_button_filters_by_its_tag(page, server):
    open_dashboard(page, server.url)
    row(page, SEEDED).locator("button.tag", has_text="seeded").click()
    expect(page.locator("#runs-total")).to_have_text(f"{SEEDED // 10} match")
    expect(page.locator("#runs-filters input[name=tag]")).to_have_value("seeded")
    assert ids(page) == list(range(SEEDED, 0, -10))
    page.click("#clear-filters")
    expect(page.locator("#runs-total")).to_have_text(f"{SEEDED} in all")


def test_runs_filter_matching_nothing_says_so(page, server):
    open_dashboard(page, server.url, "?q=no-such-run-anywhere")
    expect(page.locator("#runs-empty")).to_have_text("No runs match these filters.")
    expect(page.locator("#runs-filters input[name=q]")).to_have_value("no-such-run-anywhere")


def test_runs_row_shows_each_column(page, server):
    open_dashboard(page, server.url)
    tr = row(page, 7)
    page.click("#page-next")
    page.click("#page-next")
    expect(tr.locator("[data-field=name]")).to_have_text("seeded 007")
    expect(tr.locator("[data-field=variant]")).to_have_text("tensors")
    expect(tr.locator("[data-field=best]")).to_have_text("951")
    expect(tr.locator("[data-field=duration]")).to_have_text("1.0 s")
    created = re.compile(r"^[A-Z][a-z]{2} \d+, \d\d:\d\d$")  # Dec 1, 13:45
    expect(tr.locator("[data-field=created]")).to_have_text(created)
    expect(tr.locator("[data-field=learning_rate]")).not_to_have_text("—")
    expect(tr.locator("[data-field=device]")).to_have_text("cpu")
    swatch = tr.locator("[data-field=swatch]")
    colour = page.evaluate("id => import('/static/js/colors.js').then(m => m.runColor(id))", 7)
    expect(swatch).to_have_css("background-color", hex_to_rgb(colour))


def test_runs_table_keeps_to_its_own_box_at_390_px(page, server):
    page.set_viewport_size({"width": 390, "height": 844})
    open_dashboard(page, server.url)
    box = page.locator(".runs-box")
    expect(row(page, SEEDED)).to_be_attached()
    # columns are hidden until the table fits (it was wider, and Status off-screen)
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page is not


def hex_to_rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


# ---- what changes runs (last: these add runs to the seeded ones)


def tiny_run(server: Server, iterations: int = 20) -> int:
    body = {"variant": "tensors", "iterations": iterations, **TINY}
    return server.api("POST", "/api/runs", json=body).json()["id"]


def finished_run(server: Server) -> int:
    run_id = tiny_run(server)
    wait_for(lambda: server.get(f"/api/runs/{run_id}").json()["status"] == "completed")
    return run_id


def test_delete_asks_first_and_keep_keeps_the_run(page, server):
    run_id = finished_run(server)
    open_dashboard(page, server.url)
    row(page, run_id).locator("[data-action=delete]").click()
    dialog = page.locator("#delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Delete run #{run_id}?")
    dialog.locator("button[value=keep]").click()
    expect(dialog).to_be_hidden()
    expect(row(page, run_id)).to_be_visible()
    assert server.get(f"/api/runs/{run_id}").status_code == 200


def test_delete_asks_first_and_escape_keeps_the_run(page, server):
    run_id = finished_run(server)
    open_dashboard(page, server.url)
    row(page, run_id).locator("[data-action=delete]").click()
    expect(page.locator("#delete-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#delete-dialog")).to_be_hidden()
    assert server.get(f"/api/runs/{run_id}").status_code == 200


def test_delete_confirmed_deletes_the_run(page, server):
    run_id = finished_run(server)
    open_dashboard(page, server.url)
    row(page, run_id).locator("[data-action=delete]").click()
    page.click("#confirm-delete")
    expect(row(page, run_id)).to_have_count(0)
    assert server.get(f"/api/runs/{run_id}").status_code == 404
    expect(page.locator("#page-range")).to_have_text(re.compile(r"^1–50 of "))  # refilled


def test_delete_selected_asks_first_then_deletes_them_all(page, server):
    run_ids = [finished_run(server) for _ in range(2)]
    open_dashboard(page, server.url)
    for run_id in run_ids:
        row(page, run_id).locator(".pick-box").check()
    page.click("#delete-selected")
    expect(page.locator("#delete-dialog")).to_contain_text("Delete 2 runs?")
    page.click("#confirm-delete")
    for run_id in run_ids:
        expect(row(page, run_id)).to_have_count(0)
        assert server.get(f"/api/runs/{run_id}").status_code == 404
    expect(page.locator("#selected-count")).to_have_text("None selected")


def test_compare_selected_across_pages_opens_compare_with_the_ids(page, server):
    open_dashboard(page, server.url)
    row(page, SEEDED).locator(".pick-box").check()
    page.click("#page-next")
    row(page, SEEDED - 60).locator(".pick-box").check()
    expect(page.locator("#compare-selected")).to_have_text("Compare selected (2)")
    page.click("#compare-selected")
    page.wait_for_url(f"**/compare?ids={SEEDED},{SEEDED - 60}")


def test_cancel_selected_cancels_the_live_runs(page, server):
    run_ids = [tiny_run(server, 10_000_000) for _ in range(2)]
    open_dashboard(page, server.url)
    for run_id in run_ids:
        row(page, run_id).locator(".pick-box").check()
    expect(page.locator("#delete-selected")).to_be_disabled()  # live runs cannot be deleted
    page.click("#cancel-selected")
    for run_id in run_ids:
        expect(row(page, run_id).locator("[data-field=status]")).to_have_text("cancelled")


def test_queued_run_shows_its_place_and_running_run_its_eta(page, server):
    running = tiny_run(server, 10_000_000)
    wait_for(lambda: server.get(f"/api/runs/{running}").json()["status"] == "running")
    first, second = tiny_run(server, 10_000_000), tiny_run(server, 10_000_000)
    open_dashboard(page, server.url)
    expect(row(page, first).locator("[data-field=when]")).to_have_text("#1 on cpu")
    expect(row(page, second).locator("[data-field=when]")).to_have_text("#2 on cpu")
    expect(row(page, running).locator("[data-field=when]")).to_have_text(re.compile(r"^ETA \d"))
    server.api("POST", f"/api/runs/{running}/cancel")
    expect(row(page, second).locator("[data-field=when]")).to_have_text("#1 on cpu")


# the right edge of the runs table's box, and of each header that shows, by its column
EDGES_JS = """() => {
  const box = document.querySelector(".runs-box").getBoundingClientRect();
  const heads = [...document.querySelectorAll("#runs thead th[data-col]")]
    .filter((th) => th.offsetParent !== null)
    .map((th) => [th.dataset.col, th.getBoundingClientRect().right]);
  return [Math.min(box.right, innerWidth), Object.fromEntries(heads)];
}"""


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_runs_table_fits_its_box_with_status_and_actions(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    open_dashboard(page, server.url)
    expect(page.locator("#runs-body tr.run-row").first).to_be_visible()
    right, heads = page.evaluate(EDGES_JS)
    context.close()
    assert {"id", "status", "actions"} <= set(heads)
    assert all(edge <= right + 1 for edge in heads.values()), (right, heads)


def test_runs_columns_shown_and_hidden_are_kept(page, server):
    open_dashboard(page, server.url)
    page.click("#columns-menu summary")
    page.locator("#columns-menu input[name=device]").uncheck()
    page.locator("#columns-menu input[name=created]").check()
    expect(page.locator("#runs thead th[data-col=device]")).to_be_hidden()
    page.reload()
    expect(page.locator("#runs-body tr.run-row").first).to_be_visible()
    expect(page.locator("#runs thead th[data-col=device]")).to_be_hidden()
    expect(row(page, SEEDED).locator("[data-col=device]")).to_be_hidden()
    expect(page.locator("#runs thead th[data-col=created]")).to_be_visible()
    page.click("#columns-menu summary")
    page.click("#columns-fit")  # back to what fits
    expect(page.locator("#columns-menu input[name=device]")).to_be_checked()
