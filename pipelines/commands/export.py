"""``edgenn export RUN_DIR``: every requested variant of a trained run, validated, in one bundle."""

from __future__ import annotations

import argparse

HELP = "export a trained run to a validated bundle of TFLite and ONNX models"
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "any"}


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
    parser.add_argument("run_dir", metavar="RUN_DIR", nargs="?",
                        help="a run directory written by `edgenn train` (not needed with --list-variants)")
    parser.add_argument("--variants", type=_csv, default=None,
                        help="comma-separated variants (default: every default variant the model supports); "
                             "see --list-variants")
    parser.add_argument("--out", default=None,
                        help="bundle path, its parent directories created (default: RUN_DIR/bundle, or bundle.zip "
                             "with --zip)")
    parser.add_argument("--zip", action="store_true", help="write the bundle as one .zip file")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")
    from edge_runtime.fields import add_flag
    from export.config import ExportConfig

    add_flag(parser, ExportConfig, "formats", type=_csv, metavar="tflite,onnx")
    for name in ("calibration_samples", "validation_samples", "opset"):
        add_flag(parser, ExportConfig, name, type=int, metavar="N")
    add_flag(parser, ExportConfig, "per_channel")
    add_flag(parser, ExportConfig, "in_model")
    add_flag(parser, ExportConfig, "tflite_dense_per_channel")
    add_flag(parser, ExportConfig, "sparsity", type=float, metavar="F")
    add_flag(parser, ExportConfig, "clusters", type=int, metavar="N")
    add_flag(parser, ExportConfig, "finetune_epochs", type=int, metavar="N")
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
    if args.run_dir is None:
        from edge_runtime.errors import ConfigError

        raise ConfigError("Expected RUN_DIR, a run directory written by `edgenn train` (or --list-variants). "
                          "Received: nothing")
    from export.config import ExportConfig
    from export.exporter import export_run

    thresholds: dict[str, dict[str, float]] = {}
    for precision, check, value in args.threshold:
        thresholds.setdefault(precision, {})[check] = value
    from edge_runtime.fields import values

    config = ExportConfig(**{**values(args, ExportConfig), "thresholds": thresholds})
    manifest = export_run(args.run_dir, args.out, config, overwrite=args.overwrite, as_zip=args.zip)
    print("\n".join(summary(manifest)))
    if args.json:
        from edge_runtime import atomic

        atomic.write_json(args.json, manifest)
    return 0
