"""Bench result documents shaped exactly like ``edgenn bench --json`` (docs/architecture.md).

The figures follow what this project measured (issue 6): on x86 the int8 TFLite model is faster
than fp32, while onnxruntime's int8 models are slower than its fp32 at batch 1.
"""

from __future__ import annotations

import copy


def stats(p50: float, spread: float = 1.0) -> dict:
    """A STATS dict around ``p50`` microseconds, with ordered percentiles."""
    return {"n": 1000, "mean": p50 * 1.05, "std": p50 * 0.1 * spread, "min": p50 * 0.8,
            "p50": p50, "p90": p50 * (1 + 0.2 * spread), "p95": p50 * (1 + 0.3 * spread),
            "p99": p50 * (1 + 0.6 * spread), "max": p50 * (1 + 2.0 * spread),
            "p50_ci95": [p50 * 0.99, p50 * 1.01]}


def snapshot(temp: float | None = 48.0, khz: float | None = 2400000, throttled: dict | None = None) -> dict:
    return {"temperatures_c": {"cpu-thermal": temp}, "cpu_freq_khz": {"cpu0": khz, "cpu1": khz},
            "governor": "ondemand", "throttled": throttled}


def result(model_id: str, p50: float, *, precision: str | None = None, backend: str | None = None,
           size: int = 100_000, accuracy: float | None = 0.97, pre: float = 5.0, threads: int = 1,
           measured: dict | None = None, timeline: list | None = None, throttled: bool | None = False) -> dict:
    fmt, variant = model_id.split("-", 1)
    return {
        "model_id": model_id, "format": fmt, "variant": variant, "precision": precision or variant,
        "backend": backend or ("litert" if fmt == "tflite" else "onnxruntime"), "threads": threads,
        "size_bytes": size, "params": size // 4, "macs": 1_200_000, "preprocessing_ops": 800, "accuracy": accuracy,
        "cold_start_us": {"import": 130_000.0, "load": 2_000.0, "first_inference": 400.0, "total": 132_400.0},
        "latency_us": {"preprocess": stats(pre), "inference": stats(p50 - pre), "end_to_end": stats(p50)},
        "throughput_per_s": 1e6 / p50, "cpu_time_us_per_inference": p50 * 0.98, "peak_rss_mb": 61.5,
        "power": {"measured": measured,
                  "unavailable_reason": None if measured else "no RAPL, INA3221, PMIC or hwmon power sensor",
                  "estimate": {"energy_uj_per_inference": round(p50 * 0.98 * 5.0, 3), "label": "estimate",
                               "model": "cpu-time x core power", "watts_per_core": 5.0, "board": "unknown CPU",
                               "method": "CPU time per inference x 5 W per core", "source": "edgenn assumption"},
                  "lower_bound": {"energy_uj_per_inference": 0.42, "label": "lower bound", "method": "MACs x pJ",
                                  "source": "Horowitz, ISSCC 2014"}},
        "thermal": {"before": snapshot(), "after": snapshot(51.5), "throttled": throttled},
        "timeline": timeline or [],
    }


def bench_doc(device: dict, results: list[dict], bundle: str = "cnn") -> dict:
    return {"schema_version": 1, "kind": "edgenn-bench", "created": "2026-11-22T10:00:00+00:00",
            "device": device, "bundle": {"name": bundle, "path": f"runs/{bundle}/bundle", "task": "classification"},
            "settings": {"runs": 1000, "warmup": 50, "duration_s": None, "batch": 1},
            "results": results}


X86 = {"hostname": "ci-vm", "cpu_model": "Intel(R) Xeon(R) Processor", "cores": 2, "arch": "x86_64",
       "os": "Debian GNU/Linux 12 (bookworm)", "python": "3.11.7",
       "runtimes": {"ai_edge_litert": "2.3.0", "onnxruntime": "1.31.1"}, "governor": None,
       "virtual_machine": True, "board": None}
PI5 = {"hostname": "pi5", "cpu_model": "ARM Cortex-A76", "cores": 4, "arch": "aarch64",
       "os": "Debian GNU/Linux 12 (bookworm)", "python": "3.11.2", "runtimes": {"ai_edge_litert": "2.3.0"},
       "governor": "ondemand", "virtual_machine": False, "board": "Raspberry Pi 5 Model B Rev 1.0"}


def x86_run() -> dict:
    """The x86 VM: tflite-int8 fastest, onnx-int8 (static QDQ) and onnx-dynamic slower than onnx-fp32."""
    return bench_doc(X86, [
        result("tflite-fp32", 25.0, size=420_000, accuracy=0.981),
        result("tflite-int8", 13.5, size=110_000, accuracy=0.979),
        result("onnx-fp32", 30.0, size=415_000, accuracy=0.981),
        result("onnx-int8", 61.0, precision="int8", size=120_000, accuracy=0.978),
        result("onnx-dynamic", 190.0, precision="dynamic", size=118_000, accuracy=0.980),
    ])


def pi5_run() -> dict:
    """The Pi 5: a sustained int8 run that heats up and throttles, with a measured energy figure."""
    timeline = [{"t_s": float(t), "n": 5000, "end_to_end_p50_us": 40.0 + (8.0 if t > 6 else 0.0),
                 "inference_p50_us": 33.0 + (7.0 if t > 6 else 0.0), "temperature_c": 55.0 + 3 * t,
                 "cpu_freq_khz": 2400000 if t <= 6 else 1500000, "throttled": t > 6} for t in range(1, 11)]
    measured = {"source": "pi5-pmic:sum of rails", "label": "measured", "energy_uj_per_inference": 95.0,
                "active_power_w": 4.1, "idle_power_w": 2.6, "method": "median over 5 windows of 10 s"}
    return bench_doc(PI5, [
        result("tflite-fp32", 72.0, size=420_000, accuracy=0.981),
        result("tflite-int8", 41.0, size=110_000, accuracy=0.979, measured=measured, timeline=timeline,
               throttled=True),
    ])


def copy_of(doc: dict) -> dict:
    return copy.deepcopy(doc)
