"""Host preprocessing vs in-model preprocessing: end-to-end latency of the demo's three models.

For each bundle (default: the demo's hybrid, CNN and MLP bundles under ``runs/demo``), every
TFLite and ONNX model with its in-model twin is timed end to end on one raw 28x28 MNIST frame at
a time (``Session.predict``: host preprocessing, cast/quantize, invoke, dequantize), all models
interleaved in rounds in one process so that load from other processes hits them alike. Prints
the p50s, the host share of each, the TFLite ops outside XNNPACK, and the issue's goals:

- the hybrid's fastest in-model variant at most 1.0x the CNN's fastest end-to-end p50;
- the hybrid in-model at least 4x faster than the hybrid with host preprocessing (fastest each);
- the MLP's and CNN's in-model variants no slower than their host-preprocessed ones.

Usage: ``python benchmarks/in_model.py [BUNDLE ...] [--runs 300] [--rounds 7] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from edge_runtime.backends.litert import outside_xnnpack
from edge_runtime.bundle import open_bundle
from edge_runtime.manifest import IN_MODEL_SUFFIX, in_model_ops
from pipelines.datasets.mnist5k import data_file, read_mnist5k

DEMO = Path("runs/demo/bundles")
KINDS = ("hybrid", "cnn", "mlp")


def _frames(n: int = 64) -> np.ndarray:
    x, _ = read_mnist5k(data_file())
    return np.ascontiguousarray(x[:: len(x) // n][:n])


def _sessions(paths: list[Path], threads: int):
    """(bundle name, model entry, session) for every model of every bundle."""
    out, bundles = [], []
    for path in paths:
        bundle = open_bundle(path)
        bundles.append(bundle)
        for model in bundle.models:
            session = bundle.session(model["id"], threads=threads)
            out.append((path.name, model, session))
    return out, bundles


def _time(sessions, frames, runs: int, rounds: int) -> dict[tuple[str, str], np.ndarray]:
    """Per-call end-to-end ns per (bundle, model id); the models take turns, round by round."""
    samples = {(name, m["id"]): [] for name, m, _ in sessions}
    for _, _, s in sessions:  # warm-up
        for f in frames[:16]:
            s.predict(f)
    pc = time.perf_counter_ns
    for _ in range(rounds):
        for name, model, s in sessions:
            block = samples[(name, model["id"])]
            predict = s.predict
            for i in range(runs):
                f = frames[i % len(frames)]
                t0 = pc()
                predict(f)
                block.append(pc() - t0)
    return {k: np.asarray(v, np.int64) for k, v in samples.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="*", type=Path, default=[DEMO / k for k in KINDS])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--formats", default="tflite,onnx")
    args = parser.parse_args(argv)
    sessions, bundles = _sessions(args.bundles, args.threads)
    sessions = [s for s in sessions if s[1]["format"] in args.formats.split(",")]
    times = _time(sessions, _frames(), args.runs, args.rounds)
    p50 = {k: float(np.median(v)) / 1e3 for k, v in times.items()}
    rows = []
    print(f"{'bundle':8} {'model':28} {'runs on':10} {'host ops':20} {'e2e p50 us':>10} {'vs host':>8}  outside XNNPACK")
    for name, model, session in sessions:
        done = in_model_ops(model)
        base = model["id"].removesuffix(IN_MODEL_SUFFIX)
        host_p50 = p50.get((name, base))
        ratio = f"{host_p50 / p50[(name, model['id'])]:.2f}x" if done and host_p50 else ""
        where = "model" if done else "host"
        outside = outside_xnnpack(model["analysis"].get("ops", {})) if model["format"] == "tflite" else {}
        kind = next((k for k in KINDS if k in name), name)  # mnist_hybrid -> hybrid
        rows.append((kind, model["id"], done, p50[(name, model["id"])]))
        print(f"{name:8} {model['id']:28} {where:10} {','.join(_host_ops(session)) or '-':20} "
              f"{p50[(name, model['id'])]:>10.1f} {ratio:>8}  {outside or ''}")
    _goals(rows)
    for b in bundles:
        b.close()


def _host_ops(session) -> list[str]:
    return [step.op.name for step in session.pipeline.steps] if session.pipeline is not None else []


def _goals(rows) -> None:
    def best(name, in_model):
        ps = [p for n, _, done, p in rows if n == name and bool(done) == in_model]
        return min(ps) if ps else None

    hybrid_in, hybrid_host = best("hybrid", True), best("hybrid", False)
    cnn_best = min([p for n, _, _, p in rows if n == "cnn"], default=None)
    print()
    if hybrid_in and cnn_best:
        print(f"goal: hybrid in-model fastest {hybrid_in:.1f} us vs CNN fastest {cnn_best:.1f} us: "
              f"{hybrid_in / cnn_best:.2f}x (goal <= 1.0x, moonshot 0.5x)")
    if hybrid_in and hybrid_host:
        print(f"goal: hybrid host fastest {hybrid_host:.1f} us / in-model fastest {hybrid_in:.1f} us: "
              f"{hybrid_host / hybrid_in:.2f}x faster (goal >= 4x)")
    for name in ("cnn", "mlp"):
        pairs = [(mid, p, next((q for n2, m2, d2, q in rows if n2 == name and m2 == mid + IN_MODEL_SUFFIX), None))
                 for n, mid, done, p in rows if n == name and not done]
        slower = [f"{mid} {q / p:.2f}x" for mid, p, q in pairs if q is not None and q > p]
        print(f"goal: {name} in-model no slower than host: "
              + ("met for every variant" if not slower else "slower: " + ", ".join(slower)))


if __name__ == "__main__":
    main()
