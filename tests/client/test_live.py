"""The client against a real server: every point stored bit for bit and streamed once, in
order; Cancel heard within a second; how a run ends; what init says when it cannot start."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time

import httpx
import pytest
import torch

import lossboard
from tests.client.support import bits, stored, streamed
from tests.helpers import free_port, server_env, wait_for

pytestmark = pytest.mark.e2e
STEPS = 10_000
EXTREMES = [5e-324, -0.0, 0.0, 1.7976931348623157e308, -2.2250738585072014e-308, 1 / 3]


def series_values(seed: int) -> list[float]:
    rng = random.Random(seed)
    values = [rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-300, 300) for _ in range(STEPS)]
    values[: len(EXTREMES)] = EXTREMES
    return values


def test_three_series_stored_bit_for_bit_and_streamed_once_in_order(server):
    logged = {name: series_values(i) for i, name in enumerate(("loss", "val/loss", "train/acc"))}
    run = lossboard.init(name="three series", url=server.url)
    with_stream: dict = {}
    follower = threading.Thread(target=lambda: with_stream.update(streamed(server, run.id)))
    follower.start()
    for step in range(STEPS):
        run.log({name: values[step] for name, values in logged.items()})
    assert run.finish() == 0
    follower.join(60)
    for name, values in logged.items():
        back = stored(server, run.id, name)
        assert back["step"] == list(range(STEPS))
        assert bits(back["value"]) == bits(values)
        assert with_stream[name] == list(zip(range(STEPS), back["value"], strict=True))


def test_non_finite_values_stored_as_gaps_and_run_goes_on(server):
    run = lossboard.init(url=server.url)
    run.log({"loss": float("nan"), "lr": float("inf")})
    run.log({"loss": 1.5, "lr": float("-inf")})
    assert run.finish() == 0
    assert stored(server, run.id, "loss") == {"step": [0, 1], "value": [None, 1.5]}
    assert stored(server, run.id, "lr") == {"step": [0, 1], "value": [None, None]}
    assert server.get(f"/api/runs/{run.id}").json()["status"] == "completed"


def test_explicit_steps_skip_and_series_keep_their_own(server):
    run = lossboard.init(url=server.url)
    for step in range(0, 1000, 10):
        run.log({"loss": float(step)}, step=step)
        if step % 100 == 0:
            run.log({"val/acc": step / 1000}, step=step)
    assert run.finish() == 0
    assert stored(server, run.id, "loss")["step"] == list(range(0, 1000, 10))
    assert stored(server, run.id, "val/acc")["step"] == list(range(0, 1000, 100))


def test_run_is_an_sdk_run_with_its_config_tags_and_notes(server):
    config = {"lr": 1e-3, "layers": [128, 64], "optimizer": {"name": "adam", "betas": [0.9, 0.99]}}
    run = lossboard.init(name="mine", config=config, tags=["mnist"], notes="first", url=server.url)
    assert run.url == f"{server.url}/runs/{run.id}"
    assert run.config.lr == 1e-3
    run.finish()
    stored_run = server.get(f"/api/runs/{run.id}").json()
    assert stored_run["source"] == "sdk"
    assert stored_run["variant"] is None
    assert (stored_run["name"], stored_run["config"], stored_run["tags"], stored_run["notes"]) == (
        "mine",
        config,
        ["mnist"],
        "first",
    )


def test_cancel_from_the_api_sets_should_stop_within_a_second(server):
    run = lossboard.init(url=server.url)
    run.log({"loss": 1.0})
    time.sleep(0.7)  # idle: only the heartbeat can bring the news
    assert not run.should_stop
    assert httpx.post(f"{server.url}/api/runs/{run.id}/cancel").is_success
    cancelled = time.monotonic()
    wait_for(lambda: run.should_stop, timeout=5)
    assert time.monotonic() - cancelled < 1.0
    run.finish(status="cancelled")
    assert server.get(f"/api/runs/{run.id}").json()["status"] == "cancelled"


def test_exception_inside_with_ends_the_run_failed_with_its_text(server):
    with pytest.raises(ValueError), lossboard.init(url=server.url) as run:
        run.log({"loss": 1.0})
        raise ValueError("the data ran out")
    stored_run = server.get(f"/api/runs/{run.id}").json()
    assert stored_run["status"] == "failed"
    assert "the data ran out" in stored_run["error"]


def test_ctrl_c_inside_with_ends_the_run_cancelled(server):
    with pytest.raises(KeyboardInterrupt), lossboard.init(url=server.url) as run:
        run.log({"loss": 1.0})
        raise KeyboardInterrupt
    assert server.get(f"/api/runs/{run.id}").json()["status"] == "cancelled"


def test_resume_continues_the_steps_of_a_run(server):
    first = lossboard.init(url=server.url)
    for _ in range(5):
        first.log({"loss": 1.0})
    first.finish()
    again = lossboard.init(url=server.url, resume=first.id)
    assert again.id == first.id
    again.log({"loss": 2.0})
    again.finish()
    assert stored(server, first.id, "loss")["step"] == [0, 1, 2, 3, 4, 5]


def test_init_with_nothing_listening_says_it_cannot_reach_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(lossboard.LossboardError, match=f"cannot reach the server at {url}"):
        lossboard.init(url=url)


def test_init_at_a_server_that_is_not_lossboard_says_so(server):
    with pytest.raises(lossboard.LossboardError, match="does not look like a lossboard server"):
        lossboard.init(url=server.url + "/elsewhere")


def test_init_with_a_bad_config_says_which_field(server):
    with pytest.raises(lossboard.LossboardError, match="config"):
        lossboard.init(url=server.url, config={"blob": "x" * 70_000})


SCRIPT_END = """
import lossboard
run = lossboard.init()
run.log({"loss": 1.0})
print(run.id, flush=True)
"""


@pytest.mark.parametrize(
    ("ending", "status"),
    [("", "completed"), ("raise KeyboardInterrupt", "cancelled"), ("1 / 0", "failed")],
)
def test_script_that_never_calls_finish_ends_by_how_it_exited(server, tmp_path, ending, status):
    env = server_env({"LOSSBOARD_URL": server.url, "LOSSBOARD_DIR": str(tmp_path)})
    script = SCRIPT_END + ending + "\n"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    run = server.get(f"/api/runs/{int(out.stdout)}").json()
    assert run["status"] == status
    if status == "failed":
        assert run["error"] == "ZeroDivisionError: division by zero"
    assert stored(server, run["id"], "loss") == {"step": [0], "value": [1.0]}


def test_config_values_json_lacks_are_stored_as_their_text(server, tmp_path):
    run = lossboard.init(url=server.url, config={"data": tmp_path, "device": torch.device("cpu")})
    run.finish()
    config = server.get(f"/api/runs/{run.id}").json()["config"]
    assert config == {"data": str(tmp_path), "device": "cpu"}
