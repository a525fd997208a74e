"""The SQLite store: bit-identical losses across a reopen, runs cut by a stop, a full disk."""

from __future__ import annotations

import sqlite3
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from server.store.disk import DiskFull, EmptyDatabase
from server.store.sqlite import MMAP_BYTES, Store
from server.training.manager import RunManager
from server.training.spec import RunSpec
from tests.helpers import TINY, wait_finished


def test_reopened_store_returns_the_same_losses(tmp_path):
    store = Store(tmp_path)
    store.open()
    manager = RunManager(store)
    manager.start()
    run = manager.submit(RunSpec(variant="nn", iterations=400, seed=4, **TINY))
    wait_finished(manager, run.id)
    live_losses = np.array(run.losses)
    manager.close()
    store.close()

    reopened = Store(tmp_path)
    reopened.open()
    _, loss, times = reopened.read_losses(run.id)
    row = reopened.get_run(run.id)
    reopened.close()
    assert row["status"] == "completed" and row["iteration"] == 400
    assert loss.tobytes() == live_losses.tobytes()  # bit for bit
    assert len(times) == 400


def test_run_left_running_by_a_crash_comes_back_interrupted(tmp_path):
    store = Store(tmp_path)
    store.open()
    now = 1.0
    common = {"variant": "tensors", "config": {}, "device": "cpu", "created_at": now}
    running = store.create_run({**common, "status": "running", "started_at": now})
    queued = store.create_run({**common, "status": "queued"})
    done = store.create_run({**common, "status": "completed"})
    store.append_losses(running, 0, np.ones(3).tobytes(), np.arange(3.0).tobytes())
    store.close()  # no manager shutdown: as if the process died

    store = Store(tmp_path)
    store.open()
    assert store.get_run(running)["status"] == "interrupted"
    assert store.get_run(running)["iteration"] == 3
    assert store.get_run(queued)["status"] == "interrupted"
    assert store.get_run(done)["status"] == "completed"
    store.close()


def test_read_losses_after_returns_exactly_the_rest(store):
    run_id = store.create_run(
        {"variant": "numpy", "config": {}, "device": "cpu", "status": "completed", "created_at": 0}
    )
    values = np.arange(10.0)
    for start in (0, 4, 7):  # three uneven batches
        end = {0: 4, 4: 7, 7: 10}[start]
        chunk = values[start:end]
        store.append_losses(run_id, start, chunk.tobytes(), chunk.tobytes())
    store.flush()
    for after in (-1, 0, 3, 4, 6, 8, 9, 20):
        steps, loss, _ = store.read_losses(run_id, after)
        assert list(steps) == list(range(after + 1, 10))
        assert list(loss) == list(values[after + 1 :])


def test_read_losses_after_a_lost_batch_and_past_the_last_step(store):
    run_id = store.create_run(
        {"variant": "numpy", "config": {}, "device": "cpu", "status": "completed", "created_at": 0}
    )
    for start in (0, 10):  # steps 0-2 and 10-12: the batch between was lost
        chunk = np.arange(start, start + 3.0)
        store.append_losses(run_id, start, chunk.tobytes(), chunk.tobytes())
    store.flush()
    for after, rest in ((-1, [0, 1, 2, 10, 11, 12]), (1, [2, 10, 11, 12]), (5, [10, 11, 12])):
        assert store.read_losses(run_id, after)[0].tolist() == rest
        assert store.read_losses(run_id, after, 2)[0].tolist() == rest[:2]
    assert store.read_losses(run_id, 2**63 - 1)[0].tolist() == []


def test_list_runs_filters_and_pages_newest_first(store):
    ids = [
        store.create_run(
            {"variant": v, "config": {}, "device": "cpu", "status": s, "created_at": 0}
        )
        for v, s in [("numpy", "completed"), ("nn", "failed"), ("nn", "completed")]
    ]
    runs, total = store.list_runs()
    assert [r["id"] for r in runs] == ids[::-1] and total == 3
    runs, total = store.list_runs(variant="nn", limit=1)
    assert [r["id"] for r in runs] == [ids[2]] and total == 2
    runs, total = store.list_runs(status="completed", offset=1)
    assert [r["id"] for r in runs] == [ids[0]] and total == 2


