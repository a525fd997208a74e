"""The Docker packaging, checked without a Docker engine: lint, parse, and run its CMD."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.cli.support import clean_env, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (KEYWORD, arguments) pairs, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = (line.strip() for line in text.splitlines())
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(keyword.upper(), rest) for keyword, rest in pairs]


def instruction(keyword: str) -> str:
    (rest,) = [rest for key, rest in instructions() if key == keyword]
    return rest


def cmd_line(data_dir: Path) -> list[str]:
    """The image's CMD, run with this venv's lossboard and `data_dir` for /data."""
    cmd = json.loads(instruction("CMD"))
    cmd = [str(data_dir) if arg == "/data" else arg for arg in cmd]
    return [str(BIN / cmd[0]), *cmd[1:]]


def test_hadolint_passes():
    result = subprocess.run(
        [str(BIN / "hadolint"), "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_on_a_pinned_pytorch_cuda_runtime_below_2_14():
    tag = re.fullmatch(
        r"pytorch/pytorch:(\d+)\.(\d+)\.\d+-cuda[\d.]+-cudnn\d+-runtime", instruction("FROM")
    )
    assert tag, instruction("FROM")
    assert (int(tag[1]), int(tag[2])) < (2, 14)


def test_dockerfile_keeps_the_images_torch():
    run = " ".join(rest for key, rest in instructions() if key == "RUN")
    assert "--constraint" in run and "version('torch')" in run


def test_dockerfile_runs_unprivileged_with_data_volume_port_and_healthcheck():
    user = instruction("USER").split(":")[0]
    assert user not in ("root", "0")
    assert instruction("VOLUME") == "/data"
    assert instruction("EXPOSE") == "8000"
    assert "/healthz" in instruction("HEALTHCHECK")


def test_dockerignore_keeps_venv_data_caches_and_git_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "data", ".git", ".env", "tests/e2e/screenshots"} <= ignored
    assert {"**/__pycache__", ".pytest_cache", ".ruff_cache"} <= ignored


def test_image_cmd_serves_healthz_with_a_token(tmp_path):
    port = free_port()
    env = clean_env(LOSSBOARD_TOKEN="docker-token", LOSSBOARD_PORT=str(port))
    with serving(cmd_line(tmp_path), port, env, tmp_path / "server.log") as server:
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
        assert httpx.get(server.url + "/api/system").json()["auth_required"] is True
        probe = json.loads(instruction("HEALTHCHECK").split("CMD", 1)[1])
        assert subprocess.run(probe, env=env, timeout=10).returncode == 0


def test_image_cmd_without_a_token_refuses_to_start(tmp_path):
    env = clean_env(LOSSBOARD_PORT=str(free_port()))
    result = subprocess.run(cmd_line(tmp_path), env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--token" in result.stderr and "--insecure" in result.stderr


def test_compose_reserves_every_gpu():
    service = compose()["services"]["lossboard"]
    (device,) = service["deploy"]["resources"]["reservations"]["devices"]
    assert device == {"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}


def test_compose_keeps_data_in_a_named_volume_and_the_token_in_an_env_file():
    spec = compose()
    service = spec["services"]["lossboard"]
    assert service["volumes"] == ["lossboard-data:/data"]
    assert "lossboard-data" in spec["volumes"]
    assert service["env_file"] == ".env"
    assert service["ports"] == ["8000:8000"]
    assert "healthz" in " ".join(service["healthcheck"]["test"])
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^LOSSBOARD_TOKEN=", example, re.MULTILINE)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())
