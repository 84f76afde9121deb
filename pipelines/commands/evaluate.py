"""``edgenn evaluate BUNDLE --data URI``: accuracy and confusion matrix of every variant, device path."""

from __future__ import annotations

import argparse

HELP = ("accuracy and confusion matrix of every model in a bundle on a dataset split, through the device "
        "path (raw samples, the bundle's preprocessing, the model), in one table")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from edge_runtime.commands.predict import add_model_arguments

    parser.add_argument("bundle", metavar="BUNDLE", help="bundle directory or .zip")
    parser.add_argument("--data", required=True, metavar="URI",
                        help="dataset name or URI, as for `edgenn datasets` (e.g. mnist-5k, folder:DIR)")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"],
                        help="which split to evaluate (default: test)")
    parser.add_argument("--seed", type=int, default=0,
                        help="split seed; the training default is 0, so the same samples stay held out")
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N samples of the split")
    add_model_arguments(parser, many=True)
    parser.add_argument("--threads", type=int, default=1, metavar="N", help="inference threads (default: 1)")
    parser.add_argument("--confusion", action="store_true", help="print every model's confusion matrix")
    parser.add_argument("--json", metavar="FILE", help="write the metrics and confusion matrices to FILE")


def run(args: argparse.Namespace) -> int:
    from edge_runtime.atomic import write_json
    from edge_runtime.bundle import open_bundle
    from edge_runtime.commands.predict import backend_options
    from edge_runtime.errors import ConfigError
    from edge_runtime.evaluate import confusion_text, evaluate, table
    from pipelines.datasets import load

    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"Expected --limit >= 1. Received: limit={args.limit}")
    dataset = load(args.data, seed=args.seed)
    x, y = dataset.split(args.split)
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    with open_bundle(args.bundle) as bundle:
        if args.variant and not args.all:
            model_ids = [bundle.model(v, args.backend)["id"] for v in args.variant]
        else:  # every variant by default: that is the table this command is for
            model_ids = [m["id"] for m in bundle.models_for(args.backend)]
        result = evaluate(bundle, x, y, model_ids, args.backend, args.threads,
                          options_for=lambda m: backend_options(args, m["format"], strict=len(model_ids) == 1),
                          dataset_labels=dataset.class_names if dataset.task == "classification" else None)
    result.update(data=args.data, split=args.split, seed=args.seed)
    print(f"{result['bundle']} on {args.data} {args.split} split ({result['samples']} samples)")
    print(table(result))
    if args.confusion and result["task"] == "classification":
        for entry in result["results"]:
            print()
            print(confusion_text(entry, result["labels"]))
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")
    return 0
