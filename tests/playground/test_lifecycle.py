"""The sandbox's start and stop as the server does them: the zygote warms in the background and
ends cleanly with the server, whether or not it ever served."""

from __future__ import annotations

import select

from server.playground.sandbox import SandboxPool


def test_pool_closed_before_any_request_ends_its_zygote_cleanly(capfd):
    pool = SandboxPool(workers=1)
    pool.start(wait=False)  # as the server's lifespan starts it: nobody reads "ready" yet
    zygote = pool._zygote
    assert zygote is not None
    select.select([zygote.socket], [], [], 60)  # the zygote has said it is ready
    pool.close()
    assert zygote.process.returncode == 0
    assert "Traceback" not in capfd.readouterr().err