def test_delete_run_removes_its_losses(store):
    run_id = store.create_run(
        {"variant": "numpy", "config": {}, "device": "cpu", "status": "completed", "created_at": 0}
    )
    store.append_losses(run_id, 0, np.ones(2).tobytes(), np.ones(2).tobytes())
    assert store.delete_run(run_id) is True
    assert store.get_run(run_id) is None and len(store.read_losses(run_id)[1]) == 0
    assert store.delete_run(run_id) is False


def test_writer_survives_a_full_database_and_keeps_serving(store):
    run_id = store.create_run({"variant": "numpy", "config": {}, "device": "cpu",
                               "status": "running", "created_at": 0})  # fmt: skip
    store.submit(lambda conn: conn.execute("PRAGMA max_page_count = 1")).result(10)
    big = np.ones(100_000).tobytes()
    with pytest.raises(Exception, match="full"):
        store.append_losses(run_id, 0, big, big).result(10)
    store.submit(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823")).result(10)
    with pytest.raises(DiskFull):  # no later batch may land until the store has recovered
        store.append_losses(run_id, 100_000, big, big).result(10)
    assert store.space.recover() is None
    store.append_losses(run_id, 100_000, big, big).result(10)  # the writer is still there
    steps, loss, _ = store.read_losses(run_id)
    assert steps[0] == 100_000 and len(loss) == 100_000  # the lost batch leaves a gap


def test_empty_database_file_in_a_used_data_dir_is_refused(tmp_path):
    (tmp_path / "lossboard.sqlite3").touch()
    (tmp_path / "lossboard.reserve").write_bytes(b"\0")
    with pytest.raises(EmptyDatabase, match=r"lossboard\.sqlite3 is empty \(0 bytes\)"):
        Store(tmp_path).open()
    assert (tmp_path / "lossboard.sqlite3").stat().st_size == 0  # left as it was found


def test_empty_database_file_alone_in_a_new_data_dir_starts_a_store(tmp_path):
    (tmp_path / "lossboard.sqlite3").touch()
    store = Store(tmp_path)
    store.open()
    store.close()
    assert (tmp_path / "lossboard.sqlite3").stat().st_size > 0


def test_new_data_dir_and_its_files_are_private(tmp_path):
    data = tmp_path / "new" / "data"
    store = Store(data)
    store.open()
    store.create_run({"variant": "numpy", "config": {}, "device": "cpu", "status": "queued",
                      "created_at": 0})  # fmt: skip
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
    store.close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert {"lossboard.sqlite3", "lossboard.sqlite3-wal", "lossboard.reserve"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


def test_deleting_an_emptied_database_starts_afresh(tmp_path):
    (tmp_path / "lossboard.sqlite3").touch()
    (tmp_path / "lossboard.reserve").write_bytes(b"\0")
    with pytest.raises(EmptyDatabase):
        Store(tmp_path).open()
    (tmp_path / "lossboard.sqlite3").unlink()  # as the refusal says
    store = Store(tmp_path)
    store.open()
    store.close()


def read_on_a_thread(store: Store) -> sqlite3.Connection:
    """The reader a short-lived thread used, once the thread has ended."""
    used = []
    thread = threading.Thread(target=lambda: used.append(store.reader().execute("SELECT 1")))
    thread.start()
    thread.join()
    return used[0].connection


def test_reader_of_an_ended_thread_is_closed_when_another_opens(store):
    # a thread pool retires idle threads: each dead one's connection (and its page cache)
    # stayed open for good, a few MB more with each run read (issue 27, finding 18)
    ended = read_on_a_thread(store)
    read_on_a_thread(store)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        ended.execute("SELECT 1")


def test_reader_of_a_live_thread_stays_open_while_others_come_and_go(store):
    mine = store.reader()
    read_on_a_thread(store)
    read_on_a_thread(store)
    assert mine.execute("SELECT 1").fetchone()[0] == 1


def test_only_the_page_writers_reads_map_the_database_file(store):
    # every reading thread mapped the file: four downloads of a million-step run took the
    # server's RSS up 140 MB, each thread's mapping of the same pages counted again
    mapped = lambda: store.reader().execute("PRAGMA mmap_size").fetchone()[0]  # noqa: E731
    assert mapped() == 0
    with ThreadPoolExecutor(1, initializer=store.map_reads) as pages:
        assert pages.submit(mapped).result() == MMAP_BYTES
