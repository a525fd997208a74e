"""The private Ray that `--executor ray` starts keeps its auth token in a 0600 file in the data
directory (not a 0644 one in ~/.ray), starts with it however the process was set up, and
listens on loopback only."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from typing import Any

import pytest

# In a process of its own, with no RAY_AUTH_* set, as `lossboard serve --executor ray` starts:
# Ray reads its auth mode once, when it is imported, and this suite's Ray tests set theirs.
# While Ray runs, it lists the TCP listeners of this process and of every process under it
# (Ray's GCS, raylet, autoscaler monitor, dashboard head, agents and workers), once each port
# Ray names is listening: the GCS's, the raylet's, its agents', and its metrics servers'.
START_PRIVATE_RAY = """
import json, os, stat, sys, time
from pathlib import Path
import psutil
from server.training.executors import make_executor
data_dir = Path(sys.argv[1]) / "data"
executor = make_executor("ray", None, data_dir=data_dir)
executor.num_cpus = 1
executor.start()

import ray
from ray.experimental.internal_kv import _internal_kv_get

def label(process):
    scripts = [Path(arg).name for arg in process.cmdline()[1:] if arg.endswith(".py")]
    return scripts[0] if scripts else "lossboard" if process.pid == os.getpid() else process.name()

def listening():
    found = []
    for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            name, sockets = label(process), process.net_connections(kind="tcp")
        except psutil.NoSuchProcess:  # a worker that ended meanwhile
            continue
        found += [[name, *s.laddr] for s in sockets if s.status == psutil.CONN_LISTEN]
    return found

def named():
    (node,) = ray.nodes()
    ports = {int(ray.get_runtime_context().gcs_address.rpartition(":")[2])}
    ports |= {node[key] for key in ("NodeManagerPort", "ObjectManagerPort", "RuntimeEnvAgentPort",
              "MetricsAgentPort", "MetricsExportPort", "DashboardAgentListenPort") if node[key] > 0}
    # the autoscaler's metrics server and (with ray[default]) the dashboard head's: each is
    # named here before it listens, the autoscaler's always
    keys = b"AutoscalerMetricsAddress", b"DashboardMetricsAddress"
    metrics = [_internal_kv_get(key) for key in keys]
    if metrics[0] is None:
        return None
    return ports | {int(address.rpartition(b":")[2]) for address in metrics if address}

try:
    deadline = time.monotonic() + 60
    while True:  # until every port Ray names listens
        ports, found = named(), listening()
        if ports is not None and ports <= {port for *_, port in found}:
            break
        assert time.monotonic() < deadline, f"Ray named {ports}, only these listen: {found}"
        time.sleep(0.05)
    token = data_dir / "ray_auth_token"
    print(json.dumps({"mode": stat.S_IMODE(token.stat().st_mode), "length": len(token.read_text()),
                      "home_token": (Path(sys.argv[1]) / "home" / ".ray" / "auth_token").exists(),
                      "named": sorted(ports), "listening": found}))
finally:
    executor.close()
"""


@pytest.fixture(scope="module")
def private_ray(tmp_path_factory) -> dict[str, Any]:
    """What the private Ray's process saw while Ray ran: its token file, and the listeners."""
    tmp_path = tmp_path_factory.mktemp("private")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env["HOME"] = str(tmp_path / "home")  # where Ray would write its own token
    done = subprocess.run(
        [sys.executable, "-c", START_PRIVATE_RAY, str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_private_ray_keeps_its_token_0600_in_the_data_dir(private_ray):
    found = {key: private_ray[key] for key in ("mode", "length", "home_token")}
    assert found == {"mode": 0o600, "length": 64, "home_token": False}


def loopback(ip: str) -> bool:
    """127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address (::ffff:127.0.0.1)."""
    address = ipaddress.ip_address(ip)
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def test_private_ray_listens_on_loopback_only(private_ray):
    listening = private_ray["listening"]
    processes = {name for name, _, _ in listening}
    # the GCS, the raylet (node and object managers), the autoscaler's metrics, the runtime env
    # agent, this process's and each worker's gRPC server: all of them, on loopback
    assert {"gcs_server", "raylet", "monitor.py", "lossboard"} <= processes, listening
    assert set(private_ray["named"]) <= {port for _, _, port in listening}
    beyond = [f"{name} port {port} on {ip}" for name, ip, port in listening if not loopback(ip)]
    assert not beyond, "listening beyond loopback: " + "; ".join(sorted(beyond))
