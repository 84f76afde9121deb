"""Pipeline specs: the default hybrid config, JSON round trips with fitted state, and spec errors."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from edge_runtime.preprocess import OPS, Pipeline
from edge_runtime.preprocess.hog import hog
from edge_runtime.preprocess.moments import deskew
from tests.edge_runtime.preprocess.digits import mnist

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "preprocess" / "mnist_hybrid.json"


def test_default_hybrid_config_is_deskew_scale_interpolated_hog_with_324_features():
    pipe = Pipeline.from_spec(json.loads(CONFIG.read_text()))
    assert [s.op.name for s in pipe.steps] == ["deskew", "scale", "hog"]
    assert pipe.output_shape((28, 28, 1)) == (324,)
    assert 10_000 < pipe.cost((28, 28, 1)) < 200_000
    x = mnist(8)
    np.testing.assert_array_equal(pipe.transform(x), hog(deskew(x) / np.float32(255.0)))


def test_spec_round_trips_through_json_with_npy_state(tmp_path):
    x = mnist(40)
    spec = [{"op": "center_of_mass"}, {"op": "scale"}, {"op": "hog", "variant": "skimage"},
            {"op": "standardize", "mode": "per_channel"}, {"op": "pca", "components": 16}]
    pipe = Pipeline.from_spec(spec).fit(x)
    written = pipe.to_spec(tmp_path)
    (tmp_path / "spec.json").write_text(json.dumps(written))
    assert written[4]["basis"] == {"npy": "preprocess/4_pca_basis.npy"}
    assert (tmp_path / "preprocess" / "4_pca_basis.npy").exists()
    again = Pipeline.from_spec(json.loads((tmp_path / "spec.json").read_text()), base_dir=tmp_path)
    np.testing.assert_array_equal(again.transform(x), pipe.transform(x))
    assert again.to_spec(tmp_path / "second") == written


#: a library an op's docstring names as the function it reproduces (the reference its tests compare with)
REFERENCE = re.compile(r"cv2\.|OpenCV|skimage|scikit-image|PIL\b|Pillow|tf\.|[Kk]eras|sklearn|scikit-learn|scipy|np\.|NumPy")


def test_every_registered_op_has_shape_and_cost_and_a_docstring_naming_a_reference():
    for op in OPS.values():
        assert op.output_shape is not None and op.cost is not None, op.name
        doc = op.fn.__doc__ or ""
        if "module docstring" in doc:  # "see the module docstring": the reference is named there
            doc += sys.modules[op.fn.__module__].__doc__ or ""
        assert REFERENCE.search(doc), f"{op.name}: the docstring names no reference implementation"


def test_the_reference_check_rejects_a_docstring_without_one():
    assert REFERENCE.search("3x3 Sobel derivatives as ``cv2.Sobel(ksize=3)``")
    assert not REFERENCE.search("Computes the gradient magnitude of each image.")


def test_unknown_op_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"Unknown preprocessing op 'hogg'. Expected one of: .*deskew.*hog"):
        Pipeline.from_spec([{"op": "hogg"}])


@pytest.mark.parametrize("spec", [{"op": "hog"}, "deskew", [["deskew"]], [{"op": "scale"}, 3], None])
def test_a_spec_that_is_not_a_list_of_dicts_is_a_config_error(spec):
    with pytest.raises(ConfigError, match="list of"):
        Pipeline.from_spec(spec)


@pytest.mark.parametrize(("step", "message"), [
    ({"op": "hog", "variant": "opencv"}, r"hog: expected variant one of 'interpolated', 'skimage'. Received: variant='opencv'"),
    ({"op": "hog", "cell": 0}, r"hog: expected cell an integer >= 1. Received: cell=0"),
    ({"op": "hog", "orientations": 2.5}, r"expected orientations an integer >= 2. Received: orientations=2.5"),
    ({"op": "hog", "cells": 7}, r"hog: unknown parameter 'cells'. Expected one of: variant, cell, block, orientations"),
    ({"op": "resize", "size": [28]}, r"resize: expected size a \[height, width\] pair"),
    ({"op": "resize", "size": [28, 28], "resample": "area"}, r"Received: resample='area'"),
    ({"op": "morphology", "size": 4}, r"morphology: expected size an odd integer >= 1. Received: size=4"),
    ({"op": "threshold", "method": "fixed"}, r"threshold: expected value a number when method='fixed'. Received: value=None"),
    ({"op": "gaussian_blur", "sigma": -1}, r"gaussian_blur: expected sigma a positive number. Received: sigma=-1"),
    ({"op": "lbp", "points": 1}, r"lbp: expected points an integer >= 2 and <= 32. Received: points=1"),
    ({"op": "pad", "width": [1, 2]}, r"pad: expected width an integer >= 0 or \[top, bottom, left, right\]"),
    ({"op": "standardize", "mode": "per_pixel"}, r"Received: mode='per_pixel'"),
    ({"op": "pca", "components": 0}, r"pca: expected components an integer >= 1. Received: components=0"),
    ({"op": "invert", "maximum": "255"}, r"invert: expected maximum a positive number. Received: maximum='255'"),
])
def test_bad_parameters_fail_at_from_spec_naming_parameter_value_and_allowed(step, message):
    with pytest.raises(ConfigError, match=message):
        Pipeline.from_spec([step])


@pytest.mark.parametrize("bad", [{"x": 1}, "0.5", [1.0, float("nan")], [[1.0], [True, "a"]], float("inf")])
def test_fitted_state_that_is_not_finite_numbers_is_refused_when_read_not_mid_predict(bad):
    # found by the manifest fuzz target: a dict as standardize's mean failed inside predict with a TypeError
    with pytest.raises(ConfigError, match="standardize: expected fitted mean as finite numbers"):
        Pipeline.from_spec([{"op": "standardize", "mean": bad, "std": 1.0}])
    fitted = Pipeline.from_spec([{"op": "standardize", "mean": [[0.5]], "std": 2.0}])
    assert fitted.transform(np.ones((1, 1, 1, 1), np.float32)).item() == 0.25
