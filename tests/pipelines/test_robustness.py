"""`edgenn robustness`: FGSM crafted in raw input space through the preprocessing, measured per variant."""

import json

import numpy as np
import pytest

from edge_runtime.errors import ConfigError, UserError
from tests.pipelines.digits_models import DIGITS_INPUT, cnn, digits_uint8, mlp, save_digits_run, train


@pytest.fixture(scope="module")
def digits():
    return digits_uint8()


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory, digits):
    x, y = digits
    return save_digits_run(tmp_path_factory.mktemp("mlp") / "mlp", train(mlp(), x[:1400], y[:1400], epochs=20), x, y)


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory, digits):
    x, y = digits
    return save_digits_run(tmp_path_factory.mktemp("cnn") / "cnn", train(cnn(), x[:1400], y[:1400], epochs=15), x, y)


def test_crafting_through_scale_and_flatten_equals_fgsm_on_the_scaled_flat_input(tmp_path, digits):
    from models.backend import keras
    from models.rundir import load_run
    from pipelines.adversarial import fgsm
    from pipelines.robustness import craft

    x, y = digits
    keras.utils.set_random_seed(5)
    flat = keras.Sequential([keras.layers.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    run = load_run(save_digits_run(tmp_path / "flat", flat, x, y,
                                   pipeline_spec=({"op": "scale", "divisor": 255.0}, {"op": "flatten"})))
    raw, labels = x[:50], y[:50]
    adversarial = craft(run, raw, labels, [0.0, 0.1])
    assert adversarial[0.1].dtype == np.uint8 and adversarial[0.1].shape == raw.shape
    np.testing.assert_array_equal(adversarial[0.0], raw)
    expected = fgsm(flat, raw.reshape(50, 64) / 255.0, labels, 0.1)
    np.testing.assert_array_equal(adversarial[0.1], np.rint(expected * 255).astype(np.uint8).reshape(raw.shape))
    step = np.abs(adversarial[0.1].astype(int) - raw)
    assert step.max() == round(0.1 * 255) and set(np.unique(step)) <= {0, *range(1, 27)}


@pytest.mark.parametrize("spec", [
    [{"op": "scale", "divisor": 16.0}, {"op": "standardize"}, {"op": "flatten"}],
    [{"op": "scale"}, {"op": "standardize", "mode": "per_channel"}],
    [{"op": "scale"}, {"op": "pca", "components": 12}],
    [{"op": "invert"}, {"op": "pad", "width": 1, "mode": "reflect"}, {"op": "scale"}, {"op": "gaussian_blur"},
     {"op": "morphology"}, {"op": "sobel"}, {"op": "center_crop", "size": [8, 8]}],
], ids=["standardize-global", "standardize-per-channel", "pca", "invert-pad-blur-morphology-sobel-crop"])
def test_the_device_path_runs_the_numpy_ops_through_their_twins(spec, digits):
    from edge_runtime.preprocess import Pipeline
    from pipelines.robustness import DevicePathModel, RawSpace

    x = digits[0][:200]
    pipeline = Pipeline.from_spec(spec).fit(x)
    space = RawSpace(DIGITS_INPUT)
    path = DevicePathModel(lambda features, training=False: features, pipeline, space, x.shape[1:])
    np.testing.assert_allclose(np.asarray(path(space.to_unit(x))), pipeline.transform(x), rtol=1e-5, atol=1e-5)


def test_differentiable_means_the_registered_op_says_so_and_has_a_twin():
    from edge_runtime.preprocess import OPS, Pipeline
    from models.twins import TWINS
    from pipelines.robustness import non_differentiable_ops, piecewise_notes

    assert {name for name, op in OPS.items() if op.differentiable} <= set(TWINS)
    spec = [{"op": "invert"}, {"op": "threshold", "method": "fixed", "value": 9}, {"op": "lbp"}, {"op": "morphology"}]
    pipeline = Pipeline.from_spec(spec)
    assert non_differentiable_ops(pipeline) == ["threshold", "lbp"]  # a step function; no twin at all
    assert piecewise_notes(pipeline) == ["morphology: the min/max over the footprint (gradient to the extreme pixel only)"]


def test_float_model_accuracy_falls_with_eps_and_starts_at_its_clean_accuracy(mlp_run):
    from models.rundir import load_run
    from pipelines.robustness import evaluate

    run = load_run(mlp_run)
    result = evaluate(run, [0.2, 0.0, 0.1], limit=200)
    assert result["eps"] == [0.0, 0.1, 0.2] and result["samples"] == 200
    (keras_series,) = result["series"]
    x, y = run.samples["test_x"][:200], run.samples["test_y"][:200]
    clean = np.mean(run.load_model().predict(x / 255.0, verbose=0).argmax(1) == y)
    assert keras_series["model_id"] == "keras-float"
    assert keras_series["accuracy"][0] == pytest.approx(clean) and clean > 0.9
    assert keras_series["accuracy"] == sorted(keras_series["accuracy"], reverse=True)
    assert keras_series["accuracy"][2] < clean - 0.3
    assert result["max_perturbation"] == pytest.approx([0.0, 26 / 255, 51 / 255])
    assert result["attack"]["crafted_on"]["surrogate"] is False


def test_a_surrogate_must_share_the_raw_input_and_labels(mlp_run, tmp_path, digits):
    from models.backend import keras
    from models.rundir import load_run
    from pipelines.robustness import evaluate

    x, y = digits
    other = keras.Sequential([keras.layers.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    small_input = {**DIGITS_INPUT, "shape": [4, 4, 1]}
    run_dir = save_digits_run(tmp_path / "small", other, x[:, ::2, ::2], y, input_spec=small_input)
    with pytest.raises(ConfigError, match="input shape"):
        evaluate(load_run(mlp_run), [0.1], surrogate=load_run(run_dir))


def test_chart_table_and_json_are_written(mlp_run, tmp_path):
    from PIL import Image

    from edge_runtime import atomic
    from models.rundir import load_run
    from pipelines.robustness import chart_lines, evaluate, format_table, plot

    result = evaluate(load_run(mlp_run), [0.0, 0.05], limit=100)
    result["series"].append({**result["series"][0], "model_id": "tflite-int8"})
    both = [result, {**result, "target": {**result["target"], "name": "other"}}]
    assert [label for label, _, _ in chart_lines(both, {"keras-float"})] == ["mlp keras-float", "other keras-float"]
    assert [label for label, _, _ in chart_lines([result])] == ["keras-float", "tflite-int8"]
    png = plot(both, tmp_path / "chart.png", model_ids={"keras-float"})
    with Image.open(png) as image:
        assert image.size == (640, 420) and image.format == "PNG"
    table = format_table(result)
    assert "keras-float" in table and "eps=0.05" in table
    saved = json.loads(atomic.write_json(tmp_path / "out" / "robustness.json", result).read_text())
    assert saved == result and not list((tmp_path / "out").glob("*.tmp"))


def test_eps_lists_parse_sorted_and_bad_values_are_named():
    from pipelines.robustness import parse_eps

    assert parse_eps("0.1,0,0.05,0.1") == [0.0, 0.05, 0.1]
    for bad in ("0,x", "-0.1", ","):
        with pytest.raises(ConfigError, match="eps="):
            parse_eps(bad)


def test_cli_prints_the_table_and_writes_chart_and_json(mlp_run, tmp_path, capsys):
    from pipelines.cli import main

    assert main(["robustness", str(mlp_run), "--eps", "0,0.1", "--limit", "100", "--out", str(tmp_path / "out"),
                 "--json", str(tmp_path / "r.json")]) == 0
    printed = capsys.readouterr().out
    assert "keras-float" in printed and "eps=0.1" in printed
    result = json.loads((tmp_path / "out" / "robustness.json").read_text())
    assert result == json.loads((tmp_path / "r.json").read_text())
    assert result["chart"] == "robustness.png" and (tmp_path / "out" / "robustness.png").is_file()


def test_cli_refuses_what_is_neither_a_run_nor_a_bundle_and_a_bad_eps(tmp_path, mlp_run, capsys):
    from pipelines.cli import main

    assert main(["robustness", str(tmp_path)]) == 2
    assert "Expected a run directory (run.json) or a bundle" in capsys.readouterr().err
    assert main(["robustness", str(mlp_run), "--eps", "0,-1"]) == 2
    assert "eps='0,-1'" in capsys.readouterr().err


def _bundle(out, run_dir=None):
    """A real (tiny) bundle at ``out`` written by export's writer, recording ``run_dir`` as its source run."""
    from export.bundle import write_bundle
    from tests.edge_runtime.manifest_example import populate_with

    write_bundle(out, populate_with(b"m"), run_dir=run_dir, as_zip=str(out).endswith(".zip"))
    return out


def test_a_bundle_finds_its_run_from_the_manifests_source_run_or_takes_run(tmp_path, mlp_run):
    import shutil

    from pipelines.robustness import resolve_target

    run = tmp_path / "tree" / "runs" / "mlp"
    shutil.copytree(mlp_run, run)
    inside = _bundle(run / "bundle", run)  # `edgenn export`'s default place: RUN_DIR/bundle
    assert resolve_target(inside) == (run, inside)
    (tmp_path / "tree" / "bundles").mkdir()
    beside = _bundle(tmp_path / "tree" / "bundles" / "mlp.zip", run)  # the demo's layout: bundles/ beside runs/
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path / "tree", moved)  # the whole tree moved: the relative path still holds
    shutil.rmtree(tmp_path / "tree" / "runs")
    assert resolve_target(moved / "bundles" / "mlp.zip")[0].resolve() == (moved / "runs" / "mlp").resolve()
    with pytest.raises(UserError, match="its run 'mlp' is not at .*pass --run RUN_DIR"):
        resolve_target(beside)
    assert resolve_target(beside, run=mlp_run) == (mlp_run, beside)
    without = _bundle(tmp_path / "old")  # written before source_run: never guessed
    with pytest.raises(UserError, match=r"does not record the run it came from \(source_run\); pass --run"):
        resolve_target(without)
    assert resolve_target(mlp_run) == (mlp_run, None)


HOG_PIECEWISE = "orientation binning (a bin edge: a jump for skimage, a kink interpolated) and zero gradient magnitude"
#: the demo hybrid's HOG (scaled first, interpolated bins) on the 8x8 digits: 324 features. With skimage's hard
#: bins the orientation's gradient is zero almost everywhere (masked): white-box FGSM then did worse than the
#: CNN's transfer (0.56 vs 0.48 at eps 0.2, 300 digits); interpolated bins are tents and let it through.
HOG_SPEC = ({"op": "scale"}, {"op": "hog", "variant": "interpolated", "cell": 2, "block": 2, "orientations": 9})


@pytest.fixture(scope="module")
def hybrid_run(tmp_path_factory, digits):
    """An MLP on edgenn's HOG features of the 8x8 digits: the hybrid, differentiable through its HOG twin."""
    from edge_runtime.preprocess import Pipeline
    from models.backend import keras

    x, y = digits
    features = Pipeline.from_spec([dict(s) for s in HOG_SPEC]).transform(x[:1400])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((features.shape[1],)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(features, y[:1400], epochs=30, batch_size=64, verbose=0)
    return save_digits_run(tmp_path_factory.mktemp("hybrid") / "hybrid", model, x, y, pipeline_spec=HOG_SPEC)


def test_the_hybrid_is_attacked_white_box_through_its_hog_twin_and_by_transfer_from_a_cnn(hybrid_run, cnn_run):
    from models.rundir import load_run
    from pipelines.robustness import chart_lines, chart_title, evaluate, format_table

    result = evaluate(load_run(hybrid_run), [0.0, 0.1, 0.2], surrogate=load_run(cnn_run), limit=300)
    white, transfer = result["attacks"]
    assert (white["kind"], transfer["kind"]) == ("white-box", "transfer")
    assert white["piecewise"] == [f"hog: {HOG_PIECEWISE}"] and f"gradient piecewise at hog: {HOG_PIECEWISE}" in white["note"]
    assert transfer["note"] == "crafted on surrogate 'cnn', a transfer attack on 'hybrid'"
    assert result["attack"]["space"] == "raw uint8 input read as [0, 1], perturbed, rounded back to uint8"
    by_attack = {s["attack"]: s["accuracy"] for s in result["series"]}
    clean = by_attack["white-box"][0]
    assert clean == by_attack["transfer"][0] > 0.85
    assert by_attack["transfer"][2] < clean - 0.1  # the CNN's FGSM examples transfer to the hybrid
    assert by_attack["white-box"][2] < by_attack["transfer"][2]  # its own gradient, piecewise as it is, hurts more
    assert "keras-float (via cnn)" in format_table(result)
    assert chart_lines([result, result])[1][0] == "hybrid keras-float (via cnn)"
    assert chart_title([result]) == "FGSM accuracy vs epsilon (white-box unless 'via' a surrogate)"


def test_a_target_with_a_non_differentiable_op_needs_a_surrogate_and_is_attacked_by_transfer(cnn_run, tmp_path, digits):
    from models.backend import keras
    from models.rundir import load_run
    from pipelines.robustness import chart_lines, evaluate

    x, y = digits
    spec = ({"op": "lbp", "grid": 2},)  # no twin: the codes compare float64 samples
    model = keras.Sequential([keras.layers.Input((40,)), keras.layers.Dense(10, activation="softmax")])
    target = load_run(save_digits_run(tmp_path / "lbp", model, x, y, pipeline_spec=spec))
    with pytest.raises(UserError, match=r"\['lbp'\] are not differentiable.*--surrogate"):
        evaluate(target, [0.0, 0.1], limit=50)
    result = evaluate(target, [0.0, 0.1], surrogate=load_run(cnn_run), limit=50)
    assert [a["kind"] for a in result["attacks"]] == ["transfer"] and result["attack"]["crafted_on"]["surrogate"]
    assert "its preprocessing lbp is not differentiable" in result["attack"]["note"]
    assert [label for label, _, _ in chart_lines([result])] == ["keras-float"]  # one attack: no label suffix


@pytest.mark.slow
def test_every_exported_variant_is_measured_on_the_same_adversarial_images(mlp_run, tmp_path, capsys):
    import shutil

    from pipelines.cli import main

    assert main(["export", str(mlp_run), "--variants", "fp32,int8", "--overwrite"]) == 0
    bundle = mlp_run / "bundle"
    archive = shutil.make_archive(str(tmp_path / "bundle"), "zip", bundle)
    shutil.copy(archive, mlp_run / "bundle.zip")  # the run is found next to the archive, as with --zip
    onnx = {"onnx-fp32", "onnx-int8", "onnx-fp32-in-model", "onnx-int8-in-model"}  # in-model: scale in the graph
    expected = {"keras-float", "tflite-fp32", "tflite-int8", "tflite-fp32-in-model", "tflite-int8-in-model", *onnx}
    runs = ((bundle, [], expected), (mlp_run / "bundle.zip", ["--backend", "onnxruntime"], {"keras-float", *onnx}))
    for target, extra, model_ids in runs:
        out = tmp_path / f"result-{target.name}"
        assert main(["robustness", str(target), "--eps", "0,0.1,0.2", "--limit", "300", "--out", str(out), *extra]) == 0
        result = json.loads((out / "robustness.json").read_text())
        series = {s["model_id"]: s["accuracy"] for s in result["series"]}
        assert set(series) == model_ids
        for model_id, accuracy in series.items():
            assert accuracy == sorted(accuracy, reverse=True), model_id
            # float variants see exactly what Keras sees; int8 rounds differently on a few images
            tolerance = 0.0 if "fp32" in model_id else 0.03
            np.testing.assert_allclose(accuracy, series["keras-float"], atol=tolerance + 1e-9, err_msg=model_id)
    assert "tflite-int8" in capsys.readouterr().out


BLUR_SPEC = ({"op": "scale"}, {"op": "gaussian_blur", "sigma": 0.5}, {"op": "morphology", "footprint": "cross"})


@pytest.fixture(scope="module")
def blur_run(tmp_path_factory, digits):
    """An MLP on blurred, dilated digits: preprocessing with differentiable twins (one piecewise)."""
    from edge_runtime.preprocess import Pipeline

    x, y = digits
    features = Pipeline.from_spec([dict(s) for s in BLUR_SPEC]).transform(x[:1400])
    model = train(mlp(), (features * 255).astype(np.float32), y[:1400])  # train() divides by 255
    return save_digits_run(tmp_path_factory.mktemp("blur") / "blur", model, x, y, pipeline_spec=BLUR_SPEC)


@pytest.fixture(scope="module")
def both_attacks(blur_run, cnn_run):
    from models.rundir import load_run
    from pipelines.robustness import evaluate

    return evaluate(load_run(blur_run), [0.0, 0.1, 0.2], surrogate=load_run(cnn_run), limit=300)


def test_a_differentiable_target_with_a_surrogate_faces_both_attacks_white_box_hurting_more(both_attacks):
    from pipelines.robustness import chart_lines, chart_title, format_table

    result = both_attacks
    assert [a["kind"] for a in result["attacks"]] == ["white-box", "transfer"]
    white, transfer = result["attacks"]
    assert white["crafted_on"]["name"] == "blur" and transfer["crafted_on"]["name"] == "cnn"
    assert white["piecewise"] == ["morphology: the min/max over the footprint (gradient to the extreme pixel only)"]
    assert "through its preprocessing's graph twins (white-box); gradient piecewise at morphology" in white["note"]
    assert result["attack"]["crafted_on"] == white["crafted_on"]
    by_attack = {s["attack"]: s["accuracy"] for s in result["series"]}
    assert by_attack["white-box"][0] == by_attack["transfer"][0] > 0.85  # eps 0: the same clean images
    assert by_attack["white-box"][2] < by_attack["transfer"][2] - 0.1  # its own gradient hurts more
    assert [label for label, _, _ in chart_lines([result])] == ["keras-float (white-box)", "keras-float (via cnn)"]
    assert chart_title([result]) == "FGSM accuracy vs epsilon (white-box unless 'via' a surrogate)"
    table = format_table(result)
    assert "keras-float (white-box)" in table and "keras-float (via cnn)" in table


def test_the_demo_report_draws_and_tabulates_both_attacks_with_their_notes(both_attacks, tmp_path):
    from types import SimpleNamespace

    from edge_runtime.report import Image, Table
    from pipelines.demo_report import robustness_section

    section = robustness_section([SimpleNamespace(name="mnist_blur", robustness=both_attacks)], tmp_path)
    image, table = section.blocks
    assert isinstance(image, Image) and isinstance(table, Table)
    white, transfer = (a["note"] for a in both_attacks["attacks"])
    assert image.caption == f"mnist_blur: {white}; {transfer}; 300 test samples."
    assert "gradient piecewise at morphology" in image.caption
    assert [row[0] for row in table.rows] == ["keras-float (white-box)", "keras-float (via cnn)"]
    assert table.rows[0][1:] == [f"{a:.3f}" for a in both_attacks["series"][0]["accuracy"]]
