"""The sweep commands against a real server: sweep (and --follow), sweeps, sweep-show."""

from __future__ import annotations

import json
import re
import signal

from tests.cli.support import TOKEN, lossboard
from tests.cli.test_commands import popen_follow
from tests.helpers import TINY, TINY_ARGS, wait_for

FAST = ["--iterations", "20", *TINY_ARGS]
ENDLESS = ["--grid", "learning_rate=1e-6,1e-5", "--iterations", "10000000", *TINY_ARGS]


def start_sweep(server, name: str, *args: str) -> int:
    """A sweep of two learning rates started over HTTP; its id once every run has finished."""
    body = {
        "name": name,
        "variant": "numpy",
        "params": {"learning_rate": {"values": [1e-6, 1e-5]}},
        "base": {"iterations": 5, **TINY},
    }
    sweep = server.api("POST", "/api/sweeps", json=body).json()
    wait_for(lambda: server.get(f"/api/sweeps/{sweep['id']}").json()["status"] != "running")
    return sweep["id"]


def test_sweep_follow_exits_zero_with_a_row_per_point(server):
    args = ("numpy", "--grid", "learning_rate=1e-6,1e-5", "--seeds", "2", "--follow")
    result = lossboard(server, "sweep", *args, *FAST)
    assert result.returncode == 0, result.stderr
    sweep_id = int(result.stdout.splitlines()[0])
    for rate in ("1e-06", "1e-05"):
        assert re.search(rf"│ +{rate} │ 2 completed +│", result.stdout), result.stdout
    assert f"sweep {sweep_id} completed: 4 runs (4 completed)" in result.stdout
    assert server.get(f"/api/sweeps/{sweep_id}").json()["status"] == "completed"


def test_sweep_follow_marks_the_best_point(server):
    argv = ("numpy", "--grid", "learning_rate=1e-6,1e-5", "--follow", *FAST)
    result = lossboard(server, "sweep", *argv)
    sweep = server.get(f"/api/sweeps/{int(result.stdout.splitlines()[0])}").json()
    rate = format(sweep["best"]["params"]["learning_rate"], ".6g")
    assert re.search(rf"│ ★ │ +{rate} │", result.stdout), result.stdout
    assert f"★ best: run {sweep['best']['run_id']}" in result.stdout


def test_sweep_prints_its_id_and_page_and_sends_the_flags(server):
    args = ("--grid", "H=8,16", "--seeds", "2", "--seed", "11", "--name", "sizes")
    result = lossboard(server, "sweep", "nn", *args, "--iterations", "3", "--set", "N=8")
    assert result.returncode == 0, result.stderr
    sweep_id = int(result.stdout.splitlines()[0])
    assert result.stdout == f"{sweep_id}\n{server.url}/sweeps/{sweep_id}\n"
    sweep = server.get(f"/api/sweeps/{sweep_id}").json()
    assert sweep["spec"]["params"] == {"H": {"values": [8, 16]}}
    assert (sweep["name"], sweep["seed"], len(sweep["run_ids"])) == ("sizes", 11, 4)
    assert sweep["spec"]["base"] == {"iterations": 3, "N": 8, "seed": 11}


def test_sweep_refused_by_the_server_names_the_field(server):
    result = lossboard(server, "sweep", "nn", "--grid", "optimizer=sgd,adam", *FAST)
    assert result.returncode == 1
    assert result.stderr == "lossboard: params.optimizer: the nn variant takes no optimizer\n"


def test_sweep_bad_flag_exits_2_naming_the_field(server):
    result = lossboard(server, "sweep", "numpy", "--grid", "learning_rate=1e-6,,1e-5")
    assert result.returncode == 2
    assert "learning_rate: an empty value" in result.stderr.splitlines()[-1]


def test_sweep_follow_of_a_cancelled_sweep_exits_1(server):
    follow = popen_follow(server, "sweep", "nn", *ENDLESS, "--follow")
    try:
        sweep_id = int(follow.stdout.readline())
        server.api("POST", f"/api/sweeps/{sweep_id}/cancel")
        _, err = follow.communicate(timeout=30)
    finally:
        follow.kill()
    assert follow.returncode == 1
    assert err.splitlines()[-1].startswith(f"lossboard: sweep {sweep_id} cancelled (")


