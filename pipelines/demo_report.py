"""The demo's one report: the edge runtime's comparison plus training, export, robustness and the
networks' insides, as HTML (self-contained), Markdown and JSON.

Bench results are enriched before they are compared: ``accuracy`` becomes the test accuracy measured
through the edge runtime (evaluate stage) and ``agreement`` the top-1 agreement with the float Keras
model from the export validation (not the fidelity to a fine-tuned source, which the export threshold
checks; both are in the export table), so the main table, the Pareto front and the recommended variant
rest on figures measured on the device path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from edge_runtime import atomic
from edge_runtime import validation as read_validation
from edge_runtime.report import Image, Section, Table, Text, fmt

TITLE = "edgenn demo: from MNIST to a device latency report"
#: built-in report sections the demo leaves out (the demo runs no sustained bench)
OMITTED_SECTIONS = ("Latency and temperature over time",)
REPORT_FILES = {"html": "report.html", "md": "report.md", "json": "report.json"}
FIGURES = "figures"


@dataclass
class ModelOutputs:
    """What the stages left for one model: its run record, bundle manifest, evaluation, bench and attack."""

    name: str
    run: dict
    manifest: dict
    evaluated: dict
    bench: dict
    robustness: dict

    @property
    def entries(self) -> dict[str, dict]:
        return {m["id"]: m for m in self.manifest["models"]}


def _read(path: Path) -> dict:
    return json.loads(Path(path).read_text("utf-8"))


def collect(root: Path, models: tuple[str, ...]) -> list[ModelOutputs]:
    """Read every model's outputs and enrich its bench results with edge accuracy and agreement."""
    from edge_runtime.manifest import read_manifest

    out = []
    for model in models:
        item = ModelOutputs(model, _read(root / f"runs/{model}/run.json"), read_manifest(root / f"bundles/{model}"),
                            _read(root / f"evaluate/{model}.json"), _read(root / f"bench/{model}.json"),
                            _read(root / f"robustness/{model}.json"))
        accuracy = {r["model_id"]: r["accuracy"] for r in item.evaluated["results"]}
        for result in item.bench["results"]:
            result["accuracy"] = accuracy[result["model_id"]]
            result["accuracy_samples"], result["accuracy_split"] = item.evaluated["samples"], "test"
            agree = read_validation.float_agreement(item.entries[result["model_id"]]) or {}
            result["agreement"], result["agreement_samples"] = agree.get("top1_agreement"), agree.get("samples")
        out.append(item)
    return out


@dataclass
class HardenedOutputs:
    """A model retrained with FGSM adversarial training: its run record and its float model's FGSM accuracy."""

    name: str
    base: str
    fgsm_eps: float
    run: dict
    robustness: dict

    @property
    def label(self) -> str:
        """Its name in charts and tables: "cnn FGSM-trained eps=0.1"."""
        return f"{model_tag(self.base)} FGSM-trained eps={self.fgsm_eps:g}"

    def record(self) -> dict:
        """report.json's robustness entry: the attack's figures plus how the model was trained."""
        train, metrics = self.run["config"]["train"], self.run["metrics"]
        return {**{k: self.robustness[k] for k in ("attack", "samples", "eps", "series")},
                "adversarial_training": {
                    "base": self.base, "fgsm_eps": train["fgsm_eps"], "fgsm_ratio": train["fgsm_ratio"],
                    "keras_test_accuracy": metrics["test"]["accuracy"],
                    "training_seconds": metrics.get("training", {}).get("seconds")}}


def collect_hardened(root: Path, hardened: dict[str, dict]) -> list[HardenedOutputs]:
    """The adversarially trained runs (name -> {"base", "fgsm_eps"}) and their robustness records."""
    return [HardenedOutputs(name, spec["base"], spec["fgsm_eps"], _read(root / f"runs/{name}/run.json"),
                            _read(root / f"robustness/{name}.json")) for name, spec in hardened.items()]


def model_tag(model: str) -> str:
    """A short name for a model in merged tables and charts: mnist_cnn -> cnn."""
    return model.removeprefix("mnist_")


def labelled(item: ModelOutputs) -> dict:
    """A copy of the model's bench run named by its short tag: bundle "cnn", model ids "cnn/tflite-int8".

    The comparison merges the three bundles and names rows "bundle/id"; an id that already starts with
    its bundle is not prefixed again, and report.json's rows keep ids that say which model they are.
    """
    run = json.loads(json.dumps(item.bench))
    run["bundle"]["name"] = model_tag(item.name)
    for result in run["results"]:
        result["model_id"] = f"{model_tag(item.name)}/{result['model_id']}"
    return run


