"""The commands that steer a run (pause, resume, step, hyper) and download its model, against a
real server; `runs` and `show` with a paused run."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
import torch

from tests.cli.support import LOSSBOARD, ROOT, clean_env, lossboard
from tests.cli.test_commands import start_run
from tests.helpers import TINY_ARGS, wait_status

LONG = ("--iterations", "10000000")


def ok(server, *args: str) -> str:
    result = lossboard(server, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(server, *args: str) -> str:
    """The one line a refused command writes on stderr (it exits 1)."""
    result = lossboard(server, *args)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("lossboard: ") and result.stderr.count("\n") == 1
    return result.stderr


@pytest.fixture
def paused(server):
    """A long `nn` run, paused; cancelled afterwards."""
    run_id = start_run(server, "nn", *LONG, "--seed", "3", *TINY_ARGS)
    wait_status(server, run_id, ("running",))
    ok(server, "pause", str(run_id))
    yield run_id
    server.api("POST", f"/api/runs/{run_id}/cancel")


def test_pause_says_the_step_it_paused_at(server):
    run_id = start_run(server, "nn", *LONG, *TINY_ARGS)
    wait_status(server, run_id, ("running",))
    try:
        out = ok(server, "pause", str(run_id))
        run = server.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "paused"
        assert out == f"run {run_id} paused at step {run['iteration']}\n"
    finally:
        server.api("POST", f"/api/runs/{run_id}/cancel")


def test_pause_of_a_finished_run_is_the_apis_409(server):
    run_id = start_run(server, "tensors", "--iterations", "2", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    err = refused(server, "pause", str(run_id))
    assert err == f"lossboard: run {run_id} is completed: only a running run can be paused\n"


def test_pause_of_an_unknown_run_is_the_apis_404(server):
    assert refused(server, "pause", "999999") == "lossboard: run 999999 does not exist\n"


def test_resume_goes_on_from_the_checkpoint(server, paused):
    step = server.get(f"/api/runs/{paused}").json()["iteration"]
    out = ok(server, "resume", str(paused))
    assert out == f"run {paused} goes on from its checkpoint at step {step}\n"
    assert wait_status(server, paused, ("running",))["iteration"] >= step
    ok(server, "pause", str(paused))


def test_resume_of_a_completed_run_is_refused(server):
    run_id = start_run(server, "tensors", "--iterations", "2", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    err = refused(server, "resume", str(run_id))
    assert "only a paused or interrupted run resumes" in err


def test_step_runs_one_step_and_pauses_again(server, paused):
    step = server.get(f"/api/runs/{paused}").json()["iteration"]
    out = ok(server, "step", str(paused))
    run = server.get(f"/api/runs/{paused}").json()
    assert run["status"] == "paused" and run["iteration"] == step + 1
    loss = format(run["last_loss"], ".6g")
    assert out == f"run {paused} ran step {step}: loss {loss}; paused at step {step + 1}\n"


def test_step_n_runs_n_steps(server, paused):
    step = server.get(f"/api/runs/{paused}").json()["iteration"]
    out = ok(server, "step", str(paused), "-n", "5")
    assert f"ran steps {step} to {step + 4}: loss " in out
    assert server.get(f"/api/runs/{paused}").json()["iteration"] == step + 5


def test_step_past_the_last_step_names_n(server):
    run_id = start_run(server, "nn", "--iterations", "100000", *TINY_ARGS)
    wait_status(server, run_id, ("running",))
    try:
        ok(server, "pause", str(run_id))
        left = 100000 - server.get(f"/api/runs/{run_id}").json()["iteration"]
        err = refused(server, "step", str(run_id), "-n", str(left + 1))
        assert err.startswith(f"lossboard: n: run {run_id} has {left} of its 100000 steps left")
        assert server.get(f"/api/runs/{run_id}").json()["status"] == "paused"
    finally:
        server.api("POST", f"/api/runs/{run_id}/cancel")


def test_hyper_changes_a_paused_runs_learning_rate_as_an_event(server, paused):
    out = ok(server, "hyper", str(paused), "--lr", "2e-6")
    assert out == f"run {paused} takes learning_rate 2e-06 from the step it resumes at\n"
    (event,) = server.get(f"/api/runs/{paused}").json()["events"]
    assert (event["field"], event["old"], event["new"]) == ("learning_rate", 1e-6, 2e-6)


def test_hyper_of_a_running_run_takes_effect_at_its_next_step(server):
    run_id = start_run(server, "nn", *LONG, *TINY_ARGS)
    wait_status(server, run_id, ("running",))
    try:
        out = ok(server, "hyper", str(run_id), "--learning-rate", "3e-6")
        assert out == f"run {run_id} takes learning_rate 3e-06 from its next step\n"
    finally:
        server.api("POST", f"/api/runs/{run_id}/cancel")


@pytest.mark.parametrize("value", ["0", "-1e-3"])
def test_hyper_refuses_a_learning_rate_that_is_not_positive(server, paused, value):
    err = refused(server, "hyper", str(paused), f"--lr={value}")
    assert err == "lossboard: learning_rate: Input should be greater than 0\n"
    assert server.get(f"/api/runs/{paused}").json()["events"] == []


@pytest.mark.parametrize("value", ["nan", "inf", "fast"])
def test_hyper_refuses_a_learning_rate_json_cannot_carry_before_asking(value):
    result = lossboard(None, "hyper", "1", "--lr", value)
    assert result.returncode == 2 and "--lr" in result.stderr


def test_hyper_of_a_finished_run_is_refused(server):
    run_id = start_run(server, "tensors", "--iterations", "2", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    err = refused(server, "hyper", str(run_id), "--lr", "1e-5")
    assert f"run {run_id} is completed: hyperparameters change while a run runs" in err


def test_hyper_without_a_value_is_a_usage_error(server):
    result = lossboard(server, "hyper", "1")
    assert result.returncode == 2 and "give --lr, --momentum or both" in result.stderr


def test_model_downloads_the_final_weights_to_run_id_pt(server, tmp_path):
    run_id = start_run(server, "nn", "--iterations", "7", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    result = lossboard(server, "model", str(run_id), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        rf"wrote run-{run_id}\.pt \([\d,]+ bytes\): run {run_id}'s weights, those that gave "
        r"its loss at step 6\n",
        result.stdout,
    )
    weights = torch.load(tmp_path / f"run-{run_id}.pt", weights_only=True)
    assert weights["0.weight"].shape == (16, 16)  # (H, D_in): the Sequential's first Linear


def test_model_of_a_paused_run_is_its_checkpoints(server, paused, tmp_path):
    out = tmp_path / "m.pt"
    step = server.get(f"/api/runs/{paused}").json()["iteration"]
    said = ok(server, "model", str(paused), "-o", str(out))
    assert said.endswith(f"those that gave its loss at step {step}\n")
    assert set(torch.load(out, weights_only=True)) == {"0.weight", "2.weight"}


def test_model_of_a_run_without_one_is_the_apis_404_and_writes_nothing(server, tmp_path):
    err = refused(server, "model", "999999", "-o", str(tmp_path / "x.pt"))
    assert err == "lossboard: run 999999 does not exist\n"
    assert list(tmp_path.iterdir()) == []


def test_runs_and_show_tell_a_paused_run_its_events_and_checkpoint(server, paused):
    ok(server, "hyper", str(paused), "--lr", "5e-6")
    row = next(line for line in ok(server, "runs", "--status", "paused").splitlines()
               if f" {paused} │" in line)  # fmt: skip
    assert "│ paused │" in row
    out = ok(server, "show", str(paused))
    assert re.search(r"^status\s+paused$", out, re.M)
    assert re.search(r"^events\.0\s+step \d+: learning_rate 1e-06 → 5e-06$", out, re.M)
    assert re.search(r"^checkpoint\s+step \d+, [\d,]+ bytes, written in [\d.]+ s at ", out, re.M)
    assert re.search(r'^request\.schedule\s+\{"step": \d+, "field": "learning_rate", ', out, re.M)
    assert "None" not in out and "'" not in out


def test_cancel_ends_a_paused_run(server, paused):
    assert ok(server, "cancel", str(paused)) == f"run {paused}: cancelled\n"


def test_the_docs_lines_load_a_downloaded_nn_model(server, tmp_path, monkeypatch):
    run_id = start_run(server, "nn", "--iterations", "2")  # the tutorial's sizes, as the docs'
    wait_status(server, run_id, ("completed",))
    ok(server, "model", str(run_id), "-o", str(tmp_path / "run-7.pt"))
    docs = (ROOT / "docs" / "api.md").read_text()
    lines = re.search(r"For `nn`, these lines .*?```python\n(.*?)```", docs, re.S)
    assert lines is not None
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(lines[1], namespace)
    assert namespace["model"](torch.zeros(1, 1000)).shape == (1, 10)


def test_model_to_stdout_writes_the_file_there_and_says_the_step_on_stderr(server):
    run_id = start_run(server, "nn", "--iterations", "3", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    env = clean_env(LOSSBOARD_URL=server.url)
    result = subprocess.run([*LOSSBOARD, "model", str(run_id), "-o", "-"], env=env,
                            capture_output=True, timeout=60, check=True)  # fmt: skip
    assert set(torch.load(io.BytesIO(result.stdout), weights_only=True)) == {"0.weight", "2.weight"}
    assert result.stderr.decode().endswith("those that gave its loss at step 2\n")
