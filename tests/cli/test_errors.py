"""Each failure is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from tests.cli.support import TOKEN, Server, lossboard
from tests.helpers import TINY_ARGS, free_port


def assert_one_line(stderr: str, text: str) -> None:
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("lossboard: ")
    assert text in stderr


def test_unreachable_server_is_one_line():
    nowhere = Server(f"http://127.0.0.1:{free_port()}")
    result = lossboard(nowhere, "runs")
    assert result.returncode == 1
    assert_one_line(result.stderr, f"cannot reach the server at {nowhere.url}")


def test_missing_token_is_one_line_naming_the_fix(token_server):
    result = lossboard(token_server, "run", "nn", "--iterations", "1", *TINY_ARGS)
    assert result.returncode == 1
    assert_one_line(result.stderr, "a valid token is required")
    assert "LOSSBOARD_TOKEN" in result.stderr


def test_token_reaches_the_api_and_the_websocket(token_server):
    args = ("run", "nn", "--iterations", "20", "--follow", *TINY_ARGS)
    result = lossboard(token_server, *args, token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "completed: 20 iterations" in result.stdout


def test_token_flag_overrides_the_environment(token_server):
    args = ("run", "nn", "--iterations", "1", "--token", TOKEN, *TINY_ARGS)
    result = lossboard(token_server, *args, token="wrong")
    assert result.returncode == 0, result.stderr


def test_unknown_run_is_one_line(server):
    result = lossboard(server, "show", "999999")
    assert result.returncode == 1
    assert result.stderr == "lossboard: run 999999 does not exist\n"


def test_invalid_field_is_one_line_naming_the_field_and_reason(server):
    result = lossboard(server, "run", "nn", "--iterations", "0")
    assert result.returncode == 1
    assert result.stderr == "lossboard: iterations: Input should be greater than or equal to 1\n"


def test_unsuitable_device_names_the_device_field(server):
    result = lossboard(server, "run", "numpy", "--device", "cuda:7")
    assert result.returncode == 1
    assert_one_line(result.stderr, "lossboard: device: ")