def test_sweep_follow_interrupted_exits_130_and_leaves_the_sweep_going(server):
    follow = popen_follow(server, "sweep", "nn", *ENDLESS, "--follow")
    sweep_id = int(follow.stdout.readline())
    try:
        follow.stdout.readline()  # its page: the socket opens next
        wait_for(lambda: server.get(f"/api/sweeps/{sweep_id}").json()["counts"]["running"])
        follow.send_signal(signal.SIGINT)
        _, err = follow.communicate(timeout=30)
        assert follow.returncode == 130
        assert "Traceback" not in err
        assert server.get(f"/api/sweeps/{sweep_id}").json()["status"] == "running"
    finally:
        server.api("POST", f"/api/sweeps/{sweep_id}/cancel")
        follow.kill()
        follow.communicate()


def test_sweep_follow_sends_the_token(token_server):
    args = ("numpy", "--grid", "learning_rate=1e-6,1e-5", "--follow", *FAST)
    result = lossboard(token_server, "sweep", *args, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "completed: 2 runs" in result.stdout


def test_sweeps_lists_a_sweep_with_its_counts(server):
    sweep_id = start_sweep(server, "listed")
    result = lossboard(server, "sweeps")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "listed" in line)
    assert re.search(rf"│ +{sweep_id} │ listed +│ completed │ +2 │ 2 completed +│ +\S+ │", row)


def test_sweeps_escapes_control_characters_in_names(server):
    start_sweep(server, "evil\x1b[2J\u202ename")
    result = lossboard(server, "sweeps")
    assert "evil\\x1b[2J\\u202ename" in result.stdout
    assert "\x1b" not in result.stdout


def test_sweep_show_prints_the_spec_and_a_row_per_point(server):
    sweep_id = start_sweep(server, "shown")
    result = lossboard(server, "sweep-show", str(sweep_id))
    assert result.returncode == 0, result.stderr
    assert re.search(r"spec\.params\.learning_rate\.values +1e-06, 1e-05", result.stdout)
    assert re.search(r"spec\.base\.iterations +5", result.stdout)
    run_ids = server.get(f"/api/sweeps/{sweep_id}").json()["run_ids"]
    for rate, run_id in zip(("1e-06", "1e-05"), run_ids, strict=True):
        assert re.search(rf"│ +{rate} │ 1 completed +│ .* │ +{run_id} │", result.stdout)


def test_sweep_show_json_prints_the_sweep_public_json(server):
    sweep_id = start_sweep(server, "json")
    result = lossboard(server, "sweep-show", str(sweep_id), "--json")
    assert json.loads(result.stdout) == server.get(f"/api/sweeps/{sweep_id}").json()


def test_sweep_show_of_an_unknown_sweep_is_one_line(server):
    result = lossboard(server, "sweep-show", "999999")
    assert result.returncode == 1
    assert result.stderr == "lossboard: sweep 999999 does not exist\n"


def test_sweep_cancel_cancels_a_running_sweep(server):
    result = lossboard(server, "sweep", "numpy", *ENDLESS)
    sweep_id = int(result.stdout.splitlines()[0])
    wait_for(lambda: server.get(f"/api/sweeps/{sweep_id}").json()["counts"]["running"])
    cancelled = lossboard(server, "sweep-cancel", str(sweep_id))
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f"sweep {sweep_id}: ")
    ended = wait_for(lambda: (s := server.get(f"/api/sweeps/{sweep_id}").json())["status"]
                     != "running" and s)  # fmt: skip
    assert ended["status"] == "cancelled"


def test_export_of_a_sweep_in_each_of_its_formats(server, tmp_path):
    sweep_id = start_sweep(server, "exported")
    out = tmp_path / "sweep.csv"
    result = lossboard(server, "export", str(sweep_id), "--sweep", "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "run_id,learning_rate,seed,step,loss,time" and len(lines) == 11
    zipped = tmp_path / "sweep.zip"
    args = ("--sweep", "--format", "tensorboard", "-o", str(zipped))
    assert lossboard(server, "export", str(sweep_id), *args).returncode == 0
    assert zipped.read_bytes()[:2] == b"PK"
    refused = lossboard(server, "export", str(sweep_id), "--sweep", "--format", "json")
    assert refused.returncode == 2 and "a sweep exports as csv or tensorboard" in refused.stderr