def variant_record(result: dict, entry: dict) -> dict:
    """report.json's record of one variant on one backend: the main table's figures, unformatted."""
    lat = result["latency_us"]
    e2e, pre = lat["end_to_end"], lat["preprocess"]
    power = result.get("power") or {}
    measured, estimate = power.get("measured") or {}, power.get("estimate") or {}
    energy = measured.get("energy_uj_per_inference")
    return {
        "format": result["format"], "variant": result["variant"], "precision": result["precision"],
        "backend": result["backend"], "threads": result["threads"],
        "accuracy": result["accuracy"], "accuracy_samples": result.get("accuracy_samples"),
        "agreement": result["agreement"],
        "agreement_samples": (read_validation.float_agreement(entry) or {}).get("samples"),
        "fidelity": read_validation.fidelity(entry), "fidelity_reference": entry["validation"]["reference"],
        "validation_verdict": read_validation.verdict(entry), "validation_samples": entry["validation"]["samples"],
        "agreement_threshold": entry["validation"]["thresholds"].get("top1_agreement"),
        "export_accuracy": (entry.get("accuracy") or {}).get("value"),
        "size_bytes": result["size_bytes"], "gzip_bytes": entry.get("gzip_bytes"),
        "params": result["params"], "macs": result["macs"], "preprocessing_ops": result.get("preprocessing_ops"),
        "p50_us": e2e["p50"], "p99_us": e2e["p99"], "preprocess_p50_us": pre["p50"],
        "preprocess_share": pre["p50"] / e2e["p50"] if e2e["p50"] else None,
        "inference_p50_us": lat["inference"]["p50"],
        "cpu_time_us_per_inference": result["cpu_time_us_per_inference"],
        "energy_uj_per_inference": energy if energy is not None else estimate.get("energy_uj_per_inference"),
        "energy_label": "measured" if energy is not None else ("estimate" if estimate else None),
    }


# --- the demo's own sections ---------------------------------------------------------------------
def row_name(row: dict) -> str:
    """"cnn/tflite-int8 (litert, 1 thread)": a compared row of :func:`labelled` runs."""
    return f"{row['model_id']} ({row['backend']}, {row['threads']} thread{'s' * (row['threads'] > 1)})"


def overview_section(info: dict, items: list[ModelOutputs], summary: dict) -> Section:
    """What ran, on which data, and the one-line answer (the recommended variant)."""
    data = info["data"]
    blocks: list = [
        Text(f"Dataset: {data['dataset']} ({data['why']}). {data['summary']}"),
        Text(f"Profile: {info['profile']}. Three models were trained, each exported to every variant in TFLite "
             "and ONNX, validated against its float Keras model, evaluated and benchmarked through the "
             "TensorFlow-free edge runtime on this machine, and attacked with FGSM."),
    ]
    for device, rows in summary["rows"].items():
        verdict = summary["verdicts"][device]
        recommended = next(r for r in rows if r["recommended"])
        fastest = next(r for r in rows if r["fastest"])
        blocks.append(Text(f"Recommended on {device}: {row_name(recommended)}: end-to-end p50 "
                           f"{fmt.us(recommended['p50_us'])} \u00b5s, accuracy "
                           f"{fmt.accuracy(recommended['accuracy'], recommended.get('accuracy_samples'))}, "
                           f"{fmt.size(recommended['size_bytes'])} (rule: {verdict['rule']}). "
                           f"Fastest: {row_name(fastest)} at {fmt.us(fastest['p50_us'])} \u00b5s."))
    rows = []
    for item in items:
        training, test = item.run["metrics"].get("training", {}), item.run["metrics"]["test"]
        rows.append([item.name, item.run["config"]["model"]["builder"], fmt.count(item.run["model"]["params"]),
                     " \u2192 ".join(s["op"] for s in item.run["preprocessing"]) or "none",
                     str(training.get("epochs_run", "?")), fmt.number(training.get("seconds"), 1),
                     fmt.accuracy(test["accuracy"], test.get("n")), str(len(item.manifest["models"]))])
    blocks.append(Table(["Model", "Builder", "Parameters", "Preprocessing", "Epochs", "Training s",
                         "Keras test accuracy", "Exported variants"], rows,
                        caption="Training on the workstation (TensorFlow); everything below runs without it."))
    skipped = info.get("skipped_variants") or {}
    if skipped:
        blocks.append(Table(["Skipped variant", "Why"], [[k, v] for k, v in skipped.items()],
                            caption="Left out by this profile; the default `edgenn demo` exports them."))
    return Section("The demo at a glance", blocks)


