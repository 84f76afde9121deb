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
    parser.add_argument("--split", choices=["train", "val", "test", "all"],
                        help="which split to evaluate; all: every sample (default: test when the bundle was trained "
                             "on this dataset, so its held-out samples stay held out; all for a dataset with no "
                             "training role, e.g. a folder of your own held-out images)")
    parser.add_argument("--seed", type=int, default=0,
                        help="split seed; the training default is 0, so the same samples stay held out")
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N samples of the split")
    add_model_arguments(parser, many=True, default_all=True)
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
    with open_bundle(args.bundle) as bundle:
        split, why = choose_split(args.split, dataset, bundle.manifest)
        x, y = dataset.split(split)
        if args.limit:
            x, y = x[: args.limit], y[: args.limit]
        if args.variant and not args.all:
            from edge_runtime.choice import explain

            chosen = [(v, bundle.model(v, args.backend)) for v in args.variant]
            for requested, model in chosen:
                print(explain(bundle, requested, args.backend, model))
            model_ids = [model["id"] for _, model in chosen]
        else:  # every variant by default: that is the table this command is for
            model_ids = [m["id"] for m in bundle.models_for(args.backend)]
        result = evaluate(bundle, x, y, model_ids, args.backend, args.threads,
                          options_for=lambda m: backend_options(args, m["format"], strict=len(model_ids) == 1),
                          dataset_labels=dataset.class_names if dataset.task == "classification" else None)
    result.update(data=args.data, split=split, split_reason=why, seed=args.seed)
    print(f"{result['bundle']} on {args.data}, split {split} ({result['samples']} samples): {why}")
    print(table(result))
    if args.confusion and result["task"] == "classification":
        for entry in result["results"]:
            print()
            print(confusion_text(entry, result["labels"]))
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")
    return 0


def choose_split(requested: str | None, dataset, manifest: dict) -> tuple[str, str]:
    """The split to evaluate and why: the one asked for; else ``test`` when the bundle was trained on this
    dataset (its other samples were seen in training), ``all`` when it was not."""
    if requested is not None:
        return requested, "as requested (--split)"
    trained = (manifest.get("training") or {}).get("dataset") or {}
    if not trained:
        return "test", "default test split: the bundle does not record its training dataset (pass --split all for data it never saw)"
    if trained.get("name") == dataset.name and trained.get("source", dataset.source) == dataset.source:
        return "test", f"default test split: the bundle was trained on {dataset.name}, whose other splits it has seen"
    return "all", (f"every sample: the bundle was trained on {trained.get('name')}, not on {dataset.name}, so none "
                   "of it was seen in training")
