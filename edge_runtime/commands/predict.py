"""``edgenn predict BUNDLE IMAGE|DIR ...``: label, probability and timings per image."""

from __future__ import annotations

import argparse

HELP = "classify image files with a bundle: label, probability and timings per image (no TensorFlow needed)"


def add_model_arguments(parser: argparse.ArgumentParser, many: bool = False, default_all: bool = False) -> None:
    """--variant, --backend, backend options: shared by predict, evaluate and bench.

    ``default_all``: without --variant the command runs every model (evaluate), and the help says so.
    """
    if many:
        default = ("every model of the bundle the backend can run" if default_all
                   else "the manifest's default_model")
        parser.add_argument("--variant", action="append", metavar="V",
                            help=f"model id or variant to use; repeat for several (default: {default})")
        parser.add_argument("--all", action="store_true", help=(
            "every model of the bundle the backend can run (the default; with --variant it overrides it)"
            if default_all else "every model of the bundle the backend can run"))
    else:
        parser.add_argument("--variant", metavar="V",
                            help="model id (tflite-int8) or variant (int8) to use (default: the manifest's "
                                 "default_model)")
    parser.add_argument("--backend", metavar="B",
                        help="litert or onnxruntime (default: litert for .tflite, onnxruntime for .onnx)")
    parser.add_argument("--provider", metavar="P[,P]",
                        help="onnxruntime execution providers, e.g. cuda,cpu (default: cpu); an unavailable "
                             "one is an error listing those available")
    parser.add_argument("--graph-opt", choices=["disable", "basic", "extended", "all"],
                        help="onnxruntime graph optimization level (default: all)")
    parser.add_argument("--no-xnnpack", action="store_true", help="litert: run without the XNNPACK delegate")


def backend_options(args: argparse.Namespace, model_format: str, strict: bool = True) -> dict:
    """The engine options the flags ask for, for a model of ``model_format``.

    ``strict``: a flag for another format is an error (one model); else it is skipped (--all).
    """
    from edge_runtime.errors import ConfigError

    options = {}
    if (args.provider or args.graph_opt) and (strict or model_format == "onnx"):
        if model_format != "onnx":
            raise ConfigError("Expected --provider/--graph-opt only with onnx models. "
                              f"Received: a {model_format} model")
        if args.provider:
            options["providers"] = args.provider
        if args.graph_opt:
            options["graph_optimization"] = args.graph_opt
    if args.no_xnnpack and (strict or model_format == "tflite"):
        if model_format != "tflite":
            raise ConfigError(f"Expected --no-xnnpack only with tflite models. Received: a {model_format} model")
        options["xnnpack"] = False
    return options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="BUNDLE", help="bundle directory or .zip")
    parser.add_argument("inputs", nargs="+", metavar="IMAGE|DIR", help="image files or directories of images")
    add_model_arguments(parser)
    parser.add_argument("--threads", type=int, default=1, metavar="N", help="inference threads (default: 1)")
    parser.add_argument("--top", type=int, default=1, metavar="K", help="also list the K most probable labels")
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object per image instead of a table")
    parser.add_argument("--json", metavar="FILE", help="write every prediction and the summary to FILE")
    parser.add_argument("--strict", action="store_true",
                        help="refuse images not already in the bundle's input mode and size (by default they are "
                             "converted and resized as on the device, and counted)")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from edge_runtime.atomic import write_json
    from edge_runtime.bundle import open_bundle
    from edge_runtime.choice import explain
    from edge_runtime.predict import predict_files, summarize

    with open_bundle(args.bundle) as bundle:
        model = bundle.model(args.variant, args.backend)
        print(explain(bundle, args.variant, args.backend, model), file=sys.stderr if args.jsonl else sys.stdout)
        session = bundle.session(model["id"], args.backend, args.threads, **backend_options(args, model["format"]))
        records = []
        for record in predict_files(bundle, session, args.inputs, top=args.top, strict=args.strict):
            records.append(record)
            if args.jsonl:
                print(json.dumps(record), flush=True)
            elif "error" in record:
                print(f"{record['path']}: skipped ({record['error']})", file=sys.stderr)
            elif "refused" in record:
                print(f"{record['path']}: refused by --strict ({record['refused']})", file=sys.stderr)
            else:
                print(_line(record))
        summary = summarize(records)
        result = {"bundle": bundle.name, "model_id": session.model_id, "backend": session.backend_name,
                  "threads": args.threads, "predictions": [r for r in records if "error" not in r],
                  "summary": summary}
        note = (f"{summary['predicted']} of {summary['files']} files predicted with {session.model_id} "
                f"on {session.backend_name}")
        if summary["skipped"]:
            names = ", ".join(s["path"] for s in summary["skipped_files"][:10])
            more = f" and {summary['skipped'] - 10} more" if summary["skipped"] > 10 else ""
            note += f"; {summary['skipped']} unreadable skipped: {names}{more}"
        spec = bundle.input_spec or {}
        target = f"{spec.get('color')} {spec.get('shape', [0, 0])[1]}x{spec.get('shape', [0, 0])[0]}"
        for key, verb in (("converted", "converted to the bundle's input"), ("refused", "refused by --strict")):
            if summary[key]:
                files = summary[f"{key}_files"]
                names = ", ".join(f"{f['path']} ({f['conversion'].split(' -> ')[0]})" for f in files[:10])
                more = f" and {summary[key] - 10} more" if summary[key] > 10 else ""
                note += f"; {summary[key]} {verb} {target}: {names}{more}"
        print(note, file=sys.stderr if args.jsonl else sys.stdout)
        if args.json:
            write_json(args.json, result)
    from edge_runtime.errors import DataError

    if summary["refused"]:
        first = summary["refused_files"][0]
        raise DataError(f"Expected images already in the bundle's input mode and size (--strict). Received: "
                        f"{summary['refused']} that would be converted, first {first['path']} ({first['conversion']})")
    if summary["predicted"] == 0:
        raise DataError(f"Expected at least one readable image. Received: {summary['files']} files, none readable")
    return 0


def _line(record: dict) -> str:
    t = record["timings_us"]
    what = (f"{record['label']} (p={record['probability']:.3f})" if "label" in record
            else f"value={record['value']}")
    top = ""
    if "top" in record:
        top = "  top: " + ", ".join(f"{e['label']}={e['probability']:.3f}" for e in record["top"])
    return (f"{record['path']}: {what}  decode {t['decode']:.0f} us, preprocess {t['preprocess']:.0f} us, "
            f"inference {t['inference']:.0f} us{top}")
