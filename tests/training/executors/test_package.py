"""The executors package leaves Ray unimported until a Ray executor is asked for."""

from __future__ import annotations

import subprocess
import sys


def test_importing_executors_leaves_ray_out_of_sys_modules():
    code = (
        "import sys, server.training.executors as e; e.make_executor('local'); "
        "print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
