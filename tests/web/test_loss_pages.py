"""/losses written piece by piece (server/web/loss_pages.py): the same JSON as the page built
whole, never more than a piece of it at a time, and cut when its run goes."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from server.store.sqlite import PIECE_POINTS
from server.training.reads import RunReads
from server.training.spec import RunSpec
from server.web.decimate import decimate
from server.web.loss_pages import HELD_POINTS, LossPage, PageChanged
from server.web.stream import encode_bytes
from tests.helpers import TINY
from tests.web.stored import store_run

STEPS = 150_000  # nine pieces and more; thinned to 100,000, more kept points than are held


@pytest.fixture(scope="module")
def run_id(shared_client) -> int:
    return store_run(shared_client.app.state.manager.store, STEPS, batch=7_000)


def whole_page(reads, run_id: int, after: int, limit: int, max_points: int | None) -> bytes:
    """The page as it was built before: whole, then encoded at once."""
    steps, loss, times = reads.losses(run_id, after, limit + 1)
    next_after = int(steps[limit - 1]) if len(steps) > limit else None
    steps, loss, times = steps[:limit], loss[:limit], times[:limit]
    keep = decimate(loss, max_points) if max_points else None
    if keep is not None:
        steps, loss, times = steps[keep], loss[keep], times[keep]
    return encode_bytes({"run_id": run_id, "step": steps, "loss": loss, "time": times,
                         "decimated": keep is not None, "next_after": next_after})  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"limit": 20_000},
        {"after": 123, "limit": PIECE_POINTS * 2},
        {"after": STEPS - 1},
        {"max_points": 1000},
        {"after": 5, "limit": 30_001, "max_points": 4},
        {"max_points": 100_000},  # more kept than HELD_POINTS: picked pass by pass
        {"max_points": STEPS},  # nothing to thin
    ],
)
def test_loss_page_body_is_the_whole_page_encoded(shared_client, run_id, params):
    after, limit = params.get("after", -1), params.get("limit", 1_000_000)
    reads = shared_client.app.state.manager.reads
    expected = whole_page(reads, run_id, after, limit, params.get("max_points"))
    response = shared_client.get(f"/api/runs/{run_id}/losses", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == expected


def test_loss_page_thinned_past_the_held_points_keeps_more_than_them(shared_client, run_id):
    page = shared_client.get(f"/api/runs/{run_id}/losses", params={"max_points": 100_000}).json()
    assert page["decimated"] and HELD_POINTS < len(page["step"]) <= 100_000


def test_loss_page_is_written_a_piece_at_a_time(shared_client, run_id):
    page = LossPage(shared_client.app.state.manager.reads, run_id, -1, 1_000_000, None)
    chunks = list(page.chunks(page.plan()))
    # no chunk holds more than a piece of one array: about 20 bytes a float, 7 an int
    assert max(len(chunk) for chunk in chunks) < PIECE_POINTS * 24
    assert len(chunks) > 3 * STEPS // PIECE_POINTS


def test_loss_page_of_a_run_deleted_while_written_is_cut(shared_client):
    store = shared_client.app.state.manager.store
    gone = store_run(store, 40_000)
    page = LossPage(shared_client.app.state.manager.reads, gone, -1, 1_000_000, None)
    chunks = page.chunks(page.plan())
    next(chunks), next(chunks), next(chunks)  # its head, and the first steps
    assert shared_client.delete(f"/api/runs/{gone}").status_code == 204
    with pytest.raises(PageChanged):
        list(chunks)


def test_loss_page_of_a_live_run_holds_the_steps_planned(shared_client):
    manager = shared_client.app.state.manager
    run = manager.prepare(RunSpec(variant="tensors", iterations=100_000, **TINY))
    run.id = 10**9  # a live run of its own, that no worker trains: points as a worker adds them
    reads = RunReads(manager.store, manager.executor, {run.id: run}, {})
    run.losses.extend(np.arange(30_000.0))
    run.times.extend(np.arange(30_000) / 1000)
    page = LossPage(reads, run.id, -1, 1_000_000, None)
    plan = page.plan()
    run.losses.extend(np.arange(30_000.0, 80_000.0))  # it goes on while its page is written
    run.times.extend(np.arange(30_000, 80_000) / 1000)
    body = orjson.loads(b"".join(page.chunks(plan)))
    assert body["step"] == list(range(30_000)) and body["loss"] == list(range(30_000))
    assert len(body["time"]) == 30_000 and body["next_after"] is None
