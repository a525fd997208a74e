"""Schema migrations: a database written by lossboard 0.1.0 opens with every run and loss intact.

fixtures/lossboard-0.1.0.sqlite3 was written by the 0.1.0 release (commit f1c44dd), checked
out in a git worktree and run from there (its `server` package first on sys.path), by a
throwaway script that opened `server.store.Store` and `server.training.runner.RunManager` on
an empty directory and, on the CPU with N=8, D_in=16, H=16, D_out=1:

- ran one run of each variant to completion (ids 1-6; 1 and 4 named, 3 in float64);
- ran numpy with learning_rate=1, which diverged (7, named);
- cancelled an nn run a few losses in (8), and a numpy run while it was queued (10);
- closed the manager while a tensors run was training, which made it interrupted (9);
- wrote, with Store.create_run and two append_losses, a run left `running` with seven losses,
  as a server that died leaves one (11);
- closed the store (WAL checkpointed, no -wal file) and copied lossboard.sqlite3 here.

Expected values are read from the fixture with plain sqlite3, never through the Store.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.settings import Settings
from server.store import migrations
from server.store.migrations import SchemaTooNew
from server.store.sqlite import Store
from server.training.manager import RunManager
from server.training.spec import RunSpec
from server.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "lossboard-0.1.0.sqlite3"
DB_NAME = "lossboard.sqlite3"
FIXTURE_RUNS = {  # id: (variant, status, iteration), as 0.1.0 left them
    1: ("numpy", "completed", 200),
    2: ("tensors", "completed", 50),
    3: ("autograd", "completed", 120),
    4: ("nn", "completed", 100),
    5: ("optim", "completed", 80),
    6: ("custom_module", "completed", 60),
    7: ("numpy", "diverged", 4),
    8: ("nn", "cancelled", 6),
    9: ("tensors", "interrupted", 76),
    10: ("numpy", "cancelled", 0),
    11: ("autograd", "running", 0),
}
CRASHED = 11  # left `running`: the first open marks it interrupted, as for any server's crash


def copy_fixture(tmp_path: Path) -> Path:
    """A data dir holding a fresh copy of the 0.1.0 database."""
    shutil.copyfile(FIXTURE, tmp_path / DB_NAME)
    return tmp_path


def raw(db: Path) -> closing[sqlite3.Connection]:
    """A plain sqlite3 connection, closed after its `with` block."""
    return closing(sqlite3.connect(db, isolation_level=None))


def raw_runs(db: Path) -> dict[int, dict]:
    """Every runs row, config decoded."""
    with raw(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM runs")]
    return {row["id"]: {**row, "config": json.loads(row["config"])} for row in rows}


def raw_losses(db: Path, run_id: int) -> bytes:
    """A run's stored losses, every batch's float64 bytes in step order."""
    with raw(db) as conn:
        rows = conn.execute("SELECT loss FROM losses WHERE run_id = ? ORDER BY start", (run_id,))
        return b"".join(row[0] for row in rows)


def raw_version(db: Path) -> int:
    with raw(db) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def raw_schema(db: Path) -> dict[str, list[tuple]]:
    """Each table's and index's columns as SQLite reports them (not the SQL that made them)."""
    sql = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    with raw(db) as conn:
        objects = conn.execute(sql).fetchall()
        return {
            name: conn.execute(f"PRAGMA {kind}_xinfo({name})").fetchall() for kind, name in objects
        }


def raw_dump(db: Path) -> tuple[list[str], int]:
    """Every row and schema statement, and the version."""
    with raw(db) as conn:
        return list(conn.iterdump()), conn.execute("PRAGMA user_version").fetchone()[0]


def opened(data_dir: Path) -> Store:
    store = Store(data_dir)
    store.open()
    return store


@pytest.fixture
def old_store(tmp_path):
    store = opened(copy_fixture(tmp_path))
    yield store
    store.close()


def test_fixture_is_the_unversioned_0_1_0_database():
    runs = raw_runs(FIXTURE)
    assert {i: (r["variant"], r["status"], r["iteration"]) for i, r in runs.items()} == FIXTURE_RUNS
    assert raw_version(FIXTURE) == 0


def test_store_opens_0_1_0_database_with_every_run_row_intact(old_store):
    expected = raw_runs(FIXTURE)
    for run_id, row in expected.items():
        if run_id != CRASHED:  # as it was, and not known to have run anywhere
            added = {"worker": None, "sweep_id": None, "sweep_params": None, "notes": "",
                     "tags": [], "request": {**row["config"], "name": row["name"]},
                     "source": "job", "primary": "loss", "client_key": None, "ingest_seq": -1,
                     "stop_requested": 0, "rerun_of": None, "peak_rss_bytes": None,
                     "cuda_peak_bytes": None, "events": [], "checkpoint": None,
                     "resume_on_start": 0}  # fmt: skip
            assert old_store.get_run(run_id) == {**row, **added}
    runs, total = old_store.list_runs(limit=100)
    assert total == len(expected) and [r["id"] for r in runs] == sorted(expected, reverse=True)


def test_store_opens_0_1_0_database_with_every_loss_bit_for_bit(old_store):
    for run_id in FIXTURE_RUNS:
        stored = raw_losses(FIXTURE, run_id)
        steps, loss, times = old_store.read_losses(run_id)
        assert loss.tobytes() == stored
        assert list(steps) == list(range(len(stored) // 8)) and len(times) == len(steps)


def test_store_opens_0_1_0_database_with_its_crashed_run_interrupted(old_store):
    row = old_store.get_run(CRASHED)
    assert row["status"] == "interrupted" and row["iteration"] == 7
    assert row["error"] == "the server stopped while the run was running"
    assert old_store.read_losses(CRASHED)[1].tobytes() == raw_losses(FIXTURE, CRASHED)


def test_open_stamps_0_1_0_database_with_the_latest_version(tmp_path):
    data_dir = copy_fixture(tmp_path)
    opened(data_dir).close()
    assert raw_version(data_dir / DB_NAME) == len(migrations.MIGRATIONS)


def test_migrated_0_1_0_database_has_the_schema_of_a_new_one(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    opened(copy_fixture(old)).close()
    opened(new).close()
    assert raw_schema(old / DB_NAME) == raw_schema(new / DB_NAME)
    assert raw_version(new / DB_NAME) == len(migrations.MIGRATIONS)


def test_reopening_a_migrated_database_changes_nothing(tmp_path):
    data_dir = copy_fixture(tmp_path)
    opened(data_dir).close()
    first = raw_dump(data_dir / DB_NAME)
    opened(data_dir).close()
    assert raw_dump(data_dir / DB_NAME) == first


def test_database_from_a_later_release_is_refused_and_left_untouched(tmp_path):
    data_dir = copy_fixture(tmp_path)
    later = len(migrations.MIGRATIONS) + 1
    with raw(data_dir / DB_NAME) as conn:
        conn.execute(f"PRAGMA user_version = {later}")
    before = (data_dir / DB_NAME).read_bytes()
    known = len(migrations.MIGRATIONS)
    with pytest.raises(SchemaTooNew, match=f"schema version {later}, .* up to {known}"):
        Store(data_dir).open()
    assert (data_dir / DB_NAME).read_bytes() == before
    assert not (data_dir / f"{DB_NAME}-wal").exists()  # its connection was closed


def test_migrations_run_in_order_exactly_once(tmp_path, monkeypatch):
    steps = [
        ("CREATE TABLE applied (step INTEGER)", "INSERT INTO applied VALUES (2)"),
        ("INSERT INTO applied VALUES (3)",),  # fails unless step 2 ran first
    ]
    known = len(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, *steps])
    data_dir = copy_fixture(tmp_path)
    opened(data_dir).close()
    opened(data_dir).close()
    with raw(data_dir / DB_NAME) as conn:
        assert conn.execute("SELECT step FROM applied ORDER BY rowid").fetchall() == [(2,), (3,)]
    assert raw_version(data_dir / DB_NAME) == known + 2


def test_failed_migration_leaves_the_database_at_the_version_before(tmp_path, monkeypatch):
    broken = ("ALTER TABLE runs ADD COLUMN scratch TEXT", "INSERT INTO nowhere VALUES (1)")
    known = len(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    data_dir = copy_fixture(tmp_path)
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        Store(data_dir).open()
    assert raw_version(data_dir / DB_NAME) == known
    assert "scratch" not in raw_runs(data_dir / DB_NAME)[1]  # the ALTER was rolled back too


def test_manager_on_0_1_0_database_shows_old_runs_and_numbers_new_ones_after(old_store):
    manager = RunManager(old_store, workers_per_device=0)
    manager.start()
    spec = RunSpec(variant="nn", device="cpu", iterations=20, seed=1, N=8, D_in=16, H=16, D_out=1)
    run = manager.submit(spec)
    manager.run_queued("cpu")
    manager.close()
    assert run.id == max(FIXTURE_RUNS) + 1 and manager.reads.get(run.id)["status"] == "completed"
    for run_id in FIXTURE_RUNS:
        _, loss, _ = manager.reads.losses(run_id)
        assert loss.tobytes() == raw_losses(FIXTURE, run_id)


def test_app_on_0_1_0_database_serves_every_run_and_loss(tmp_path):
    settings = Settings(  # not resuming its crashed run: it stays as the migration left it
        data_dir=copy_fixture(tmp_path),
        playground_prestart=False,
        allowed_hosts=["testserver"],
        resume="off",
    )
    with TestClient(create_app(settings)) as client:
        page = client.get("/api/runs", params={"limit": 100}).json()
        losses = {i: client.get(f"/api/runs/{i}/losses").json()["loss"] for i in FIXTURE_RUNS}
    assert page["total"] == len(FIXTURE_RUNS)
    shown = {r["id"]: (r["variant"], r["status"], r["iteration"]) for r in page["runs"]}
    assert shown == {**FIXTURE_RUNS, CRASHED: ("autograd", "interrupted", 7)}
    for run_id, loss in losses.items():
        assert np.array(loss, dtype=np.float64).tobytes() == raw_losses(FIXTURE, run_id)


def test_run_of_0_1_0_database_stands_its_config_in_for_its_request(old_store):
    config = raw_runs(FIXTURE)[1]["config"]
    request = old_store.get_run(1)["request"]
    assert request == {**config, "name": raw_runs(FIXTURE)[1]["name"]}
    assert request["device"] == "cpu"  # as resolved: 0.1.0 kept no other
    # a valid request today: the fits' `points` and `rerun_of`, which 0.1.0 did not know, are
    # the fields added
    added = {"points": None, "rerun_of": None}
    assert RunSpec.model_validate(request).model_dump(mode="json") == {**added, **request}


def test_manager_runs_a_run_of_0_1_0_database_again_with_its_seed(old_store):
    manager = RunManager(old_store, workers_per_device=0)
    manager.start()
    run = manager.rerun(2, {})
    manager.run_queued("cpu")
    manager.close()
    again = manager.reads.get(run.id)
    assert again["status"] == "completed" and again["config"] == raw_runs(FIXTURE)[2]["config"]
    _, loss, _ = manager.reads.losses(run.id)
    assert loss.tobytes() == raw_losses(FIXTURE, 2)
