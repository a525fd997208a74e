"""The run page asks for its modules and its chart's history as it is parsed, all at once."""

from __future__ import annotations

import re

from server.web.assets import STATIC_DIR, module_urls
from server.web.routes.pages import HISTORY_POINTS
from tests.helpers import TINY, wait_finished


def test_module_urls_follow_imports_to_the_vendored_uplot():
    urls = module_urls("js/run.js")
    assert "/static/js/feed.js" in urls and "/static/js/common.js" in urls  # common: via feed
    assert "/static/vendor/uplot/uPlot.esm.js" in urls
    assert len(urls) == len(set(urls))


def test_run_page_preloads_every_module_and_its_history(client):
    run = client.post("/api/runs", json={"variant": "numpy", "iterations": 3, **TINY}).json()
    wait_finished(client.app.state.manager, run["id"])
    html = client.get(f"/runs/{run['id']}").text
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert preloaded == list(module_urls("js/run.js"))
    history = f"/api/runs/{run['id']}/losses?max_points={HISTORY_POINTS}&amp;after=-1"
    assert f'<link rel="preload" as="fetch" crossorigin href="{history}">' in html


def test_history_preload_asks_what_feed_js_asks():
    feed = (STATIC_DIR / "js" / "feed.js").read_text()
    assert f"const HISTORY_POINTS = {HISTORY_POINTS};" in feed
    assert "/losses?max_points=${HISTORY_POINTS}&after=${after}" in feed
