"""Which results came from the same machine and the same run: devices are never merged by accident.

A device is its ``device_id`` (salted machine-id hash with architecture, board and CPU, see
:func:`edge_runtime.device.device_id`) together with the ``label`` the user reached it by (``edgenn
deploy`` writes the SSH destination); results without an id (written before it existed) fall back to
hostname, board, CPU and architecture. Two Raspberry Pis both called ``raspberrypi`` therefore stay two
devices, and so do an x86 run and an emulated arm64 run on the same host.

Ratios, the fastest and the recommended variant are computed inside one *group*: one device, one run.
The runs of a device form one group while they measured different models (the demo's three bundles,
one deploy's bundles); when two runs of a device measured the same model, backend and threads (the
same bundle benched twice), each run is its own group, named with its start time.
"""

from __future__ import annotations

from collections import defaultdict


def device_key(device: dict) -> tuple:
    """What tells two machines apart: the user's label plus the device id (or, without one, the facts)."""
    identity = device.get("device_id") or (device.get("hostname"), device.get("board"), device.get("cpu_model"),
                                           device.get("arch"))
    return (device.get("label"), identity)


def base_label(device: dict) -> str:
    """"<board or CPU> (<label or hostname>)": the name a person recognises."""
    what = device.get("board") or device.get("cpu_model") or device.get("arch") or "unknown device"
    return f"{what} ({device.get('label') or device.get('hostname', '?')})"


def distinct_labels(devices: list[dict]) -> list[str]:
    """One label per device (same order), made unique when two machines would read the same:
    first by architecture, then by the start of the device id."""
    keys = [device_key(d) for d in devices]
    first: dict[tuple, dict] = {}
    for key, device in zip(keys, devices, strict=True):
        first.setdefault(key, device)
    by_label: dict[str, list[tuple]] = defaultdict(list)
    for key, device in first.items():
        by_label[base_label(device)].append(key)
    named: dict[tuple, str] = {}
    for label, clashing in by_label.items():
        archs = {first[k].get("arch") for k in clashing}
        for n, key in enumerate(clashing, 1):
            device, extra = first[key], []
            if len(clashing) > 1 and len(archs) > 1:
                extra.append(device.get("arch") or "?")
            if len(clashing) > 1 and len(archs) < len(clashing):
                extra.append(f"id {device['device_id'][:6]}" if device.get("device_id") else f"#{n}")
            named[key] = f"{label[:-1]}, {', '.join(extra)})" if extra else label
    return [named[k] for k in keys]


def _measured(run: dict) -> set[tuple]:
    return {(run["bundle"]["name"], r["model_id"], r["backend"], r["threads"]) for r in run["results"]}


def group_runs(runs: list[dict]) -> dict[str, list[int]]:
    """Group label -> indexes of ``runs``: one group per device, split per run where runs repeat a model."""
    labels = distinct_labels([run["device"] for run in runs])
    per_device: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        per_device[label].append(i)
    groups: dict[str, list[int]] = {}
    for label, indexes in per_device.items():
        seen: set[tuple] = set()
        overlap = False
        for i in indexes:
            measured = _measured(runs[i])
            overlap = overlap or bool(seen & measured)
            seen |= measured
        if not overlap:
            groups[label] = indexes
            continue
        for i in indexes:
            name = f"{label}, run {runs[i]['created'][:19].replace('T', ' ')}"
            groups[f"{name} #{i + 1}" if name in groups else name] = [i]
    return groups


def device_count(runs: list[dict]) -> int:
    """How many distinct machines ``runs`` came from."""
    return len({device_key(run["device"]) for run in runs})
