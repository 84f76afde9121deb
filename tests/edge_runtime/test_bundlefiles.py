"""Every file the runtime opens is listed, inside the bundle after symlinks, regular, bounded and hashed.

One class of the hostile-input review per test: preprocessing arrays from anywhere, symlinks out
of a bundle, FIFOs that block, .npy headers that allocate, input shapes that allocate, and ONNX
external data files that nothing checked.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from edge_runtime.bundle import open_bundle
from edge_runtime.bundlefiles import BundleFiles, load_npy
from edge_runtime.errors import BundleError, UserError
from tests.edge_runtime.bundle_factory import copy_bundle, tiny_bundle
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.tamper import rehash


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def with_mean_from(bundle_dir: Path, reference: str, data: bytes | None = None, listed: bool = True) -> None:
    """Add a standardize step whose mean is ``{"npy": reference}``; write and list ``data`` there."""
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    manifest["preprocessing"].append({"op": "standardize", "mean": {"npy": reference}, "std": 0.5})
    if data is not None:
        (bundle_dir / reference).parent.mkdir(parents=True, exist_ok=True)
        (bundle_dir / reference).write_bytes(data)
    if listed:
        manifest["files"][reference] = {"sha256": hashlib.sha256(data or b"").hexdigest(),
                                        "size_bytes": len(data or b"")}
    (bundle_dir / "manifest.json").write_text(json.dumps(manifest))


def test_a_listed_hashed_array_loads_and_is_used(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    with_mean_from(bundle_dir, "preprocess/mean.npy", npy_bytes(np.float32(0.25)))
    bundle = open_bundle(bundle_dir)
    x = tiny_bundle().x_raw[:2]
    np.testing.assert_allclose(bundle.pipeline.transform(x), (x / 255.0 - 0.25) / 0.5, rtol=1e-5)


@pytest.mark.parametrize("reference, listed, why", [
    ("/etc/hostname", True, "relative path inside the bundle"),
    ("../outside.npy", True, "relative path inside the bundle"),
    ("preprocess/unlisted.npy", False, "not listed in the manifest's files"),
])
def test_arrays_from_outside_or_unlisted_are_refused(tmp_path, reference, listed, why):
    bundle_dir = copy_bundle(tmp_path)
    (tmp_path / "outside.npy").write_bytes(npy_bytes(np.float32(0.25)))
    (bundle_dir / "preprocess").mkdir()
    (bundle_dir / "preprocess" / "unlisted.npy").write_bytes(npy_bytes(np.float32(0.25)))
    with_mean_from(bundle_dir, reference, listed=False)
    if listed:  # listing an escaping path is already a manifest error
        manifest = json.loads((bundle_dir / "manifest.json").read_text())
        manifest["files"][reference] = {"sha256": "0" * 64, "size_bytes": 1}
        (bundle_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=why if not listed else "must be a relative path inside the bundle"):
        open_bundle(bundle_dir)


def test_a_modified_array_fails_its_sha256(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    with_mean_from(bundle_dir, "preprocess/mean.npy", npy_bytes(np.float32(0.25)))
    (bundle_dir / "preprocess" / "mean.npy").write_bytes(npy_bytes(np.float32(0.75)))
    with pytest.raises(UserError, match="mean.npy: sha256 mismatch"):
        open_bundle(bundle_dir)


def test_a_fifo_in_place_of_an_array_is_refused_without_blocking(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    with_mean_from(bundle_dir, "preprocess/mean.npy", npy_bytes(np.float32(0.25)))
    (bundle_dir / "preprocess" / "mean.npy").unlink()
    os.mkfifo(bundle_dir / "preprocess" / "mean.npy")
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_error_of(lambda: open_bundle(bundle_dir))), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # unblock the reader so the test session can end
        with open(bundle_dir / "preprocess" / "mean.npy", "wb"):
            pass
        pytest.fail("opening a bundle with a FIFO blocked")
    assert "mean.npy: not a regular file" in outcome[0]


def _error_of(action) -> str:
    try:
        action()
    except UserError as exc:
        return str(exc)
    return "no error"


def test_a_symlinked_model_or_models_folder_leading_outside_is_refused_without_disclosing_it(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"s" * 12345)
    (bundle_dir / "models" / "fp32.tflite").unlink()
    (bundle_dir / "models" / "fp32.tflite").symlink_to(secret)
    with pytest.raises(BundleError, match="fp32.tflite: it is a symbolic link leading outside") as caught:
        open_bundle(bundle_dir).session("tflite-fp32")
    assert "12345" not in str(caught.value) and "secret" not in str(caught.value)

    whole = copy_bundle(tmp_path / "b")
    os.rename(whole / "models", tmp_path / "elsewhere")
    (whole / "models").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BundleError, match="symbolic link leading outside"):
        open_bundle(whole).session("tflite-int8")


def test_a_symlink_inside_the_bundle_is_followed(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    os.rename(bundle_dir / "models" / "fp32.tflite", bundle_dir / "models" / "real.tflite")
    (bundle_dir / "models" / "fp32.tflite").symlink_to("real.tflite")
    assert open_bundle(bundle_dir).session("tflite-fp32").predict(tiny_bundle().x_raw[:1]).shape == (1, 10)


def test_an_npy_header_declaring_400_gb_is_refused_before_allocating():
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 1000000), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 64
    with pytest.raises(BundleError, match=r"declares \(100000, 1000000\) float32 \(400000000000 bytes\)"):
        load_npy(data, "huge.npy")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "big.npy").write_bytes(npy_bytes(np.zeros(1000, np.float32)))
    with pytest.raises(BundleError, match="4128 bytes. Expected at most 1000"):
        BundleFiles(tmp_path).read_npy("big.npy", max_bytes=1000)


def test_an_input_shape_of_100000_squared_is_refused_by_the_manifest_check(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    manifest["input"]["shape"] = [100000, 100000, 1]
    (bundle_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=r"input.shape: \[100000, 100000, 1\] exceeds the runtime's bounds"):
        open_bundle(bundle_dir)


def test_onnx_external_data_must_be_listed_inside_and_hashed(tmp_path):
    onnx = oracle("onnx")

    bundle_dir = copy_bundle(tmp_path)
    model = onnx.load(bundle_dir / "models" / "fp32.onnx")
    onnx.save_model(model, bundle_dir / "models" / "fp32.onnx", save_as_external_data=True,
                    all_tensors_to_one_file=True, location="fp32.weights", size_threshold=1024)
    rehash(bundle_dir, "models/fp32.onnx")
    with pytest.raises(BundleError, match="'models/fp32.weights': it is not listed in the manifest's files"):
        open_bundle(bundle_dir).session("onnx-fp32")
    rehash(bundle_dir, "models/fp32.weights")
    probs = open_bundle(bundle_dir).session("onnx-fp32").predict(tiny_bundle().x_raw[:4])
    np.testing.assert_allclose(probs, tiny_bundle().keras_probs[:4], atol=1e-5)
    weights = bundle_dir / "models" / "fp32.weights"
    weights.write_bytes(weights.read_bytes()[::-1])
    with pytest.raises(BundleError, match="fp32.weights: sha256 mismatch"):
        open_bundle(bundle_dir).session("onnx-fp32")


def test_onnx_external_data_pointing_outside_is_refused(tmp_path):
    onnx = oracle("onnx")

    from edge_runtime.onnxdata import external_locations

    bundle_dir = copy_bundle(tmp_path)
    model = onnx.load(bundle_dir / "models" / "fp32.onnx")
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", "/etc/passwd"), ("offset", "0"), ("length", "16")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    data = model.SerializeToString()
    assert external_locations(data) == ["/etc/passwd"]  # the scanner agrees with onnx's own writer
    (bundle_dir / "models" / "fp32.onnx").write_bytes(data)
    rehash(bundle_dir, "models/fp32.onnx")
    with pytest.raises(BundleError, match="refusing its external data '/etc/passwd'"):
        open_bundle(bundle_dir).session("onnx-fp32")
