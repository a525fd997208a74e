"""The run page's metadata in a real browser: notes and tags edited in place, shown and found by
/api/runs; a refusal next to its field; "Run again" with the request as submitted."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Server, expect
from tests.helpers import TINY, wait_status

pytestmark = pytest.mark.e2e
NOTES = "lr looks high\nzebra-notes-7731 on the second line"


def finished_run(server: Server, **fields) -> dict:
    """A tiny run asked for on device auto, once it has finished."""
    body = {"variant": "tensors", "iterations": 5, **TINY, **fields}
    response = server.api("POST", "/api/runs", json=body)
    assert response.status_code == 201, response.text
    return wait_status(server, response.json()["id"])


def open_run(page, server: Server, run_id: int) -> None:
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.locator("#chart")).not_to_have_attribute("data-points", "0")


def edit(page, *, notes: str | None = None, tags: str | None = None) -> None:
    page.click("#edit-meta")
    if notes is not None:
        page.fill("#meta-notes", notes)
    if tags is not None:
        page.fill("#meta-tags", tags)
    page.click("#save-meta")


def listed(server: Server, **params) -> list[int]:
    return [run["id"] for run in server.api("GET", "/api/runs", params=params).json()["runs"]]


def test_run_meta_notes_and_tags_saved_shown_and_searchable(page, server):
    run = finished_run(server)
    open_run(page, server, run["id"])
    edit(page, notes=NOTES, tags="baseline, zebra-tag, baseline")
    expect(page.locator("#meta-form")).to_be_hidden()
    expect(page.locator("#run-notes")).to_have_text(NOTES)
    expect(page.locator("#run-tags .tag")).to_have_text(["baseline", "zebra-tag"])
    page.reload()  # the server renders what it stored
    expect(page.locator("#run-notes")).to_have_text(NOTES)
    expect(page.locator("#run-tags .tag")).to_have_text(["baseline", "zebra-tag"])
    assert listed(server, q="ZEBRA-notes") == [run["id"]]
    assert listed(server, tag="zebra-tag") == [run["id"]]


def test_run_meta_name_edit_renames_the_title(page, server):
    run = finished_run(server)
    open_run(page, server, run["id"])
    page.click("#edit-meta")
    page.fill("#meta-name", "renamed in place")
    page.click("#save-meta")
    expect(page.locator("#run-title")).to_have_text("renamed in place")
    assert server.get(f"/api/runs/{run['id']}").json()["name"] == "renamed in place"


def test_run_meta_refusal_shown_next_to_its_field(page, server):
    run = finished_run(server)
    open_run(page, server, run["id"])
    edit(page, notes="kept?", tags=f"fine, {'x' * 41}")
    error = page.locator("#meta-tags-error")
    expect(error).to_contain_text("at most 40 characters")
    expect(page.locator("#meta-tags")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#meta-form")).to_be_visible()
    assert server.get(f"/api/runs/{run['id']}").json()["notes"] == ""


def test_run_again_opens_a_run_of_the_same_request(page, server):
    run = finished_run(server, name="twice")
    open_run(page, server, run["id"])
    page.click("#rerun-run")
    page.wait_for_url(f"{server.url}/runs/{run['id'] + 1}")
    again = wait_status(server, run["id"] + 1)
    assert again["request"] == run["request"] and again["request"]["device"] == "auto"
    assert again["config"] == run["config"] and again["status"] == "completed"


def test_run_again_with_new_seed_draws_one(page, server):
    run = finished_run(server)
    open_run(page, server, run["id"])
    page.check("#rerun-new-seed")
    page.click("#rerun-run")
    page.wait_for_url(f"{server.url}/runs/{run['id'] + 1}")
    again = server.get(f"/api/runs/{run['id'] + 1}").json()
    assert again["request"] == {**run["request"], "seed": None}
    assert again["config"]["seed"] != run["config"]["seed"]  # 1 in 2**32 to fail by chance


def test_run_again_links_both_ways(page, server):
    run = finished_run(server)
    open_run(page, server, run["id"])
    page.click("#rerun-run")
    page.wait_for_url(f"{server.url}/runs/{run['id'] + 1}")
    expect(page.locator("#rerun-of")).to_have_text(f"re-run of #{run['id']}")

    page.locator("#rerun-of a").click()
    page.wait_for_url(f"{server.url}/runs/{run['id']}")
    expect(page.locator("#reruns")).to_have_text(f"re-run as #{run['id'] + 1}")


def test_edit_and_run_fills_the_form_with_the_request(page, server):
    run = finished_run(server, name="to edit", seed=5)
    server.api("PATCH", f"/api/runs/{run['id']}", json={"name": "edited name"})
    open_run(page, server, run["id"])
    page.click("#edit-run")
    expect(page.locator("#start-run")).to_be_enabled()
    expect(page.locator("#form-rerun-of")).to_contain_text(f"A re-run of #{run['id']}")
    expect(page.locator("#f-name")).to_have_value("edited name")
    expect(page.locator("#f-seed")).to_have_value("5")
    expect(page.locator("#f-H")).to_have_value(str(TINY["H"]))
    page.fill("#f-iterations", "7")

    with page.expect_response(lambda r: r.url.endswith("/api/runs") and r.status == 201) as info:
        page.click("#start-run")
    new = info.value.json()
    assert new["rerun_of"] == run["id"] and new["config"]["iterations"] == 7
    assert new["config"]["seed"] == 5 and new["name"] == "edited name"
