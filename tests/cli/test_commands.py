"""The client commands against a real server: run, follow, runs, show, cancel, export."""

from __future__ import annotations

import json
import re
import signal
import subprocess

from tests.cli.support import LOSSBOARD, clean_env, lossboard, serving
from tests.helpers import TINY_ARGS, ServerProcess, free_port, wait_status


def start_run(server, *args: str) -> int:
    result = lossboard(server, "run", *args)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def test_run_prints_the_new_run_id(server):
    run_id = start_run(server, "nn", "--iterations", "3", "--seed", "7", *TINY_ARGS)
    run = server.api("GET", f"/api/runs/{run_id}").json()
    assert run["variant"] == "nn"
    assert run["config"]["seed"] == 7


def test_run_follow_exits_zero_when_the_run_completes(server):
    result = lossboard(server, "run", "nn", "--iterations", "200", "--follow", *TINY_ARGS)
    assert result.returncode == 0, result.stderr
    run_id = int(result.stdout.splitlines()[0])
    assert f"run {run_id} completed: 200 iterations" in result.stdout
    assert "200/200" in result.stderr  # the progress bar, fed by the websocket
    assert server.api("GET", f"/api/runs/{run_id}").json()["status"] == "completed"


def test_run_follow_of_a_diverging_run_exits_nonzero_naming_the_iteration(server):
    result = lossboard(server, "run", "numpy", "--set", "learning_rate=1e-2", "--follow")
    assert result.returncode == 1
    assert re.search(r"lossboard: run \d+ diverged: .*iteration \d+", result.stderr)
    assert "Traceback" not in result.stderr


def test_run_follow_of_a_cancelled_run_exits_nonzero(server):
    follow = popen_follow(server, "run", "nn", "--iterations", "10000000", "--follow", *TINY_ARGS)
    run_id = int(follow.stdout.readline())
    wait_status(server, run_id, ("running",))
    server.api("POST", f"/api/runs/{run_id}/cancel")
    _, err = follow.communicate(timeout=30)
    assert follow.returncode == 1
    assert f"lossboard: run {run_id} cancelled" in err


def test_run_follow_interrupted_exits_130_and_leaves_the_run_going(server):
    follow = popen_follow(server, "run", "nn", "--iterations", "10000000", "--follow", *TINY_ARGS)
    run_id = int(follow.stdout.readline())
    try:
        wait_status(server, run_id, ("running",))
        follow.send_signal(signal.SIGINT)
        _, err = follow.communicate(timeout=30)
        assert follow.returncode == 130
        assert "Traceback" not in err
        assert server.api("GET", f"/api/runs/{run_id}").json()["status"] == "running"
    finally:
        server.api("POST", f"/api/runs/{run_id}/cancel")
        follow.kill()
        follow.communicate()


def popen_follow(server, *args: str) -> subprocess.Popen[str]:
    """`lossboard ARGS` in the background, with Ctrl-C handled as in a terminal."""
    return subprocess.Popen(
        [*LOSSBOARD, *args],
        env=clean_env(LOSSBOARD_URL=server.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background jobs ignore SIGINT, and a child inherits that: restore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_runs_lists_runs_in_a_table_filtered_by_variant(server):
    run_id = start_run(server, "autograd", "--iterations", "2", "--name", "table-me", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    result = lossboard(server, "runs", "--variant", "autograd", "--limit", "5")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "table-me" in line)
    assert re.search(rf"│\s*{run_id} │ autograd │ table-me │ completed │ cpu\s*│\s*2/2 │", row)
    other = lossboard(server, "runs", "--variant", "nn")
    assert "table-me" not in other.stdout


def test_show_prints_the_run_and_its_config(server):
    run_id = start_run(server, "tensors", "--iterations", "4", "--seed", "4242", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    result = lossboard(server, "show", str(run_id))
    assert result.returncode == 0, result.stderr
    assert re.search(r"status\s+completed", result.stdout)
    assert re.search(r"config\.seed\s+4242", result.stdout)


def test_show_json_prints_the_run_public_json(server):
    run_id = start_run(server, "tensors", "--iterations", "2", *TINY_ARGS)
    result = lossboard(server, "show", str(run_id), "--json")
    assert json.loads(result.stdout)["id"] == run_id


def test_cancel_stops_a_running_run(server):
    run_id = start_run(server, "nn", "--iterations", "10000000", *TINY_ARGS)
    wait_status(server, run_id, ("running",))
    result = lossboard(server, "cancel", str(run_id))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"run {run_id}: cancelled\n"


def test_export_csv_writes_every_step_to_a_file(server, tmp_path):
    run_id = start_run(server, "nn", "--iterations", "50", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    out = tmp_path / "losses.csv"
    result = lossboard(server, "export", str(run_id), "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "step,loss,time"
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(50))


def test_export_json_goes_to_stdout_without_o(server):
    run_id = start_run(server, "autograd", "--iterations", "5", *TINY_ARGS)
    wait_status(server, run_id, ("completed",))
    result = lossboard(server, "export", str(run_id), "--format", "json")
    body = json.loads(result.stdout)
    assert body["run"]["id"] == run_id
    assert [row["step"] for row in body["rows"]] == [0, 1, 2, 3, 4]


def test_variants_lists_the_six_loops(server):
    result = lossboard(server, "variants")
    assert result.returncode == 0, result.stderr
    for variant in ("numpy", "tensors", "autograd", "nn", "optim", "custom_module"):
        assert re.search(rf"│ {variant}\s+│", result.stdout)


def test_devices_lists_the_cpu_and_what_auto_picks(server):
    result = lossboard(server, "devices")
    assert result.returncode == 0, result.stderr
    assert re.search(r"│ cpu\s+│ cpu\s+│", result.stdout)
    assert "auto picks" in result.stdout


def test_devices_says_the_executor_is_local(server):
    result = lossboard(server, "devices")
    assert "executor local" in result.stdout
    assert "Ray nodes" not in result.stdout


def test_run_follow_exits_nonzero_when_the_server_stops(tmp_path):
    port = free_port()
    command = [*LOSSBOARD, "serve", "--port", str(port), "--data-dir", str(tmp_path)]
    with serving(command, port, clean_env(), tmp_path) as own:
        follow = popen_follow(own, "run", "nn", "--iterations", "10000000", "--follow", *TINY_ARGS)
        run_id = int(follow.stdout.readline())
        wait_status(own, run_id, ("running",))
    _, err = follow.communicate(timeout=30)  # the server told it, then stopped
    assert follow.returncode == 1
    assert err.endswith(
        f"lossboard: run {run_id} interrupted: the server stopped while the run was running\n"
    )


def test_run_follow_exits_nonzero_when_the_server_is_killed(tmp_path):
    port = free_port()
    command = [*LOSSBOARD, "serve", "--port", str(port), "--data-dir", str(tmp_path)]
    with ServerProcess(tmp_path, command=command, port=port, env=clean_env()) as own:
        follow = popen_follow(own, "run", "nn", "--iterations", "10000000", "--follow", *TINY_ARGS)
        run_id = int(follow.stdout.readline())
        wait_status(own, run_id, ("running",))
        own.kill()  # no chance to tell anyone
    _, err = follow.communicate(timeout=30)
    assert follow.returncode == 1
    assert "lost the connection to the server" in err
    assert err.endswith(f"`lossboard show {run_id}` says how the run ended\n")
