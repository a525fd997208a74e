"""Runs from disk: an offline run synced (twice makes one run) and a TensorBoard logdir
written by tensorboardX imported, one run per run directory and one series per tag."""

from __future__ import annotations

import pytest
from tensorboardX import SummaryWriter as TbxWriter

import lossboard
from server.cli.main import main
from tests.client.support import stored

pytestmark = pytest.mark.e2e


def runs_named(server, name: str) -> list[dict]:
    return [r for r in server.get("/api/runs?limit=1000").json()["runs"] if r["name"] == name]


def test_offline_run_synced_twice_makes_one_run(server, tmp_path, capsys):
    run = lossboard.init(name="on the train", config={"lr": 0.1}, mode="offline", dir=tmp_path)
    for step in range(25_000):  # several batches
        run.log({"loss": 1 / (step + 1), "val/acc": step / 25_000})
    run.finish()
    assert run.id is None
    for _ in range(2):
        assert main(["sync", str(run.dir.path), "--url", server.url]) == 0
    [synced] = runs_named(server, "on the train")
    assert "(completed)" in capsys.readouterr().out
    assert (synced["status"], synced["source"]) == ("completed", "sdk")
    assert synced["config"] == {"lr": 0.1}
    loss = stored(server, synced["id"], "loss")
    assert loss["step"] == list(range(25_000))
    assert loss["value"] == [1 / (step + 1) for step in range(25_000)]
    assert len(stored(server, synced["id"], "val/acc")["step"]) == 25_000


def test_sync_of_a_directory_that_is_not_a_run_says_so(server, tmp_path, capsys):
    assert main(["sync", str(tmp_path), "--url", server.url]) == 1
    assert str(tmp_path) in capsys.readouterr().err


def write_logdir(logdir) -> None:
    """Two runs as TensorBoard users write them: train/loss each step, val/acc each 10."""
    for run, scale in (("first", 1.0), ("second", 2.0)):
        with TbxWriter(str(logdir / run)) as writer:
            for step in range(100):
                writer.add_scalar("train/loss", scale / (step + 1), step)
                if step % 10 == 0:
                    writer.add_scalar("val/acc", scale * step / 100, step)


def test_import_tb_makes_a_run_per_directory_and_a_series_per_tag(server, tmp_path):
    logdir = tmp_path / "logs"
    write_logdir(logdir)
    for _ in range(2):  # importing again finds the same runs
        assert main(["import-tb", str(logdir), "--url", server.url]) == 0
    for run, scale in (("first", 1.0), ("second", 2.0)):
        [imported] = runs_named(server, f"logs/{run}")
        assert imported["status"] == "completed"
        loss = stored(server, imported["id"], "train/loss")
        assert loss["step"] == list(range(100))
        # tensorboardX writes float32: the values come back as float32 widened to float64
        assert loss["value"] == pytest.approx([scale / (s + 1) for s in range(100)], rel=1e-6)
        acc = stored(server, imported["id"], "val/acc")
        assert acc["step"] == list(range(0, 100, 10))


def test_import_tb_of_a_logdir_without_scalars_says_so(server, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["import-tb", str(tmp_path / "empty"), "--url", server.url]) == 1
    assert "no scalars" in capsys.readouterr().err