def export_section(items: list[ModelOutputs]) -> Section:
    """Per model: every artifact's size, gzip size, ratio to fp32, fidelity to its source and agreement with float."""
    blocks: list = []
    for item in items:
        entries = item.manifest["models"]
        fp32 = {m["format"]: m["size_bytes"] for m in entries if m["precision"] == "fp32"}
        rows = []
        for m in entries:
            v, acc = m["validation"], m.get("accuracy") or {}
            agree = read_validation.float_agreement(m) or {}
            base = fp32.get(m["format"])
            rows.append([m["id"], m["precision"], fmt.size(m["size_bytes"]), fmt.size(m.get("gzip_bytes")),
                         f"{base / m['size_bytes']:.1f}x" if base else fmt.DASH,
                         f"{fmt.fraction(v['top1_agreement'])} ({v['reference']})", fmt.fraction(agree.get("top1_agreement")),
                         f"{v['max_abs_error']:.2g}", fmt.fraction(v["cosine_similarity"], 5),
                         fmt.accuracy(acc.get("value"), acc.get("samples")), read_validation.verdict(m)])
        samples = read_validation.samples_text(entries[0]["validation"])
        blocks.append(Table(["Model", "Precision", "Size", "gzip", "Smaller than fp32", "Fidelity (to its source)",
                             "Agreement with float", "Max abs error", "Cosine", "Accuracy", "Validation"], rows,
                            caption=f"{item.name}: each artifact run in its device engine on {samples} samples "
                                    "(never the test split) and compared with the Keras model it was converted "
                                    "from and with the trained float Keras model."))
    return Section("Export: size and fidelity", blocks, intro=(
        "Fidelity is the share of samples where the artifact's top-1 class equals that of the Keras model it was "
        "converted from (the float model, or its fine-tuned QAT, pruned or clustered copy); the export fails (it "
        "never only warns) below 0.999 for float and 0.98 for integer precisions, and a pass on fewer samples than "
        "the threshold needs (149 for 0.98, 2,995 for 0.999) is inconclusive. Agreement with float compares the "
        "artifact with the trained float model: what fine-tuning changed is in it, not in fidelity."))


def robustness_section(items: list[ModelOutputs], figures: Path, hardened: list[HardenedOutputs] = ()) -> Section:
    """FGSM accuracy vs epsilon: one chart and one table per model; an adversarially trained twin's float
    model is drawn in its plain model's chart and added to its table."""
    from pipelines.robustness import attack_label, plot

    blocks: list = []
    for item in items:
        result = item.robustness
        twins = [h for h in hardened if h.base == item.name]
        drawn = [_named(result, model_tag(item.name)), *(_named(h.robustness, h.label) for h in twins)]
        png = plot(drawn if twins else [result], figures / f"robustness_{item.name}.png",
                   title=f"{item.name}: FGSM accuracy vs epsilon")
        notes = "; ".join(a["note"] for a in result.get("attacks") or [result["attack"]])
        blocks.append(Image(png.read_bytes(), alt=f"FGSM accuracy vs epsilon for {item.name}",
                            caption=f"{item.name}: {notes}; {result['samples']} test samples."))
        columns = ["Model"] + [f"eps {e:g}" for e in result["eps"]]
        rows = [[s["model_id"] + attack_label(result, s), *[fmt.fraction(a, 3) for a in s["accuracy"]]]
                for s in result["series"]]
        rows += [[f"{h.label} ({KERAS_FLOAT})", *[fmt.fraction(a, 3) for a in _keras_float(h.robustness)]]
                 for h in twins]
        blocks.append(Table(columns, rows, caption=f"{item.name}: top-1 accuracy on FGSM examples, "
                                                   f"n={result['samples']:,} test images in every cell."))
        blocks += [Text(adversarial_training_effect(item, h)) for h in twins]
    return Section("Robustness to adversarial examples (FGSM)", blocks, intro=(
        "FGSM (Goodfellow et al., 2015) moves every pixel by epsilon (a fraction of its range) in the direction "
        "that raises the float model's loss. The same images then go through every exported variant on its "
        "device backend: the transfer a deployed model would face. The gradient runs through the preprocessing's "
        "graph twins, white-box; a model whose preprocessing has no differentiable twin is attacked through the "
        "CNN instead (a transfer attack), and the hybrid is attacked both ways when it has them. Where a twin's "
        "gradient is only piecewise defined (HOG's orientation binning, deskew's interpolated shear) the caption "
        "says so."))


#: robustness.KERAS_ID, the float Keras model's series (not imported: pipelines.robustness loads TensorFlow)
KERAS_FLOAT = "keras-float"


def _named(result: dict, name: str) -> dict:
    """A copy of a robustness record whose target is called ``name`` (its prefix in a shared chart)."""
    return {**result, "target": {**result["target"], "name": name}}


def _keras_float(result: dict) -> list[float]:
    return next(s["accuracy"] for s in result["series"] if s["model_id"] == KERAS_FLOAT)


