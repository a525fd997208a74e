"""The private Ray that `--executor ray` starts keeps its auth token in a 0600 file in the data
directory (not a 0644 one in ~/.ray), and starts with it however the process was set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# In a process of its own, with no RAY_AUTH_* set, as `lossboard serve --executor ray` starts:
# Ray reads its auth mode once, when it is imported, and this suite's Ray tests set theirs.
START_PRIVATE_RAY = """
import json, stat, sys
from pathlib import Path
from server.training.executors import make_executor
data_dir = Path(sys.argv[1]) / "data"
executor = make_executor("ray", None, data_dir=data_dir)
executor.num_cpus = 1
executor.start()
try:
    token = data_dir / "ray_auth_token"
    print(json.dumps({"mode": stat.S_IMODE(token.stat().st_mode), "length": len(token.read_text()),
                      "home_token": (Path(sys.argv[1]) / "home" / ".ray" / "auth_token").exists()}))
finally:
    executor.close()
"""


def test_private_ray_keeps_its_token_0600_in_the_data_dir(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env["HOME"] = str(tmp_path / "home")  # where Ray would write its own token
    done = subprocess.run(
        [sys.executable, "-c", START_PRIVATE_RAY, str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"mode": 0o600, "length": 64, "home_token": False}
