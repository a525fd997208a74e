"""The sampler's figures as the API shows them: each device now, and the last few minutes."""

from __future__ import annotations

from server.system.sampler import Sample, SystemSampler


def with_figures(devices: list[dict], sampler: SystemSampler | None, local: bool) -> list[dict]:
    """Each device (as /api/system lists it) with its latest utilisation and memory in use;
    the CPU's memory (in use and total) is the machine's. Nothing sampled yet, sampling off,
    or devices that are a Ray cluster's (`local` false), not this machine's: no figures."""
    latest = sampler.latest if sampler is not None and local else None
    out = []
    for device in devices:
        figures = latest.devices.get(device["id"]) if latest is not None else None
        if figures is not None:
            device = {**device, "utilization": figures.utilization,
                      "memory_used": figures.memory_used}  # fmt: skip
            if device.get("memory_total") is None:  # a GPU keeps torch's figure, as before
                device["memory_total"] = figures.memory_total
        out.append(device)
    return out


def history(sampler: SystemSampler | None) -> dict:
    """The samples of the last few minutes as columns: their times and, per device, its
    utilisation and memory in use at each (null where a sample lacked it)."""
    samples: list[Sample] = sampler.history() if sampler is not None else []
    ids = dict.fromkeys(device for sample in samples for device in sample.devices)
    devices = {}
    for device in ids:
        figures = [sample.devices.get(device) for sample in samples]
        devices[device] = {
            "utilization": [f.utilization if f else None for f in figures],
            "memory_used": [f.memory_used if f else None for f in figures],
            "memory_total": next((f.memory_total for f in reversed(figures) if f), None),
        }
    every_s = sampler.every_s if sampler is not None else 0
    return {"every_s": every_s, "time": [s.at for s in samples], "devices": devices}
