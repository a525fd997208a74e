"""The client when the server goes away: SIGKILL and restart mid-run, a client that dies
without finish(), and a server that wants a token."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx
import pytest

import lossboard
from lossboard.sender import MAX_BATCH
from server.cli.main import main
from tests.client.support import stored
from tests.helpers import ServerProcess, wait_for, wait_status

pytestmark = pytest.mark.e2e
TOKEN = "client-token-0123456789"
SERIES = ("loss", "val/loss", "lr")


def restart(server: ServerProcess, down: threading.Event, up: threading.Event) -> None:
    server.kill()
    down.set()
    server.start()
    up.set()


def test_server_killed_and_restarted_mid_run_loses_and_repeats_nothing(tmp_path):
    with ServerProcess(tmp_path / "data") as server:
        run = lossboard.init(url=server.url)
        down, up = threading.Event(), threading.Event()
        restarter = threading.Thread(target=restart, args=(server, down, up))
        step, most_in_memory, most_on_disk = 0, 0, 0
        while not up.is_set() or step < 20_000:
            run.log({name: float(step) for name in SERIES})  # raises nothing, or the test fails
            step += 1
            if step == 5_000:
                restarter.start()
            if down.is_set() and step % 100 == 0:
                most_in_memory = max(most_in_memory, run.unsent.memory)
                most_on_disk = max(most_on_disk, run.unsent.disk)
            time.sleep(0.0001)  # a training step's pace
        restarter.join()
        assert run.finish() == 0
        for name in SERIES:
            assert stored(server, run.id, name) == {
                "step": list(range(step)),
                "value": [float(s) for s in range(step)],
            }
    assert most_on_disk > MAX_BATCH  # the outage's points went to the spool...
    assert most_in_memory <= 2 * MAX_BATCH  # ...not to memory


@pytest.fixture(scope="module")
def token_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("token-server")
    env = {"LOSSBOARD_SDK_TIMEOUT_S": "2"}
    with ServerProcess(data, "--token", TOKEN, env=env) as server:
        yield server


def test_init_without_the_token_says_a_token_is_needed(token_server):
    with pytest.raises(lossboard.LossboardError, match=r"needs a token.*LOSSBOARD_TOKEN"):
        lossboard.init(url=token_server.url)


def test_init_with_a_wrong_token_says_the_token_was_refused(token_server):
    with pytest.raises(lossboard.LossboardError, match="refused the token"):
        lossboard.init(url=token_server.url, token="not-the-token-at-all")


def test_token_from_the_environment_logs(token_server, monkeypatch):
    monkeypatch.setenv("LOSSBOARD_URL", token_server.url)
    monkeypatch.setenv("LOSSBOARD_TOKEN", TOKEN)
    run = lossboard.init()
    run.log({"loss": 0.5})
    assert run.finish() == 0
    assert stored(token_server, run.id, "loss", TOKEN) == {"step": [0], "value": [0.5]}


CLIENT = """
import sys, time, lossboard
run = lossboard.init()
run.log({"loss": 1.0})
print(run.id, flush=True)
time.sleep(600)
"""


def test_client_killed_without_finish_ends_interrupted(token_server, tmp_path):
    env = {"LOSSBOARD_URL": token_server.url, "LOSSBOARD_TOKEN": TOKEN,
           "LOSSBOARD_DIR": str(tmp_path)}  # fmt: skip
    authed = Authed(token_server, TOKEN)
    with subprocess.Popen(
        [sys.executable, "-c", CLIENT], stdout=subprocess.PIPE, env=env
    ) as client:
        try:
            run_id = int(client.stdout.readline())
            wait_for(lambda: authed.get(f"/api/runs/{run_id}/series").json()["series"])
            assert authed.get(f"/api/runs/{run_id}").json()["status"] == "running"
        finally:
            client.kill()
    run = wait_status(authed, run_id, ["interrupted"], timeout=30)
    assert "no word from the client" in run["error"]


class Authed:
    """GETs on a server, with its token."""

    def __init__(self, server: ServerProcess, token: str) -> None:
        self.server, self.headers = server, {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.server.url + path, headers=self.headers, timeout=10)


def test_finish_while_the_server_is_down_counts_what_it_kept_and_sync_sends_it(tmp_path):
    with ServerProcess(tmp_path / "data") as server:
        run = lossboard.init(url=server.url)
        run.log({"loss": 0.0})
        wait_for(lambda: run.unsent == (0, 0))
        server.kill()
        for step in range(1, 100):
            run.log({"loss": float(step), "lr": 0.1})
        assert run.finish(timeout=1) == 2 * 99
        [spool] = (tmp_path / "runs").glob("spool-*")
        server.start()
        assert server.get(f"/api/runs/{run.id}").json()["status"] == "running"
        assert main(["sync", str(spool), "--url", server.url]) == 0
        assert server.get(f"/api/runs/{run.id}").json()["status"] == "completed"
        assert stored(server, run.id, "loss")["step"] == list(range(100))
        assert stored(server, run.id, "lr")["step"] == list(range(1, 100))
