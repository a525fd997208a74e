"""Client pieces that need no server: error lines and websocket URLs."""

from __future__ import annotations

import httpx

from server.cli.client import Client, error_message
from server.cli.commands import finish


def test_error_message_of_a_non_json_answer_names_the_status():
    response = httpx.Response(502, text="<html>bad gateway</html>")
    assert error_message(response) == "the server answered 502 Bad Gateway"


def test_error_message_joins_every_invalid_field():
    detail = [
        {"loc": ["body", "iterations"], "msg": "too small"},
        {"loc": ["query", "limit"], "msg": "too big"},
    ]
    response = httpx.Response(422, json={"detail": detail})
    assert error_message(response) == "iterations: too small; limit: too big"


def test_ws_url_uses_wss_keeps_the_path_prefix_and_leaves_the_token_out():
    client = Client("https://example.org/lossboard/", token="a b")
    try:
        url = client.ws_url("/ws/runs/3", after=-1)
    finally:
        client.close()
    assert url == "wss://example.org/lossboard/ws/runs/3?after=-1"
    assert client.headers == {"Authorization": "Bearer a b"}  # what the websocket sends too


def test_finish_of_a_failed_run_exits_1_with_its_error(capsys):
    run = {"id": 4, "status": "failed", "error": "RuntimeError: CUDA out of memory"}
    assert finish(run) == 1
    assert capsys.readouterr().err == "lossboard: run 4 failed: RuntimeError: CUDA out of memory\n"
