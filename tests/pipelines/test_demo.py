"""`edgenn demo --quick` end to end: every model and variant in one report with plausible figures,
a re-run that reuses every stage, and the output-directory and dataset rules."""

import json
import subprocess
from pathlib import Path

import pytest

from edge_runtime.manifest import read_manifest
from pipelines.cli import main
from pipelines.demo import HARDENED, MODELS, PROFILES, DemoSettings, run_demo
from pipelines.stages import WorkspaceError
from tests.installed_wheel import REPO, clean_env
from tests.pipelines.demo_run import installed_bin, quick_demo

#: what the quick demo must export: every default variant in both formats but the two it skips
QUICK_IDS = {"tflite-fp32", "tflite-fp16", "tflite-dynamic", "tflite-int8", "tflite-qat-int8", "tflite-pruned-int8",
             "onnx-fp32", "onnx-dynamic", "onnx-int8", "onnx-pruned-int8"}
#: ... each also in-model: every demo model's preprocessing prefix compiles into the graph (issue 11)
QUICK_IDS |= {f"{model_id}-in-model" for model_id in QUICK_IDS}
#: the export thresholds of issue 5: float artifacts agree with their source on >= 99.9 % of samples, integer ones
#: on >= 98 %
AGREEMENT = {"fp32": 0.999, "fp16": 0.999, "dynamic": 0.98, "int8": 0.98}
EPS = [0.0, 0.05, 0.1, 0.2]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    return quick_demo(tmp_path_factory)


@pytest.fixture(scope="session")
def report(demo_dir):
    return json.loads((demo_dir / "report.json").read_text("utf-8"))


@pytest.mark.slow
def test_the_demo_ran_from_the_installed_wheel_outside_the_checkout(demo_dir, tmp_path_factory):
    bin_dir = installed_bin(tmp_path_factory)
    code = "import pipelines.demo as d; print(d.__file__); print(d.CONFIGS_DIR)"
    done = subprocess.run([bin_dir / "python", "-c", code], cwd=demo_dir, capture_output=True, text=True,
                          env=clean_env(), check=True)
    module, configs = (Path(line) for line in done.stdout.split())
    venv_dir = bin_dir.parent
    assert module.is_relative_to(venv_dir) and configs.is_relative_to(venv_dir), done.stdout
    assert sorted(p.name for p in configs.glob("*.toml")) == sorted(p.name for p in (REPO / "configs").glob("*.toml"))
    assert not demo_dir.is_relative_to(REPO) and "[20/20] write the report" in (demo_dir / "demo.log").read_text()


@pytest.mark.slow
def test_the_demo_shows_no_engine_chatter(demo_dir):
    # training, export and the benchmarks ran: LiteRT, TensorFlow and the converter each had their say
    stderr = (demo_dir / "demo.stderr.log").read_text("utf-8")
    for chatter in ("XNNPACK delegate", "use_unbounded_threadpool", "fully_quantize:"):
        assert chatter not in stderr, stderr[-2000:]


@pytest.mark.slow
def test_every_model_and_variant_is_in_the_report_with_plausible_figures(demo_dir, report):
    assert report["data"]["dataset"] == "mnist-5k"
    assert set(report["models"]) == set(MODELS)
    for model in MODELS:
        variants = report["models"][model]["variants"]
        assert set(variants) == QUICK_IDS, model
        assert {m["id"] for m in read_manifest(demo_dir / "bundles" / model)["models"]} == QUICK_IDS
        for model_id, v in variants.items():
            where = f"{model} {model_id}"
            assert v["accuracy"] > 0.8, where
            assert v["fidelity"] >= AGREEMENT[v["precision"]], where  # to the model it was converted from
            assert v["validation_verdict"] == "passed" and v["validation_samples"] == 3000, where
            # with the float model; a fine-tuned variant only on the 2,000 samples fine-tuning never saw
            fine_tuned = v["variant"].split("-")[0] in ("qat", "pruned", "clustered", "pqat")
            assert 0.9 <= v["agreement"] <= 1 and v["agreement_samples"] == (2000 if fine_tuned else 3000), where
            assert 0 < v["p50_us"] <= v["p99_us"], where
            assert 0 < v["preprocess_p50_us"] < v["p50_us"] and 0 < v["preprocess_share"] < 1, where
            assert v["cpu_time_us_per_inference"] > 0 and v["size_bytes"] > 0 and v["macs"] > 0, where
            assert v["energy_uj_per_inference"] > 0 and v["energy_label"] == "estimate", where  # no sensor here
            assert v["backend"] == {"tflite": "litert", "onnx": "onnxruntime"}[v["format"]], where


@pytest.mark.slow
def test_int8_is_smaller_than_fp32_and_the_recommendation_is_named(report, demo_dir):
    for model in MODELS:
        variants = report["models"][model]["variants"]
        assert variants["tflite-int8"]["size_bytes"] * 3 < variants["tflite-fp32"]["size_bytes"], model
    (device, rows), = report["summary"]["rows"].items()
    recommended = [r for r in rows if r["recommended"]]
    assert len(recommended) == 1 and recommended[0]["pareto"]  # the recommendation is never dominated
    best = max(r["accuracy"] for r in rows)
    assert recommended[0]["accuracy"] >= best - 0.01
    html = (demo_dir / "report.html").read_text("utf-8")
    model, model_id = recommended[0]["model_id"].split("/")
    assert f"mnist_{model}" in MODELS and model_id in QUICK_IDS
    assert f"Recommended on {device}: {model}/{model_id} (" in html


