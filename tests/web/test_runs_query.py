"""GET /api/runs's filters (device, tag, q) and sort, over runs written straight to the store."""

from __future__ import annotations

import pytest

from tests.helpers import TINY

RUNS = [  # (variant, device, name, notes, tags, best_loss, started, finished, lr, optimizer)
    ("numpy", "cpu", "alpha", "", ["base"], 0.5, 10.0, 40.0, 1e-6, None),
    ("optim", "cuda:0", "Beta", "tried 50% lr", ["base", "gpu"], 0.1, 10.0, 20.0, 1e-4, "adam"),
    ("optim", "cuda:1", None, "under_score here", [], None, None, None, 1e-3, "sgd"),
    ("nn", "cpu", "gamma_1", "x", ["gpu"], 2.0, 5.0, 100.0, 1e-5, None),
]


@pytest.fixture
def ids(client) -> list[int]:
    """The RUNS, stored as finished (the third as cancelled before it started)."""
    store = client.app.state.manager.store
    out = []
    for variant, device, name, notes, tags, best, started, ended, lr, opt in RUNS:
        config = {"variant": variant, "device": device, "iterations": 10, "learning_rate": lr,
                  "optimizer": opt, "seed": 1, "dtype": "float32", **TINY}  # fmt: skip
        row = {"variant": variant, "config": config, "device": device, "name": name,
               "notes": notes, "tags": tags, "best_loss": best, "started_at": started,
               "finished_at": ended, "created_at": 1.0, "request": {**config, "name": name},
               "status": "completed" if started else "cancelled"}  # fmt: skip
        out.append(store.create_run(row))
    return out


def listed(client, **params) -> list[int]:
    response = client.get("/api/runs", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["runs"])
    return [run["id"] for run in body["runs"]]


def picked(ids, *indexes) -> list[int]:
    return [ids[i] for i in indexes]


def test_device_filter_matches_an_id(client, ids):
    assert listed(client, device="cuda:1") == picked(ids, 2)


def test_device_filter_by_kind_matches_each_device_of_it(client, ids):
    assert listed(client, device="cuda") == picked(ids, 2, 1)


def test_tag_filter_matches_whole_tags_only(client, ids):
    assert listed(client, tag="gpu") == picked(ids, 3, 1)
    assert listed(client, tag="gp") == []


def test_q_searches_name_and_notes_ignoring_case(client, ids):
    assert listed(client, q="beta") == picked(ids, 1)
    assert listed(client, q="UNDER") == picked(ids, 2)


def test_q_takes_percent_and_underscore_literally(client, ids):
    assert listed(client, q="%") == picked(ids, 1)
    assert listed(client, q="_") == picked(ids, 3, 2)
    assert listed(client, q="a_1") == picked(ids, 3)
    assert listed(client, q="\\") == []


def test_q_finds_variants_and_config_values(client, ids):
    assert listed(client, q="optim") == picked(ids, 2, 1)  # their variant
    assert listed(client, q="adam") == picked(ids, 1)  # a config value


def test_q_key_value_terms_filter(client, ids):
    assert listed(client, q="variant:optim lr<1e-3") == picked(ids, 1)
    assert listed(client, q="lr>=1e-4 status:cancelled") == picked(ids, 2)
    assert listed(client, q="optimizer:ADAM") == picked(ids, 1)  # case ignored
    assert listed(client, q="tag:gpu best<1") == picked(ids, 1)
    assert listed(client, q="tag:gpu best_loss<=2") == picked(ids, 3, 1)
    assert listed(client, q="H:16 alpha") == picked(ids, 0)


@pytest.mark.parametrize(
    ("q", "words"), [("colour:red", "no key 'colour'"), ("lr<fast", "compares numbers")]
)
def test_q_bad_term_is_422_naming_it(client, ids, q, words):
    response = client.get("/api/runs", params={"q": q})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["query", "q"] and words in error["msg"]


def test_filters_combine(client, ids):
    assert listed(client, variant="optim", tag="base", device="cuda") == picked(ids, 1)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("id", (0, 1, 2, 3)),
        ("-id", (3, 2, 1, 0)),
        ("best_loss", (1, 0, 3, 2)),  # no best loss: last
        ("-best_loss", (3, 0, 1, 2)),
        ("duration", (1, 0, 3, 2)),  # queued, never started: last
        ("-duration", (3, 0, 1, 2)),
        ("learning_rate", (0, 3, 1, 2)),
        ("-optimizer", (2, 1, 3, 0)),  # none: last, then by id descending
        ("name", (0, 1, 3, 2)),  # case ignored
        ("device", (0, 3, 1, 2)),  # ties by id, in the same direction
        ("status", (2, 0, 1, 3)),
    ],
)
def test_sort_orders_by_the_column(client, ids, sort, order):
    assert listed(client, sort=sort) == picked(ids, *order)


def test_sort_pages_in_its_order(client, ids):
    page = client.get("/api/runs", params={"sort": "best_loss", "limit": 2, "offset": 1}).json()
    assert [r["id"] for r in page["runs"]] == picked(ids, 0, 3) and page["total"] == 4


def test_sort_by_duration_counts_a_running_run_up_to_now(client, ids):
    store = client.app.state.manager.store
    row = {"variant": "nn", "config": {}, "device": "cpu", "status": "running",
           "created_at": 1.0, "started_at": 1.0}  # fmt: skip
    running = store.create_run(row)  # started long ago, not finished
    assert listed(client, sort="-duration")[0] == running


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"sort": "--id"}, "sort"),
        ({"sort": "id; DROP TABLE runs"}, "sort"),
        ({"q": "x" * 201}, "q"),
        ({"tag": "t" * 41}, "tag"),
        ({"device": "d" * 33}, "device"),
    ],
)
def test_bad_list_parameter_is_422_naming_it(client, ids, params, field):
    response = client.get("/api/runs", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
