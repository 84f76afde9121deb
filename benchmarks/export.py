"""Export benchmark: every variant of the default CNN and hybrid on MNIST-5k, one table per model.

    .venv/bin/python benchmarks/export.py                      # trains configs/mnist_{cnn,hybrid}.toml first
    .venv/bin/python benchmarks/export.py RUN_DIR [RUN_DIR...]  # or export existing runs

Per variant and format: size, gzip size, ratio to the same format's fp32, accuracy on the run's
test split and its difference to the Keras float model, fidelity (top-1 agreement with the Keras
model it came from, the export threshold), agreement with the float Keras model, the validation
sample count and verdict, conversion time (plus the tfmot fine-tuning time of its source). Then the issue's goals:
every int8 artifact within 0.3 accuracy points of the float model and >= 3.5x smaller than fp32;
pruned-int8 >= 2.5x smaller than int8 after gzip.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIGS = ("configs/mnist_cnn.toml", "configs/mnist_hybrid.toml")
MAX_DROP_POINTS = 0.3
MIN_INT8_RATIO = 3.5
MIN_PRUNED_GZIP_RATIO = 2.5


def train(config: str, work: Path) -> Path:
    from pipelines.cli import main

    out = work / Path(config).stem
    if main(["train", str(ROOT / config), "--out", str(out), "--overwrite"]) != 0:
        raise SystemExit(f"training {config} failed")
    return out


def rows(manifest: dict) -> list[dict]:
    from export.variants import VARIANTS

    models = {m["id"]: m for m in manifest["models"]}
    float_accuracy = models["tflite-fp32"]["accuracy"]["reference_value"]
    sources = manifest["training"]["sources"]
    table = []
    for m in manifest["models"]:
        fp32 = models[f"{m['format']}-fp32"]
        int8 = models.get(f"{m['format']}-int8")
        source = VARIANTS[m["variant"]].source
        table.append({
            "id": m["id"], "precision": m["precision"], "size": m["size_bytes"], "gzip": m["gzip_bytes"],
            "ratio_fp32": fp32["size_bytes"] / m["size_bytes"],
            "gzip_ratio_int8": int8["gzip_bytes"] / m["gzip_bytes"] if int8 else None,
            "accuracy": m["accuracy"]["value"], "delta_points": 100 * (m["accuracy"]["value"] - float_accuracy),
            "fidelity": m["validation"]["top1_agreement"], "agreement": m["float_agreement"]["top1_agreement"],
            "samples": m["validation"]["samples"], "verdict": m["validation"]["verdict"],
            "convert_s": m["conversion_seconds"],
            "finetune_s": sources.get(source, {}).get("seconds", 0.0), "sparsity": m["analysis"].get("sparsity", 0.0),
        })
    return table


def goals(table: list[dict]) -> list[tuple[str, bool]]:
    checks = []
    for r in table:
        if r["precision"] == "int8":
            checks.append((f"{r['id']}: accuracy {r['delta_points']:+.2f} points vs float (>= -{MAX_DROP_POINTS})",
                           round(r["delta_points"], 6) >= -MAX_DROP_POINTS))
            checks.append((f"{r['id']}: {r['ratio_fp32']:.2f}x smaller than fp32 (>= {MIN_INT8_RATIO})",
                           round(r["ratio_fp32"], 6) >= MIN_INT8_RATIO))
        if r["id"].endswith("pruned-int8"):
            checks.append((f"{r['id']}: gzip {r['gzip_ratio_int8']:.2f}x smaller than int8 (>= {MIN_PRUNED_GZIP_RATIO})",
                           r["gzip_ratio_int8"] >= MIN_PRUNED_GZIP_RATIO))
    return checks


def print_table(name: str, manifest: dict, table: list[dict], seconds: float) -> None:
    keras = manifest["models"][0]["accuracy"]
    print(f"\n## {name}: Keras float accuracy {keras['reference_value']:.4f} on {keras['samples']} test samples "
          f"(export {seconds:.0f} s)\n")
    print("| model | precision | size | gzip | x smaller than fp32 | gzip x vs int8 | accuracy | vs float (pts) "
          "| fidelity | agreement w/ float | samples | validation | convert s | fine-tune s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in table:
        gz = "-" if r["gzip_ratio_int8"] is None else f"{r['gzip_ratio_int8']:.2f}"
        print(f"| {r['id']} | {r['precision']} | {r['size']:,} | {r['gzip']:,} | {r['ratio_fp32']:.2f} | {gz} "
              f"| {r['accuracy']:.4f} | {r['delta_points']:+.2f} | {r['fidelity']:.4f} | {r['agreement']:.4f} "
              f"| {r['samples']:,} | {r['verdict']} | {r['convert_s']:.2f} "
              f"| {r['finetune_s']:.1f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="run directories (default: train the MNIST-5k CNN and hybrid)")
    parser.add_argument("--work", help="where to put trained runs and bundles (default: a temp dir)")
    parser.add_argument("--json", help="write every table as JSON here")
    args = parser.parse_args(argv)

    from export.config import ExportConfig
    from export.exporter import export_run
    from export.variants import VARIANTS

    work = Path(args.work or tempfile.mkdtemp(prefix="edgenn-export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = [Path(r) for r in args.runs] or [train(c, work) for c in CONFIGS]
    everything, all_checks = {}, []
    for run in runs:
        start = time.perf_counter()
        config = ExportConfig(variants=tuple(n for n, v in VARIANTS.items() if v.default))
        manifest = export_run(run, work / f"{run.name}-bundle", config, overwrite=True, log=lambda _: None)
        table = rows(manifest)
        print_table(run.name, manifest, table, time.perf_counter() - start)
        checks = goals(table)
        all_checks += checks
        finetune = manifest["training"]["sources"].get("pruned", {}).get("finetune") or {}
        print(f"\nfine-tuning data: {finetune.get('samples')} samples, {finetune.get('targets')} targets\n")
        for text, ok in checks:
            print(f"- {'PASS' if ok else 'FAIL'} {text}")
        everything[run.name] = table
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=2))
    failed = [text for text, ok in all_checks if not ok]
    print(f"\n{len(all_checks) - len(failed)}/{len(all_checks)} goals met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