def adversarial_training_effect(item: ModelOutputs, twin: HardenedOutputs) -> str:
    """One sentence with the measured numbers: the twin's float accuracy under attack vs its plain model's."""
    eps, mine, plain = twin.robustness["eps"], _keras_float(twin.robustness), _keras_float(item.robustness)
    train = twin.run["config"]["train"]
    seconds = [m["metrics"].get("training", {}).get("seconds") for m in (twin.run, item.run)]
    cost = f" ({seconds[0]:.0f} s of training instead of {seconds[1]:.0f} s)" if None not in seconds else ""
    attacked = ", ".join(f"{m:.3f} vs {p:.3f} at eps {e:g}" for e, m, p in zip(eps, mine, plain, strict=True))
    return (f"Adversarial training: {twin.name} is {item.name} retrained with {train['fgsm_ratio']:.0%} of each batch "
            f"replaced by FGSM examples of eps {train['fgsm_eps']:g}{cost}; each attacked white-box on its own float "
            f"model on the same {twin.robustness['samples']} test images, its top-1 accuracy against the plain "
            f"{model_tag(item.name)}'s is {attacked}.")


def inside_section(root: Path, items: list[ModelOutputs], inside: dict) -> Section:
    """Learning curves, first-layer kernels, feature maps and HOG glyphs as embedded PNGs."""
    captions = {"kernels": "first-layer convolution kernels", "feature_maps": "feature maps of one test digit",
                "dense_templates": "what the first dense layer's hidden units look for in the raw pixels",
                "hog_glyphs": "HOG glyphs of one test digit (the hybrid's features)"}
    blocks: list = []
    for item in items:
        curves = root / f"runs/{item.name}/curves.png"
        if curves.is_file():
            blocks.append(Image(curves.read_bytes(), alt=f"{item.name} learning curves",
                                caption=f"{item.name}: training vs validation loss and accuracy per epoch"))
        for figure, path in (inside.get(item.name) or {}).items():
            blocks.append(Image((root / path).read_bytes(), alt=f"{item.name} {figure}",
                                caption=f"{item.name}: {captions.get(figure, figure)}"))
    return Section("Looking inside the networks", blocks)


def timings_section(timings: dict[str, float]) -> Section:
    rows = [[name, fmt.number(seconds, 1)] for name, seconds in timings.items()]
    rows.append(["total", fmt.number(sum(timings.values()), 1)])
    return Section("Where the time went", [Table(["Stage", "Seconds"], rows, caption=(
        "Wall time of each stage when it last ran; a re-run of the demo reuses finished stages."))])


# --- writing ---------------------------------------------------------------------------------------
def write_report(root: Path, *, models: tuple[str, ...], info: dict, inside: dict, timings: dict[str, float],
                 hardened: dict[str, dict] | None = None) -> dict:
    """Render report.html, report.md and report.json into ``root`` (each atomically)."""
    from edge_runtime import report

    items = collect(root, models)
    twins = collect_hardened(root, hardened or {})
    runs = [labelled(item) for item in items]
    summary = report.summary(runs)
    figures = root / FIGURES
    figures.mkdir(exist_ok=True)
    builtin = [s for s in report.sections_for(runs) if s.title not in OMITTED_SECTIONS]
    sections = [overview_section(info, items, summary), *builtin, export_section(items),
                robustness_section(items, figures, twins), inside_section(root, items, inside), timings_section(timings)]
    sources = [f"bench/{m}.json" for m in models]
    doc = {
        "kind": "edgenn-demo-report", "schema_version": 1, **info, "summary": summary,
        "models": {item.name: {
            "keras_test_accuracy": item.run["metrics"]["test"]["accuracy"],
            "params": item.run["model"]["params"],
            "variants": {r["model_id"]: variant_record(r, item.entries[r["model_id"]]) for r in item.bench["results"]},
        } for item in items},
        "robustness": {item.name: {k: item.robustness[k] for k in ("attack", "attacks", "samples", "eps", "series")
                                   if k in item.robustness} for item in items} | {twin.name: twin.record() for twin in twins},
        "inside": inside, "timings_s": timings,
    }
    atomic.write_text(root / REPORT_FILES["html"], report.render_html([], TITLE, sections, sources))
    atomic.write_text(root / REPORT_FILES["md"], report.render_markdown([], TITLE, sections, sources))
    atomic.write_json(root / REPORT_FILES["json"], doc, default=str)
    rows = next(iter(summary["rows"].values()), [])
    pick = {flag: next((row_name(r) for r in rows if r[flag]), None) for flag in ("recommended", "fastest")}
    return {**REPORT_FILES, **pick}


