"""The commands that change runs (delete, rerun, rename, tag, note), follow, the runs list's
filters, `show` as plain lines and the TensorBoard export, against a real server."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tests.cli.support import lossboard
from tests.cli.test_commands import start_run
from tests.helpers import TINY_ARGS, wait_status


@pytest.fixture
def done(server) -> int:
    """A finished tiny run's id."""
    run_id = start_run(server, "tensors", "--iterations", "3", "--seed", "5", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    return run_id


def ok(server, *args: str) -> str:
    result = lossboard(server, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_delete_removes_finished_runs(server, done):
    assert ok(server, "delete", str(done)) == f"deleted run {done}\n"
    assert server.get(f"/api/runs/{done}").status_code == 404


def test_delete_of_an_unknown_run_fails_naming_it(server):
    result = lossboard(server, "delete", "99999")
    assert result.returncode == 1 and "99999" in result.stderr


def test_rerun_prints_the_new_run_which_names_its_source(server, done):
    new = int(ok(server, "rerun", str(done), "--seed", "9"))
    run = wait_status(server, new, ("completed",))
    assert run["rerun_of"] == done and run["config"]["seed"] == 9


def test_rerun_follow_exits_zero_when_it_completes(server, done):
    out = ok(server, "rerun", str(done), "--follow")
    assert re.search(r"completed: 3 iterations", out)


def test_follow_watches_a_run_to_its_end(server, done):
    assert f"run {done} completed" in ok(server, "follow", str(done))


def test_rename_sets_the_name(server, done):
    assert ok(server, "rename", str(done), "baseline") == f"run {done}: baseline\n"
    assert server.get(f"/api/runs/{done}").json()["name"] == "baseline"


def test_tag_adds_then_removes_tags(server, done):
    assert ok(server, "tag", str(done), "a", "b") == f"run {done}: a, b\n"
    assert ok(server, "tag", str(done), "a", "--remove") == f"run {done}: b\n"
    assert server.get(f"/api/runs/{done}").json()["tags"] == ["b"]


def test_note_sets_then_appends(server, done):
    ok(server, "note", str(done), "lr too high")
    ok(server, "note", str(done), "try 1e-5", "--append")
    assert server.get(f"/api/runs/{done}").json()["notes"] == "lr too high\ntry 1e-5"


def test_runs_filters_by_tag_search_and_sweep(server, done):
    ok(server, "tag", str(done), "cli-tag-77")
    ok(server, "rename", str(done), "zebra-cli-41")
    assert f"{done} │" in ok(server, "runs", "--tag", "cli-tag-77")
    assert f"{done} │" in ok(server, "runs", "--q", "zebra-cli")
    assert f"{done} │" not in ok(server, "runs", "--tag", "cli-tag-other")
    assert "0 of 0 runs" in ok(server, "runs", "--sweep", "99999")


def test_show_lines_are_not_padded_and_hold_no_python_reprs(server, done):
    out = ok(server, "show", str(done))
    lines = out.splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert "None" not in out and "'" not in out and "{" not in out
    assert re.search(r"^request\.seed\s+5$", out, re.M)
    assert re.search(r"^worker\.executor\s+local$", out, re.M)
    assert re.search(r"^config\.seed\s+5$", out, re.M)


def test_export_tensorboard_writes_a_zipped_logdir(server, done, tmp_path):
    out = tmp_path / "run.zip"
    ok(server, "export", str(done), "--format", "tensorboard", "-o", str(out))
    names = zipfile.ZipFile(io.BytesIO(out.read_bytes())).namelist()
    assert names and all(name.startswith(f"run-{done}_") for name in names)