@pytest.mark.slow
def test_the_robustness_numbers_cover_every_variant_and_fgsm_hurts(report):
    for model in MODELS:
        result = report["robustness"][model]
        assert result["eps"] == EPS
        ids = [s["model_id"] for s in result["series"]]
        assert set(ids) == QUICK_IDS | {"keras-float"}, model
        keras = result["series"][ids.index("keras-float")]["accuracy"]
        assert keras[0] > 0.8 and keras[-1] < keras[0] - 0.2, (model, keras)
    hybrid = report["robustness"]["mnist_hybrid"]
    assert [(a["kind"], a["crafted_on"]["name"]) for a in hybrid["attacks"]] == [
        ("white-box", "mnist_hybrid"), ("transfer", "mnist_cnn")]
    assert any(p.startswith("hog: orientation binning") for p in hybrid["attacks"][0]["piecewise"])
    assert any(p.startswith("deskew: the shear's linear interpolation") for p in hybrid["attacks"][0]["piecewise"])


@pytest.mark.slow
def test_the_fgsm_trained_cnn_is_attacked_on_the_same_images_and_shown_beside_the_plain_cnn(report, demo_dir):
    (twin,) = HARDENED
    result, plain = report["robustness"][twin.name], report["robustness"][twin.base]
    assert result["eps"] == plain["eps"] == EPS and result["samples"] == plain["samples"]
    assert [s["model_id"] for s in result["series"]] == ["keras-float"]  # its float model only, not exported
    assert result["attack"]["crafted_on"] == {"run": str(demo_dir / "runs" / twin.name), "name": twin.name,
                                              "surrogate": False}
    training = result["adversarial_training"]
    assert training["base"] == twin.base and training["fgsm_eps"] == 0.1 and training["fgsm_ratio"] == 0.5
    assert training["keras_test_accuracy"] > 0.9 and training["training_seconds"] > 0
    accuracy = result["series"][0]["accuracy"]
    # plausible, not a comparison: 4 quick epochs leave the gain of adversarial training to chance
    assert accuracy[0] > 0.9 and all(0 <= a <= 1 for a in accuracy) and accuracy[-1] < accuracy[0], accuracy
    html = (demo_dir / "report.html").read_text("utf-8")
    assert "cnn FGSM-trained eps=0.1 (keras-float)" in html  # its row in the CNN's robustness table
    at_01 = f"{accuracy[2]:.3f} vs {plain['series'][0]['accuracy'][2]:.3f} at eps 0.1"
    assert f"Adversarial training: {twin.name} is {twin.base} retrained" in html and at_01 in html


@pytest.mark.slow
def test_the_report_names_the_skipped_variants_and_why(report, demo_dir):
    assert report["skipped_variants"] == PROFILES["quick"].skipped_variants
    markdown = (demo_dir / "report.md").read_text("utf-8")
    for variant, why in PROFILES["quick"].skipped_variants.items():
        assert variant in markdown and why in markdown


@pytest.mark.slow
def test_a_rerun_reuses_every_finished_stage(demo_dir):
    before = (demo_dir / "report.json").read_bytes()
    lines = []
    run_demo(DemoSettings(data="mnist-5k", out=str(demo_dir), quick=True), log=lines.append)
    stage_lines = [line for line in lines if line.startswith("[")]
    assert stage_lines and all("reused" in line for line in stage_lines)
    assert (demo_dir / "report.json").read_bytes() == before


@pytest.mark.slow
def test_an_interrupted_demo_finishes_without_redoing_completed_stages(demo_dir):
    # as if the demo had been stopped while benchmarking the MLP: no done-marker, a half-written result
    (demo_dir / ".stages" / "bench-mnist_mlp.json").unlink()
    (demo_dir / ".stages" / "report.json").unlink()
    (demo_dir / "bench" / "mnist_mlp.json").write_text('{"half": ')
    lines = []
    run_demo(DemoSettings(data="mnist-5k", out=str(demo_dir), quick=True), log=lines.append)
    ran = [line.split(": done")[0] for line in lines if line.startswith("[") and ": done in" in line]
    assert ran == ["[11/20] benchmark mnist_mlp on this machine", "[20/20] write the report"]
    bench = json.loads((demo_dir / "bench" / "mnist_mlp.json").read_text("utf-8"))
    assert {r["model_id"] for r in bench["results"]} == QUICK_IDS


def test_an_output_directory_holding_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="--overwrite"):
        run_demo(DemoSettings(out=str(tmp_path), quick=True), log=lambda _: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_unknown_dataset_fails_in_one_line_naming_the_offline_choices(tmp_path, capsys):
    code = main(["demo", "--data", "mnist-50k", "--out", str(tmp_path / "demo"), "--quick"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "mnist-50k" in err[0] and "mnist-5k" in err[0]


def test_the_readme_and_help_quote_the_profiles_durations(capsys):
    readme = (REPO / "README.md").read_text("utf-8")
    default, quick = PROFILES["default"].duration, PROFILES["quick"].duration
    assert f"`make demo` takes {default} on a 2-core machine (`edgenn demo --quick`: {quick})" in readme
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert quick in " ".join(capsys.readouterr().out.split())
