"""``edgenn export RUN_DIR``: every requested variant of a trained run, validated, in one bundle."""

from __future__ import annotations

import argparse

HELP = "export a trained run to a validated bundle of TFLite and ONNX models"


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _threshold(value: str) -> tuple[str, str, float]:
    """PRECISION.CHECK=VALUE, e.g. int8.top1_agreement=0.97."""
    try:
        key, number = value.split("=", 1)
        precision, check = key.split(".", 1)
        return precision, check, float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected PRECISION.CHECK=VALUE (e.g. int8.top1_agreement=0.97), received {value!r}"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by `edgenn train`")
    parser.add_argument("--variants", type=_csv, default=None,
                        help="comma-separated variants (default: every default variant the model supports); "
                             "see --list-variants")
    parser.add_argument("--formats", type=_csv, default=("tflite", "onnx"), help="tflite,onnx (default: both)")
    parser.add_argument("--out", default=None, help="bundle path (default: RUN_DIR/bundle, or bundle.zip with --zip)")
    parser.add_argument("--zip", action="store_true", help="write the bundle as one .zip file")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")
    parser.add_argument("--calibration-samples", type=int, default=200, help="int8 representative samples (200)")
    parser.add_argument("--validation-samples", type=int, default=3000,
                        help="most samples compared with Keras: validation split, then training samples (3000)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (17)")
    parser.add_argument("--no-per-channel", dest="per_channel", action="store_false",
                        help="onnx int8: one weight scale per tensor instead of per channel")
    parser.add_argument("--tflite-dense-per-channel", action="store_true",
                        help="tflite int8/int16x8: one weight scale per output unit of Dense layers "
                             "(default: per tensor, smaller; convolutions are per channel either way)")
    parser.add_argument("--sparsity", type=float, default=0.8, help="pruned variants: target sparsity (0.8)")
    parser.add_argument("--clusters", type=int, default=16, help="clustered variants: clusters per layer (16)")
    parser.add_argument("--finetune-epochs", type=int, default=3, help="tfmot fine-tuning epochs (3)")
    parser.add_argument("--threshold", type=_threshold, action="append", default=[], metavar="PRECISION.CHECK=VALUE",
                        help="override a validation threshold, e.g. int8.top1_agreement=0.97 (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="also write the manifest to FILE")
    parser.add_argument("--list-variants", action="store_true", help="print the known variants and exit")


def _figure(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def summary(manifest: dict) -> list[str]:
    """One row per model: size, fidelity to its source, agreement with the float model, count, verdict."""
    from edge_runtime import validation as read
    from edge_runtime.tables import format_table

    head = ("model", "precision", "bytes", "gzip bytes", "fidelity", "to", "agreement w/ keras:float", "samples",
            "validation", "test metric")
    rows = []
    for m in manifest["models"]:
        v, acc, agree = m["validation"], m["accuracy"], read.float_agreement(m)
        rows.append((m["id"], m["precision"], f"{m['size_bytes']:,}", f"{m['gzip_bytes']:,}", _figure(v["top1_agreement"]),
                     v["reference"], _figure(agree and agree["top1_agreement"]), f"{v['samples']:,}", read.verdict(m),
                     f"{acc['metric']} {acc['value']:.4f}"))
    first = manifest["models"][0]["validation"]
    return [*format_table(head, rows),
            f"validation samples: {read.samples_text(first)}, never the test split. fidelity: top-1 agreement "
            "with the Keras model the artifact was converted from (the export threshold); agreement: with the "
            "trained float model. inconclusive: too few samples for the threshold (docs/bundle.md)."]


def run(args: argparse.Namespace) -> int:
    if args.list_variants:
        from export.variants import describe

        for row in describe():
            formats = ", ".join(f"{f}:{p}" for f, p in row["formats"].items())
            print(f"{row['variant']:<15} {'default' if row['default'] else '       '}  {formats:<32} {row['description']}")
        return 0
    from export.config import ExportConfig
    from export.exporter import export_run

    thresholds: dict[str, dict[str, float]] = {}
    for precision, check, value in args.threshold:
        thresholds.setdefault(precision, {})[check] = value
    config = ExportConfig(
        variants=args.variants, formats=args.formats, calibration_samples=args.calibration_samples,
        validation_samples=args.validation_samples, opset=args.opset, per_channel=args.per_channel,
        tflite_dense_per_channel=args.tflite_dense_per_channel,
        sparsity=args.sparsity, clusters=args.clusters, finetune_epochs=args.finetune_epochs, thresholds=thresholds,
    )
    manifest = export_run(args.run_dir, args.out, config, overwrite=args.overwrite, as_zip=args.zip)
    print("\n".join(summary(manifest)))
    if args.json:
        from edge_runtime import atomic

        atomic.write_json(args.json, manifest)
    return 0
