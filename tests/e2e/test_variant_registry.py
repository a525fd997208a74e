"""A variant added to the registry alone reaches every consumer: validation, devices, the run
manager, /api/variants, the dashboard's form and `lossboard variants`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from server.cli.main import main as lossboard
from server.settings import Settings
from server.training import registry
from server.web.app import create_app
from tests.e2e.conftest import expect
from tests.helpers import ThreadServer, wait_status

pytestmark = pytest.mark.e2e


def halving(cfg) -> Iterator[float]:
    """A loss of 1 halved at every step."""
    loss = 1.0
    for it in range(cfg.iterations):  # noqa: B007
        yield loss
        loss /= 2


THROWAWAY = registry.Variant(
    "throwaway", halving, title="Halving", section="Not in the tutorial", devices=("cpu",)
)


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> Iterator[str]:
    """A real server in this process, with the throwaway variant in its registry."""
    registry.load()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.REGISTRY, THROWAWAY.id, THROWAWAY)
        settings = Settings(data_dir=tmp_path_factory.mktemp("registry"), playground_prestart=False)
        with ThreadServer(create_app(settings)) as server:
            yield server.url


def test_registered_variant_is_listed_by_the_api(url):
    (entry,) = [v for v in httpx.get(url + "/api/variants").json() if v["id"] == "throwaway"]
    assert entry["title"] == "Halving" and entry["section"] == "Not in the tutorial"
    assert entry["devices"] == ["cpu"] and entry["defaults"]["iterations"] == 500
    assert entry["source"].startswith("def halving(cfg)")


def test_registered_variant_runs_through_the_manager(url):
    run = httpx.post(url + "/api/runs", json={"variant": "throwaway", "iterations": 4}).json()
    with httpx.Client(base_url=url) as http:
        final = wait_status(http, run["id"])
        losses = http.get(f"/api/runs/{run['id']}/losses").json()["loss"]
    assert final["status"] == "completed" and final["config"]["learning_rate"] == 1e-6
    assert losses == [1.0, 0.5, 0.25, 0.125]


def test_registered_variant_devices_are_checked(url):
    answer = httpx.post(url + "/api/runs", json={"variant": "throwaway", "device": "cuda"})
    assert answer.status_code == 422
    assert "the throwaway variant runs only on the CPU" in answer.text


def test_registered_variant_is_offered_by_the_dashboard_form(url, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/")
    expect(page.locator('#f-variant option[value="throwaway"]')).to_have_count(1)
    page.select_option("#f-variant", "throwaway")
    expect(page.locator("#variant-title")).to_have_text("Halving")
    context.close()


def test_registered_variant_is_listed_by_the_cli(url, capsys):
    assert lossboard(["variants", "--url", url]) == 0
    assert "throwaway" in capsys.readouterr().out
