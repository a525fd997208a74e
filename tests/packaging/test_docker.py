"""The Docker packaging, checked without a Docker engine: lint, parse, and run its CMD."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import httpx
import yaml

from server.cli.main import build_parser
from tests.cli.support import BIN, ROOT, TOKEN, clean_env, dockerfile, image_cmd, instruction
from tests.helpers import free_port

CLUSTER = {"ray-head", "ray-worker", "lossboard-ray"}


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
    run = " ".join(rest for key, rest in dockerfile() if key == "RUN")
    assert "--constraint" in run and "version('torch')" in run


def test_dockerfile_installs_the_package_with_its_pages_not_an_editable_tree():
    run = " ".join(rest for key, rest in dockerfile() if key == "RUN")
    assert "pip install" in run and "--editable" not in run and " -e " not in run
    copied = {rest.split()[0] for key, rest in dockerfile() if key == "COPY"}
    assert {"server", "templates", "static", "pyproject.toml"} <= copied


def test_dockerfile_installs_the_ray_extra_that_pyproject_declares():
    run = " ".join(rest for key, rest in dockerfile() if key == "RUN")
    (extra,) = re.findall(r"pip install [^&]*'\.\[(\w+)\]'", run)
    assert extra == "ray"
    assert re.search(rf"^{extra} = \[", (ROOT / "pyproject.toml").read_text(), re.MULTILINE)


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


def test_image_cmd_serves_healthz_with_a_token(token_server):
    assert httpx.get(token_server.url + "/healthz").json()["status"] == "ok"
    assert token_server.get("/api/system").json()["auth_required"] is True
    assert (token_server.data_dir / "lossboard.sqlite3").exists()


def test_image_healthcheck_probe_passes_against_the_cmd(token_server):
    probe = json.loads(instruction("HEALTHCHECK").split("CMD", 1)[1])
    port = token_server.url.rsplit(":", 1)[1]
    env = clean_env(LOSSBOARD_TOKEN=TOKEN, LOSSBOARD_PORT=port)
    assert subprocess.run(probe, env=env, timeout=10).returncode == 0


def test_image_cmd_without_a_token_refuses_to_start(tmp_path):
    env = clean_env(LOSSBOARD_PORT=str(free_port()))
    result = subprocess.run(
        image_cmd(tmp_path), env=env, capture_output=True, text=True, timeout=30
    )
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


def test_compose_default_profile_is_the_single_lossboard_service():
    services = compose()["services"]
    assert [name for name, service in services.items() if "profiles" not in service] == [
        "lossboard"
    ]


def test_compose_cluster_profile_is_a_ray_head_a_worker_and_a_server():
    services = compose()["services"]
    profiled = {name for name, service in services.items() if "profiles" in service}
    assert profiled == CLUSTER
    assert all(services[name]["profiles"] == ["cluster"] for name in CLUSTER)


def test_compose_cluster_nodes_run_the_servers_image():
    services = compose()["services"]
    image = {(services[name]["build"], services[name]["image"]) for name in CLUSTER}
    assert image == {(services["lossboard"]["build"], services["lossboard"]["image"])}


def test_compose_reserves_gpus_on_the_ray_worker_only():
    services = compose()["services"]
    assert services["ray-worker"]["deploy"] == services["lossboard"]["deploy"]
    assert "deploy" not in services["ray-head"] and "deploy" not in services["lossboard-ray"]


def test_compose_cluster_nodes_join_the_heads_port():
    services = compose()["services"]
    (port,) = re.findall(r"--port=(\d+)", " ".join(services["ray-head"]["command"]))
    for name in ("ray-worker", "lossboard-ray"):
        assert f"--address=ray-head:{port}" in " ".join(services[name]["command"])


def test_compose_cluster_server_serves_with_the_ray_executor_after_joining():
    command = compose()["services"]["lossboard-ray"]["command"]
    join, serve = command[-1].split(" && exec ")
    assert join.startswith("ray start --address=")
    program, *args = shlex.split(serve)
    parsed = build_parser().parse_args(args)
    assert (program, parsed.executor, parsed.ray_address) == ("lossboard", "ray", "auto")
    assert parsed.host == "0.0.0.0" and parsed.data_dir is not None


def test_compose_cluster_turns_on_ray_token_auth_on_every_node():
    services = compose()["services"]
    for name in CLUSTER:
        assert services[name]["environment"]["RAY_AUTH_MODE"] == "token"
        assert services[name]["environment"]["RAY_AUTH_TOKEN"] == "${RAY_AUTH_TOKEN:-}"
    assert re.search(r"^RAY_AUTH_TOKEN=$", (ROOT / ".env.example").read_text(), re.MULTILINE)


def test_compose_cluster_publishes_only_its_server():
    services = compose()["services"]
    assert "ports" not in services["ray-head"] and "ports" not in services["ray-worker"]
    assert services["lossboard-ray"]["ports"] == ["8001:8000"]
    assert services["lossboard-ray"]["volumes"] == ["lossboard-ray-data:/data"]


def test_compose_ray_nodes_replace_the_images_http_healthcheck():
    services = compose()["services"]
    assert "health-check" in services["ray-head"]["healthcheck"]["test"]
    assert services["ray-worker"]["healthcheck"] == {"disable": True}


def test_compose_ray_head_with_the_example_env_refuses_to_start(tmp_path):
    head = compose()["services"]["ray-head"]
    args = [arg for arg in head["command"][1:] if not arg.startswith("--port=")]
    command = [str(BIN / "ray"), *args, f"--port={free_port()}", f"--temp-dir={tmp_path}"]
    env = {k: v for k, v in clean_env(HOME=str(tmp_path)).items() if not k.startswith("RAY_")}
    env |= interpolated(head["environment"], (ROOT / ".env.example").read_text())
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "no authentication token was found" in result.stderr


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def interpolated(environment: dict[str, str], dotenv: str) -> dict[str, str]:
    """A service's environment as compose fills in ${VAR} and ${VAR:-default} from `dotenv`."""
    values = dict(re.findall(r"^(\w+)=(.*)$", dotenv, re.MULTILINE))

    def value(match: re.Match[str]) -> str:
        return values.get(match[1]) or match[2] or ""

    return {k: re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", value, v) for k, v in environment.items()}
