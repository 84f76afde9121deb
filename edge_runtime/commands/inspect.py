"""``edgenn inspect BUNDLE``: what a bundle holds, readable, after checking every file's sha256.

Works on an edge-only install (standard library and ``edge_runtime`` only, no engine loaded).
"""

from __future__ import annotations

import argparse

HELP = "summarize a bundle (directory or .zip): input, preprocessing, models, sizes, validation; verifies sha256"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="BUNDLE", help="a bundle directory or .zip written by `edgenn export`")
    parser.add_argument("--json", metavar="FILE", help="also write the manifest and the verification result to FILE")


def _step(step: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in step.items() if k != "op" and not isinstance(v, (list, dict)))
    return f"{step['op']}({params})"


def _input(spec: dict) -> str:
    shape = "x".join(str(d) for d in spec["shape"])
    extra = [spec[k] for k in ("color",) if k in spec] + [f"resize {spec['resize']}"] * ("resize" in spec)
    return " ".join([spec["kind"], shape, spec["dtype"], *extra])


def _tensor(t: dict) -> str:
    q = t.get("quantization")
    quant = f" q(scale={q['scale'][0]:.4g}, zp={q['zero_point'][0]})" if q and len(q["scale"]) == 1 else ""
    return f"{t['dtype']}{t['shape']}{quant}"


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def where_ops_run(manifest: dict) -> list[str]:
    """One line per split of the pipeline: which models run which ops themselves, the host the rest."""
    from edge_runtime.manifest import in_model_ops

    ops = [s["op"] for s in manifest["preprocessing"]]
    if not ops:
        return []
    groups: dict[int, list[str]] = {}
    for model in manifest["models"]:
        groups.setdefault(len(in_model_ops(model)), []).append(model["id"])
    lines = []
    for done, ids in sorted(groups.items()):
        inside = " -> ".join(ops[:done]) or "nothing"
        host = " -> ".join(ops[done:]) or "nothing"
        shown = ", ".join(ids[:4]) + (f" (+{len(ids) - 4})" if len(ids) > 4 else "")
        lines.append(f"where       in the model: {inside}; on the host: {host}  [{shown}]")
    return lines


def summary(manifest: dict, verified: str) -> list[str]:
    """The lines ``inspect`` prints, from a validated manifest."""
    from edge_runtime import validation as read
    from edge_runtime.report import fmt

    m = manifest
    labels = m["labels"]
    lines = [
        f"bundle      {m['name']}  (schema {m['schema_version']}, created {m['created']})",
        f"task        {m['task']}" + (f", {len(labels)} labels: {' '.join(labels[:12])}"
                                      + (" ..." if len(labels) > 12 else "") if labels else ""),
        f"input       {_input(m['input'])}",
        "preprocess  " + (" -> ".join(_step(s) for s in m["preprocessing"]) or "(none)"),
        f"files       {len(m['files'])}, {verified}",
        f"models      default {m['default_model']}",
    ]
    header = (f"  {'id':<30} {'precision':<15} {'size':>9} {'gzip':>9} {'params':>7} {'MACs':>7} "
              f"{'fidelity':>8} {'w/ float':>8} {'samples':>7} {'max err':>8} {'metric':>16} {'ref':>7} "
              f"{'validation':>12}")
    lines.append(header)
    for model in m["models"]:
        a, v, acc = model["analysis"], model["validation"], model.get("accuracy")
        metric = f"{acc['metric']} {acc['value']:.4f}" if acc else "-"
        reference = _fmt(acc.get("reference_value") if acc else None, ".4f")
        agree = read.float_agreement(model)
        lines.append(
            f"  {model['id']:<30} {model['precision']:<15} {fmt.size(model['size_bytes']):>9} "
            f"{fmt.size(model['gzip_bytes']):>9} {fmt.count(a['params']):>7} {fmt.count(a['macs']):>7} "
            f"{_fmt(v['top1_agreement'], '.4f'):>8} {_fmt(agree and agree['top1_agreement'], '.4f'):>8} "
            f"{v['samples']:>7,} {v['max_abs_error']:>8.2g} {metric:>16} {reference:>7} {read.verdict(model):>12}"
        )
    lines += where_ops_run(m)
    sources = read.samples_text(m["models"][0]["validation"])
    lines.append(f"            fidelity: top-1 agreement with the model each artifact was converted from (the "
                 f"export threshold); w/ float: with the trained float model; samples: {sources}")
    first = next(x for x in m["models"] if x["id"] == m["default_model"])
    lines.append(f"tensors     {first['id']}: in {', '.join(_tensor(t) for t in first['inputs'])}"
                 f"; out {', '.join(_tensor(t) for t in first['outputs'])}")
    pre_ops = first["analysis"].get("preprocessing_ops")
    if pre_ops:
        lines.append(f"cost        preprocessing {fmt.count(pre_ops)} ops/sample; network {fmt.count(first['analysis']['macs'])} MACs")
    lines.append("tools       " + ", ".join(f"{k} {v}" for k, v in m["tools"].items()))
    metrics = (m.get("training") or {}).get("metrics") or {}
    shown = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
    if shown:
        lines.append("training    " + ", ".join(f"{k} {v:.4g}" for k, v in shown.items()))
    return lines


def run(args: argparse.Namespace) -> int:
    from edge_runtime.bundle import open_bundle
    from edge_runtime.errors import BundleError
    from edge_runtime.manifest import verify_files

    bundle = open_bundle(args.bundle, probe=False)
    if bundle.bare:
        raise BundleError(f"Expected a bundle with manifest.json. Received: path={args.bundle!r} (a bare model file)")
    problem = None
    try:
        verify_files(bundle.path, bundle.manifest)
        verified = "every size and sha256 verified"
    except BundleError as exc:
        problem, verified = exc, "VERIFICATION FAILED"
    print("\n".join(summary(bundle.manifest, verified)))
    if args.json:
        from edge_runtime import atomic

        atomic.write_json(args.json, {"verified": problem is None, "manifest": bundle.manifest})
    if problem is not None:
        raise problem
    return 0
