"""Which devices this machine has, and which one a run asking for "auto", "cuda:1"... gets."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass

import threadpoolctl
import torch

from server.training import registry
from server.training.spec import ConfigError

DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda)(?::(\d+))?$")


@dataclass(frozen=True)
class Device:
    """One device a run can use."""

    id: str
    kind: str
    name: str
    memory_total: int | None = None

    def as_dict(self) -> dict[str, str | int]:
        """The device as docs/api.md describes it (memory only for GPUs)."""
        out: dict[str, str | int] = {"id": self.id, "kind": self.kind, "name": self.name}
        if self.memory_total is not None:
            out["memory_total"] = self.memory_total
        return out


def list_devices() -> list[Device]:
    """The CPU, then each CUDA GPU, then Apple's MPS when present."""
    devices = [Device("cpu", "cpu", cpu_name())]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            devices.append(Device(f"cuda:{i}", "cuda", props.name, props.total_memory))
    if torch.backends.mps.is_available():
        devices.append(Device("mps", "mps", "Apple Metal (MPS)"))
    return devices


def cpu_name() -> str:
    """The processor's model name where Linux tells it, else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine() or "cpu"


def blas_threads() -> int | None:
    """How many threads NumPy's BLAS computes with (the numpy loop's count), if it says."""
    pools = threadpoolctl.threadpool_info()
    return next((p["num_threads"] for p in pools if p["user_api"] == "blas"), None)


def variant_kinds(variant: str) -> tuple[str, ...]:
    """The device kinds a variant can run on (the registry's word: NumPy's only the CPU)."""
    return registry.variant(variant).devices


def default_device(devices: list[Device], variant: str | None = None) -> str:
    """The best device present that suits the variant: a GPU before the CPU."""
    kinds = variant_kinds(variant) if variant else registry.DEVICE_KINDS
    for kind in ("cuda", "mps", "cpu"):
        for device in devices:
            if device.kind == kind and kind in kinds:
                return device.id
    return "cpu"


def resolve_device(requested: str, variant: str, devices: list[Device]) -> str:
    """The id of the device a run gets, or a ConfigError on `device` that says why not."""
    match = DEVICE_PATTERN.match(requested)
    if not match:
        raise ConfigError("device", f"'{requested}' is not auto, cpu, cuda, cuda:N or mps")
    kind, index = match.groups()
    if kind == "auto":
        return default_device(devices, variant)
    if kind not in variant_kinds(variant):
        raise ConfigError("device", f"the {variant} variant runs only on the CPU, not {requested}")
    wanted = "cuda:0" if requested == "cuda" else requested
    if kind == "cpu" and index is not None:
        raise ConfigError("device", f"'{requested}': the CPU takes no index")
    present = [d.id for d in devices]
    if wanted not in present:
        raise ConfigError(
            "device", f"{requested} is not present here; devices: {', '.join(present)}"
        )
    return wanted


def release_device_memory(device: str) -> None:
    """Give an idle GPU's cached memory back, so other processes (and runs) can use it."""
    if device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
