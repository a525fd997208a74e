"""Busy evaluators answer 429 at once, and a dead zygote is replaced."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from fastapi.testclient import TestClient

from server.playground.sandbox import PlaygroundError, SandboxPool
from tests.helpers import wait_for
from tests.playground.conftest import make_app, post, values

SLOW = "a = torch.randn(2000, 2000)\nfor i in range(1000):\n    b = a @ a"


@pytest.fixture(scope="module")
def single_pool():
    with SandboxPool(workers=1, timeout_s=1.0) as pool:
        yield pool


@pytest.fixture(scope="module")
def single_client(single_pool):
    with TestClient(make_app(single_pool)) as client:
        yield client


def test_pool_busy_answers_429_at_once(single_client, single_pool):
    answers = []
    slow = threading.Thread(target=lambda: answers.append(post(single_client, SLOW)))
    slow.start()
    wait_for(lambda: single_pool.busy == 1)
    started = time.monotonic()
    response = post(single_client, "1 + 1")
    assert response.status_code == 429
    assert time.monotonic() - started < 0.5
    slow.join()
    assert answers[0].status_code == 408
    assert values(single_client, "1 + 1") == [{"type": "python", "repr": "2"}]


def test_pool_dead_zygote_is_replaced(single_client, single_pool):
    os.kill(single_pool.zygote_pid, signal.SIGKILL)
    wait_for(lambda: not single_pool.zygote_alive)
    assert values(single_client, "1 + 1") == [{"type": "python", "repr": "2"}]


def test_pool_not_started_answers_503():
    with pytest.raises(PlaygroundError) as raised:
        SandboxPool().evaluate("1 + 1")
    assert raised.value.status_code == 503


def test_pool_code_over_limit_answers_413_before_running():
    with pytest.raises(PlaygroundError) as raised:
        SandboxPool(max_code_bytes=10).evaluate("x = 1 + 2 + 3")
    assert raised.value.status_code == 413
