"""examples/spirals.py trains its own model on made-up data and logs it to a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.support import stored
from tests.helpers import server_env

pytestmark = pytest.mark.e2e
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spirals.py"


def test_spirals_example_learns_and_logs_every_series(server, tmp_path):
    env = server_env({"LOSSBOARD_URL": server.url, "LOSSBOARD_DIR": str(tmp_path)})
    out = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    run_id = int(out.stdout.split()[1].rstrip(":"))
    run = server.get(f"/api/runs/{run_id}").json()
    assert (run["status"], run["tags"], run["config"]["steps"]) == ("completed", ["example"], 3000)
    names = [s["name"] for s in server.get(f"/api/runs/{run_id}/series").json()["series"]]
    assert sorted(names) == ["lr", "train/loss", "val/acc", "val/loss"]
    assert stored(server, run_id, "val/acc")["value"][-1] > 0.9
    assert len(stored(server, run_id, "train/loss")["step"]) == 3000


def readme_snippet() -> str:
    """The README's "Log your own training" code, as a reader would paste it."""
    readme = (EXAMPLE.parents[1] / "README.md").read_text()
    section = readme.split("## Log your own training", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_lines_work_when_pasted(server, tmp_path):
    env = server_env({"LOSSBOARD_URL": server.url, "LOSSBOARD_DIR": str(tmp_path)})
    code = readme_snippet() + "print(run.id)\n"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    run_id = int(out.stdout)
    assert server.get(f"/api/runs/{run_id}").json()["status"] == "completed"
    assert len(stored(server, run_id, "val/acc")["step"]) == 1000
