"""Named series in the store (schema 6): bit-identical round trips, steps that skip, gaps,
a summary, thinning that keeps gaps; and what schema 6 does to older databases."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from server.store import series
from server.store.series import Points
from server.store.sqlite import Store
from server.web.decimate import decimate

FIXTURE = Path(__file__).parent / "fixtures" / "lossboard-0.1.0.sqlite3"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path)
    store.open()
    yield store
    store.close()


def sdk_run(store: Store, status: str = "running") -> int:
    return store.create_run({"config": {"lr": 0.1}, "status": status, "created_at": 1.0,
                             "started_at": 1.0, "source": "sdk"})  # fmt: skip


def write(store: Store, run_id: int, name: str, points: Points) -> None:
    store.submit(lambda conn: series.insert(conn, run_id, name, points)).result()


def points(steps: list[int], values: list[float]) -> Points:
    step = np.array(steps, dtype=np.int64)
    return Points(step, np.array(values, dtype=np.float64), step / 10.0)


def test_series_read_back_bit_for_bit_with_their_skipped_steps(store):
    run_id = sdk_run(store)
    rng = np.random.default_rng(0)
    values = rng.standard_normal(3000)
    steps = np.arange(0, 30_000, 10)
    for start in range(0, 3000, 700):
        write(store, run_id, "val/acc", Points(steps[start:start + 700], values[start:start + 700],
                                               steps[start:start + 700] / 7.0))  # fmt: skip
    read = series.read(store.reader(), run_id, "val/acc")
    assert read.value.tobytes() == values.tobytes() and read.step.tolist() == steps.tolist()
    assert read.time.tobytes() == (steps / 7.0).tobytes()


def test_series_read_after_a_step_and_up_to_a_limit(store):
    run_id = sdk_run(store)
    write(store, run_id, "lr", points([0, 5, 10], [1.0, 2.0, 3.0]))
    write(store, run_id, "lr", points([20, 30], [4.0, 5.0]))
    assert series.read(store.reader(), run_id, "lr", after=5, limit=2).step.tolist() == [10, 20]
    assert series.read(store.reader(), run_id, "lr", after=7).value.tolist() == [3.0, 4.0, 5.0]
    assert series.read(store.reader(), run_id, "lr", after=10).step.tolist() == [20, 30]
    assert series.read(store.reader(), run_id, "lr", after=15).step.tolist() == [20, 30]
    assert len(series.read(store.reader(), run_id, "lr", after=30)) == 0
    pieces = list(series.pieces(store.reader, run_id, "lr", size=2))
    assert [p.step.tolist() for p in pieces] == [[0, 5], [10, 20], [30]]


def test_series_summary_names_counts_last_and_lowest_finite(store):
    run_id = sdk_run(store)
    write(store, run_id, "loss", points([0, 1, 2], [3.0, np.nan, -np.inf]))
    write(store, run_id, "loss", points([3], [2.5]))
    write(store, run_id, "val/acc", points([0], [np.nan]))
    summary = series.summary(store.reader(), run_id)
    assert [(s["name"], s["count"], s["min"]) for s in summary] == [
        ("loss", 4, 2.5),
        ("val/acc", 1, None),
    ]
    assert summary[0]["last"] == 2.5 and np.isnan(summary[1]["last"])


def test_deleting_a_run_deletes_its_series(store):
    run_id = sdk_run(store, "completed")
    write(store, run_id, "loss", points([0], [1.0]))
    assert store.delete_run(run_id)
    assert series.names(store.reader(), run_id) == []


def test_decimate_keeps_gaps_and_stays_within_max_points():
    values = np.arange(10_000, dtype=np.float64)
    values[5000:5010] = np.nan
    keep = decimate(values, 100)
    assert len(keep) <= 100 and np.isnan(values[keep]).any()
    kept = values[keep]
    assert np.nanmin(kept) == 0 and np.nanmax(kept) == 9999  # NaN is neither min nor max


def test_decimate_of_finite_values_is_as_before():
    values = np.sin(np.arange(10_000) / 50.0)
    keep = decimate(values, 100)
    assert len(keep) <= 100 and values[keep].min() == values.min()


def raw(db: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(db, isolation_level=None))


def test_schema_6_keeps_the_id_counter_of_a_deleted_last_run(tmp_path):
    shutil.copyfile(FIXTURE, tmp_path / "lossboard.sqlite3")
    with raw(tmp_path / "lossboard.sqlite3") as conn:
        conn.execute("DELETE FROM runs WHERE id = 11")
    store = Store(tmp_path)
    store.open()
    try:
        assert sdk_run(store) == 12  # 11 was used once: never again
        assert store.get_run(1)["source"] == "job" and store.get_run(1)["primary"] == "loss"
    finally:
        store.close()


def test_reopening_leaves_a_scripts_running_run_running(tmp_path, store):
    script, job = (
        sdk_run(store),
        store.create_run(
            {"variant": "nn", "config": {}, "device": "cpu", "status": "running", "created_at": 1.0}
        ),
    )
    store.close()
    store.open()
    assert store.get_run(script)["status"] == "running"
    assert store.get_run(job)["status"] == "interrupted"


def test_a_client_key_names_one_run_only(store):
    first = store.create_run({"config": {}, "status": "running", "created_at": 1.0,
                              "source": "sdk", "client_key": "k"})  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError):
        store.create_run({"config": {}, "status": "running", "created_at": 1.0,
                          "source": "sdk", "client_key": "k"})  # fmt: skip
    assert store.get_run(first)["client_key"] == "k"
