"""A fresh venv with wheels built from this checkout, as a user's `pip install` makes it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_wheel(out: Path, project: Path = ROOT, name: str = "lossboard") -> Path:
    """`pip wheel` of this checkout (or of `project`, named `name`), built with the hatchling
    the test extra installs."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
               "--quiet", "--wheel-dir", str(out), str(project)]  # fmt: skip
    subprocess.run(command, check=True)
    (wheel,) = out.glob(f"{name.replace('-', '_')}-*.whl")
    return wheel


def fresh_venv(path: Path, *wheels: Path) -> Path:
    """A new venv with the wheel installed; its dependencies come from this venv's site-packages
    through a .pth line, which adds that folder without running its .pth files (so this
    checkout's editable install stays out)."""
    venv.create(path, with_pip=False)
    python = path / "bin" / "python"
    site = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
    ).strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
               "--no-index", "--quiet", *map(str, wheels)]  # fmt: skip
    subprocess.run(install, check=True)
    return path / "bin"
