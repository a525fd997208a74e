"""The wheel stands alone: installed (not editable) into a fresh venv, `lossboard serve` serves the
pages, their static files and the playground from the installed package."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, free_port
from tests.packaging.venvs import ROOT, build_wheel, fresh_venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Iterator[tuple[Path, str]]:
    """The venv's bin folder and the URL of its `lossboard serve`."""
    tmp = tmp_path_factory.mktemp("wheel")
    bin_dir = fresh_venv(tmp / "venv", build_wheel(tmp / "dist"))
    data, port = tmp / "data", free_port()
    command = [str(bin_dir / "lossboard"), "serve", "--port", str(port), "--data-dir", str(data)]
    with ServerProcess(data, command=command, port=port) as server:
        yield bin_dir, server.url


def test_wheel_installs_the_package_not_this_checkout(installed):
    bin_dir, _ = installed
    where = subprocess.check_output(
        [bin_dir / "python", "-c", "import server; print(server.__file__)"], cwd="/", text=True
    )
    assert Path(where).is_relative_to(bin_dir.parent) and not Path(where).is_relative_to(ROOT)


def test_wheel_serves_the_pages(installed):
    _, url = installed
    run = httpx.post(url + "/api/runs", json={"variant": "numpy", "iterations": 3, "N": 2}).json()
    for path in ("/", f"/runs/{run['id']}", "/playground"):
        page = httpx.get(url + path)
        assert page.status_code == 200 and "<main" in page.text, path


def test_wheel_serves_the_static_files_the_pages_name(installed):
    _, url = installed
    page = httpx.get(url + "/playground").text
    scripts = [part.split('"')[0] for part in page.split('src="')[1:]]
    assert scripts and all(s.startswith("/static/js/") for s in scripts)
    for script in scripts:
        answer = httpx.get(url + script)
        assert answer.status_code == 200, script
        assert "javascript" in answer.headers["content-type"] and answer.text.strip(), script


def test_wheel_playground_evaluates_a_cell(installed):
    _, url = installed
    answer = httpx.post(url + "/api/playground/eval", json={"code": "x = torch.ones(2)\nx + 1"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["value"]["shape"] == [2]


def test_wheel_installs_the_client_and_a_script_logs_with_it(installed):
    bin_dir, url = installed
    script = (
        f"import lossboard; run = lossboard.init(name='from the wheel', url={url!r}); "
        "run.log({'loss': 0.5}); print(run.finish(), lossboard.__file__)"
    )
    out = subprocess.check_output([bin_dir / "python", "-c", script], cwd="/", text=True)
    undelivered, where = out.split()
    assert undelivered == "0" and Path(where).is_relative_to(bin_dir.parent)
    runs = httpx.get(f"{url}/api/runs").json()["runs"]
    assert [r["source"] for r in runs if r["name"] == "from the wheel"] == ["sdk"]
