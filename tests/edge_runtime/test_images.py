"""Decoding images of any size and mode into the manifest's raw input."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from edge_runtime.errors import DataError
from edge_runtime.images import expand_paths, iter_images, load_image

GREY = {"kind": "image", "shape": [28, 28, 1], "dtype": "uint8", "color": "L", "resize": "nearest"}
RGB = {"kind": "image", "shape": [4, 4, 3], "dtype": "uint8", "color": "RGB", "resize": "bilinear"}


def _save(tmp_path, name, array, mode=None):
    path = tmp_path / name
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_a_greyscale_image_of_the_right_size_round_trips_exactly(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    raw = load_image(_save(tmp_path, "d.png", pixels), GREY)
    assert raw.shape == (28, 28, 1) and raw.dtype == np.uint8
    np.testing.assert_array_equal(raw[:, :, 0], pixels)


def test_rgb_is_converted_to_grey_with_the_itu_r_601_luma_weights(tmp_path):
    colour = np.zeros((28, 28, 3), np.uint8)
    colour[...] = (200, 100, 50)
    raw = load_image(_save(tmp_path, "c.png", colour), GREY)
    # L = R * 299/1000 + G * 587/1000 + B * 114/1000 (Pillow's documented conversion)
    assert int(raw[0, 0, 0]) == round(200 * 0.299 + 100 * 0.587 + 50 * 0.114)


def test_a_larger_image_is_resized_with_the_manifests_filter(tmp_path):
    big = np.random.default_rng(1).integers(0, 256, (56, 56), dtype=np.uint8)
    raw = load_image(_save(tmp_path, "big.png", big), GREY)
    # nearest neighbour at a factor of 2 samples the pixel under each output centre: 2i + 1
    np.testing.assert_array_equal(raw[:, :, 0], big[1::2, 1::2])


def test_greyscale_becomes_rgb_and_a_16_bit_image_keeps_its_top_byte(tmp_path):
    grey = np.full((4, 4), 77, np.uint8)
    raw = load_image(_save(tmp_path, "g.png", grey), RGB)
    assert raw.shape == (4, 4, 3) and (raw == 77).all()
    deep = np.full((28, 28), 0xAB12, np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(deep).save(path)
    assert (load_image(path, GREY) == 0xAB).all()


def test_rgba_and_palette_images_are_converted(tmp_path):
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 255
    assert load_image(_save(tmp_path, "a.png", rgba), GREY)[0, 0, 0] == round(255 * 0.299)
    palette = Image.fromarray(np.full((28, 28), 128, np.uint8)).convert("P")
    palette.save(tmp_path / "p.gif")
    assert load_image(tmp_path / "p.gif", GREY)[0, 0, 0] == 128


def test_a_float_image_is_a_clear_error(tmp_path):
    path = tmp_path / "f.tiff"
    Image.fromarray(np.ones((28, 28), np.float32), mode="F").save(path)
    with pytest.raises(DataError, match="f.tiff: a floating-point image"):
        load_image(path, GREY)


def test_unreadable_files_are_errors_naming_the_file(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(DataError, match="notes.png: not a readable image"):
        load_image(text, GREY)
    good = _save(tmp_path, "ok.png", np.zeros((28, 28), np.uint8))
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:40])
    with pytest.raises(DataError, match="cut.png"):
        load_image(truncated, GREY)


def test_a_directory_yields_every_file_and_unreadable_ones_with_a_reason(tmp_path):
    _save(tmp_path, "a.png", np.zeros((28, 28), np.uint8))
    (tmp_path / "sub").mkdir()
    _save(tmp_path / "sub", "b.jpg", np.zeros((30, 30, 3), np.uint8))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    results = list(iter_images([tmp_path], GREY))
    assert [p.name for p, _, _ in results] == ["a.png", "broken.png", "b.jpg"]
    assert [raw is None for _, raw, _ in results] == [False, True, False]
    assert "not a readable image" in results[1][2]


def test_a_missing_path_and_a_non_image_bundle_are_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        expand_paths([tmp_path / "missing.png"])
    with pytest.raises(DataError, match="input.kind='features'"):
        list(iter_images([tmp_path], {"kind": "features", "shape": [10], "dtype": "float32"}))


def test_a_tiff_that_makes_pillow_raise_a_type_error_is_an_unreadable_image(tmp_path):
    # found by the image fuzz target (tests/fuzz/crashers/image/crash-eac8...): a strip offset Pillow's TIFF
    # plugin cannot seek to raises TypeError, not OSError
    path = tmp_path / "odd.tif"
    path.write_bytes(base64.b64decode(
        "SUkqAAgAAAAJAAABBAABAAAACAAAAAEBAwABAAAAEAAAAAMBAwABAAAAAQAAAAYBAwABAAAAAQAAABEBBwABAAAAegAAABYBQAAB"
        "AAAAAAAIAAAAIQEEAAEAAAAMCRAAFADX19fX19fXcAB0AHgAfACAAIQAiACMAJAAlMAAxADIAMwA0ADUANgA3ADgAOQA6ADsAPAA"
        "9AD4APw="))
    with pytest.raises(DataError, match=r"odd\.tif: not a readable image \(TypeError"):
        load_image(path, GREY)
