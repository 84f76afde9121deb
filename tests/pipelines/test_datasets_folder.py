"""folder:DIR - one subfolder per class, mixed sizes and modes, unreadable files fail or skip loudly."""

import logging

import numpy as np
import pytest
from PIL import Image

from edge_runtime.errors import ConfigError, DataError
from pipelines.datasets import load
from pipelines.datasets.folder import choose_input_spec, decode_image, index_folder, scan_folder


def _save(path, size=(12, 10), mode="RGB", value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    color = value if mode in ("L", "1") else (value, 255 - value, value // 2)
    Image.new(mode, size, color).save(path)
    return path


def make_tree(root, per_class=10, classes=("cat", "dog"), **image):
    for c, name in enumerate(classes):
        for i in range(per_class):
            _save(root / name / f"{i:03d}.png", value=20 * c + i, **image)
    return root


def test_labels_come_from_sorted_folder_names(tmp_path):
    make_tree(tmp_path, classes=("zebra", "ant", "moth"), per_class=3)
    paths, labels, names = index_folder(tmp_path)
    assert names == ["ant", "moth", "zebra"]
    assert [p.split("/")[-2] for p in paths] == [names[i] for i in labels]
    assert labels.dtype == np.int64


def test_load_decodes_every_image_with_stratified_splits(tmp_path):
    make_tree(tmp_path, per_class=10)
    ds = load(f"folder:{tmp_path}", val_fraction=0.2, test_fraction=0.2)
    assert ds.input_spec == {"kind": "image", "shape": [10, 12, 3], "dtype": "uint8", "color": "RGB",
                             "resize": "bilinear"}
    assert ds.x_train.shape == (12, 10, 12, 3)
    assert np.bincount(ds.y_val).tolist() == [2, 2] and np.bincount(ds.y_test).tolist() == [2, 2]
    # pixel values survive: the red channel encodes 20 * class + index
    reds = sorted(int(x[0, 0, 0]) for x in np.concatenate([ds.x_train, ds.x_val, ds.x_test]))
    assert reds == sorted(list(range(10)) + list(range(20, 30)))


def test_mixed_sizes_resize_to_the_most_common_size_with_pillow_bilinear(tmp_path):
    make_tree(tmp_path, per_class=3, size=(8, 6))
    odd = _save(tmp_path / "dog" / "big.png", size=(16, 12), value=77)
    Image.effect_noise((16, 12), 40).convert("RGB").save(odd)
    index = scan_folder(tmp_path)
    assert index.input_spec["shape"] == [6, 8, 3]
    expected = np.asarray(Image.open(odd).convert("RGB").resize((8, 6), Image.Resampling.BILINEAR))
    assert np.array_equal(decode_image(odd, index.input_spec), expected)


def test_all_grayscale_gives_L_and_any_color_gives_RGB(tmp_path):
    make_tree(tmp_path / "gray", per_class=2, mode="L")
    assert scan_folder(tmp_path / "gray").input_spec["color"] == "L"
    assert load(f"folder:{tmp_path / 'gray'}", val_fraction=0.0, test_fraction=0.0).x_train.shape[-1] == 1
    _save(tmp_path / "gray" / "dog" / "color.png", mode="RGB", value=90)
    assert scan_folder(tmp_path / "gray").input_spec["color"] == "RGB"


def test_choose_input_spec_breaks_ties_deterministically():
    spec = choose_input_spec([(4, 4), (8, 2), (4, 4), (8, 2)], ["L", "P"])
    assert spec["shape"] == [4, 4, 3]  # equal counts and areas: the taller wins; a palette image means RGB
    assert choose_input_spec([(8, 2), (4, 4)], ["L", "L"]) == choose_input_spec([(4, 4), (8, 2)], ["L", "L"])


def test_unreadable_image_fails_naming_its_path(tmp_path):
    make_tree(tmp_path, per_class=3)
    (tmp_path / "cat" / "notes.png").write_text("not an image")
    with pytest.raises(DataError, match=r"cat/notes\.png"):
        load(f"folder:{tmp_path}")


def test_skip_leaves_unreadable_images_out_and_reports_them(tmp_path, caplog):
    make_tree(tmp_path, per_class=5)
    (tmp_path / "cat" / "notes.png").write_text("not an image")
    good = _save(tmp_path / "dog" / "truncated.png", size=(12, 10), value=3)
    Image.effect_noise((12, 10), 40).convert("RGB").save(good)
    good.write_bytes(good.read_bytes()[:60])  # header intact, pixel data cut: fails only on decode
    with caplog.at_level(logging.WARNING, logger="edgenn.datasets"):
        ds = load(f"folder:{tmp_path}", on_error="skip", val_fraction=0.0, test_fraction=0.0)
    assert len(ds.y_train) == 10
    assert sorted(p.split("/")[-1] for p, _ in ds.skipped) == ["notes.png", "truncated.png"]
    assert "skipped 2 unreadable" in ds.summary()
    assert sum("skipped unreadable image" in r.message for r in caplog.records) == 2


def test_truncated_image_fails_on_decode_by_default(tmp_path):
    make_tree(tmp_path, per_class=3)
    bad = tmp_path / "dog" / "truncated.png"
    Image.effect_noise((12, 10), 40).convert("RGB").save(bad)
    bad.write_bytes(bad.read_bytes()[:60])
    with pytest.raises(DataError, match=r"dog/truncated\.png"):
        load(f"folder:{tmp_path}")


def test_missing_empty_and_single_class_folders_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load(f"folder:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="no subfolders"):
        load(f"folder:{tmp_path}")
    make_tree(tmp_path / "one", classes=("only",), per_class=2)
    with pytest.raises(DataError, match=r"1 class \(only\)"):
        load(f"folder:{tmp_path / 'one'}")
    make_tree(tmp_path / "hollow", per_class=2)
    (tmp_path / "hollow" / "empty").mkdir()
    with pytest.raises(DataError, match=r"none in \['empty'\]"):
        load(f"folder:{tmp_path / 'hollow'}")


def test_hidden_files_and_folders_are_ignored(tmp_path):
    make_tree(tmp_path, per_class=2)
    (tmp_path / ".cache").mkdir()
    (tmp_path / "cat" / ".DS_Store").write_text("junk")
    paths, _, names = index_folder(tmp_path)
    assert names == ["cat", "dog"] and len(paths) == 4


def test_one_colour_image_is_named_and_the_mode_and_size_can_be_set_explicitly(tmp_path, caplog):
    make_tree(tmp_path / "gray", per_class=2, mode="L")
    _save(tmp_path / "gray" / "dog" / "color.png", mode="RGB", value=90)
    with caplog.at_level("WARNING", logger="edgenn.datasets"):
        ds = load(f"folder:{tmp_path / 'gray'}", val_fraction=0.0, test_fraction=0.0)
    # detected RGB: every grey image is converted, and the one colour file that caused it is named
    assert ds.input_spec["color"] == "RGB" and len(ds.converted) == 4
    assert "odd files: color.png (RGB 12x10)" in ds.input_note and "color.png (RGB 12x10)" in caplog.text
    assert "converted 4" in ds.summary()
    explicit = load(f"folder:{tmp_path / 'gray'}?color=L&size=6x5", val_fraction=0.0, test_fraction=0.0)
    assert explicit.x_train.shape[1:] == (5, 6, 1) and len(explicit.converted) == 5  # width 6, height 5
    assert "as configured" in explicit.input_note
    with pytest.raises(DataError, match=r"strict=1.*1 to convert, first .*color.png \(RGB 12x10 -> L 12x10\)"):
        load(f"folder:{tmp_path / 'gray'}?color=L&strict=1")
    with pytest.raises(ConfigError, match="color=L|RGB"):
        load(f"folder:{tmp_path / 'gray'}?color=CMYK")
