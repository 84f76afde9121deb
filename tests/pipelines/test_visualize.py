"""Looking inside: kernel grids, feature maps and HOG glyphs, checked against scikit-image and OpenCV."""

import functools

import numpy as np
import pytest
from PIL import Image

from edge_runtime.errors import DataError
from tests.pipelines.digits_models import DIGITS_INPUT, cnn, digits_uint8, mlp, save_digits_run, train


def png_size(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


@pytest.fixture(scope="module")
def trained_cnn():
    x, y = digits_uint8()
    return train(cnn(), x[:600], y[:600], epochs=3)


@functools.lru_cache(maxsize=1)
def mnist_digit():
    """One real 28x28 MNIST digit (a five: the file is sorted by class), uint8 (1, 28, 28, 1)."""
    from pipelines.datasets.mnist5k import data_file, read_mnist5k

    x, _ = read_mnist5k(data_file())
    return x[2500:2501]


def test_kernel_tiles_scale_each_kernel_to_its_own_range():
    from pipelines.visualize import kernel_tiles

    kernel = np.stack([np.arange(9.0).reshape(3, 3, 1), -np.ones((3, 3, 1))], axis=-1)  # (3, 3, 1, 2)
    tiles = kernel_tiles(kernel)
    assert tiles.shape == (2, 3, 3)
    np.testing.assert_allclose(tiles[0], np.arange(9.0).reshape(3, 3) / 8)
    np.testing.assert_array_equal(tiles[1], np.zeros((3, 3)))  # a constant kernel is flat, not NaN
    assert kernel_tiles(np.ones((3, 3, 3, 4))).shape == (4, 3, 3, 3)  # RGB input shows in colour


def test_kernel_grid_has_one_tile_per_first_layer_kernel(trained_cnn, tmp_path):
    from pipelines.visualize import DPI, TILE_IN, TITLE_IN, plot_kernels

    path = plot_kernels(trained_cnn, tmp_path / "kernels.png")
    # conv1 has 6 kernels: one row of 6 tiles under the title band
    assert png_size(path) == (round(6 * TILE_IN * DPI), round((TILE_IN + TITLE_IN) * DPI))


def test_feature_maps_are_the_conv_block_activations_of_the_sample(trained_cnn, tmp_path):
    from models.backend import keras
    from pipelines.visualize import DPI, ROW_LABEL_IN, TILE_IN, TITLE_IN, feature_maps, plot_feature_maps

    x = digits_uint8()[0][:1] / 255.0
    maps = feature_maps(trained_cnn, x, layers=2)
    assert [name for name, _ in maps] == ["conv1", "conv2"]
    assert maps[0][1].shape == (8, 8, 6) and maps[1][1].shape == (6, 6, 8)
    conv1 = trained_cnn.get_layer("conv1")
    w, b = conv1.get_weights()
    reference = keras.backend.relu(keras.backend.conv2d(x.astype(np.float32), w, padding="same") + b).numpy()[0]
    np.testing.assert_allclose(maps[0][1], reference, atol=1e-5)
    path = plot_feature_maps(trained_cnn, x, tmp_path / "maps.png", layers=2)
    # 8 columns (conv2's channels), 3 rows: input, conv1, conv2
    assert png_size(path) == (round(8 * TILE_IN * DPI), round((3 * (TILE_IN + ROW_LABEL_IN) + TITLE_IN) * DPI))


def test_dense_templates_are_the_first_layer_columns_as_images(tmp_path):
    from pipelines.visualize import DPI, TILE_IN, TITLE_IN, first_dense_templates, plot_dense_templates

    x, y = digits_uint8()
    model = train(mlp(), x[:300], y[:300], epochs=1)
    name, templates = first_dense_templates(model, (8, 8, 1))
    kernel = model.get_layer(name).get_weights()[0]  # (64, 32)
    assert templates.shape == (32, 8, 8)
    np.testing.assert_array_equal(templates[5], kernel[:, 5].reshape(8, 8))
    path = plot_dense_templates(model, (8, 8, 1), tmp_path / "templates.png")
    assert png_size(path) == (round(8 * TILE_IN * DPI), round((4 * TILE_IN + TITLE_IN) * DPI))
    with pytest.raises(DataError, match="first Dense layer takes the \\(4, 4, 1\\) image"):
        first_dense_templates(model, (4, 4, 1))


def test_figures_of_a_model_without_convolutions_are_refused():
    from pipelines.visualize import feature_maps, plot_kernels

    model = mlp()
    with pytest.raises(DataError, match="convolution"):
        plot_kernels(model, "unused.png")
    with pytest.raises(DataError, match="convolution"):
        feature_maps(model, np.zeros((1, 8, 8, 1)))


def test_glyph_lines_are_drawn_like_skimage_draw_line():
    from skimage.draw import line

    from pipelines.visualize import _line

    rng = np.random.default_rng(0)
    for r0, c0, r1, c1 in rng.integers(-15, 15, size=(300, 4)):
        expected = line(r0, c0, r1, c1)
        got = _line(int(r0), int(c0), int(r1), int(c1))
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


def skimage_cell_histograms(image, cell, orientations):
    """skimage's per-cell histogram (before block normalization): mean magnitude per hard bin."""
    g = image.astype(np.float64)
    gy, gx = np.zeros_like(g), np.zeros_like(g)
    gy[1:-1] = g[2:] - g[:-2]
    gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
    magnitude, angle = np.hypot(gx, gy), np.rad2deg(np.arctan2(gy, gx)) % 180
    ncy, ncx = g.shape[0] // cell, g.shape[1] // cell
    hist = np.zeros((ncy, ncx, orientations))
    width = 180 / orientations
    for o in range(orientations):
        inside = (angle >= width * o) & (angle < width * (o + 1))
        hist[..., o] = (magnitude * inside)[: ncy * cell, : ncx * cell].reshape(ncy, cell, ncx, cell).mean(axis=(1, 3))
    return hist


def test_glyph_image_at_scale_one_reproduces_skimage_hog_visualize():
    from skimage.feature import hog

    from pipelines.visualize import hog_glyph_image

    image = mnist_digit()[0, ..., 0]
    _, expected = hog(image.astype(np.float64), orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2),
                      visualize=True)
    got = hog_glyph_image(skimage_cell_histograms(image, 7, 9), 7, image.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # skimage sums in float32
    assert hog_glyph_image(np.ones((4, 4, 9)), 7, (28, 28), scale=4).shape == (112, 112)


def mean_over_blocks(blocks):
    """(nby, nbx, 2, 2, bins) -> per-cell mean over the blocks that hold the cell, by plain loops."""
    nby, nbx, block, _, bins = blocks.shape
    total, count = np.zeros((nby + 1, nbx + 1, bins)), np.zeros((nby + 1, nbx + 1, 1))
    for by in range(nby):
        for bx in range(nbx):
            for r in range(block):
                for c in range(block):
                    total[by + r, bx + c] += blocks[by, bx, r, c]
                    count[by + r, bx + c] += 1
    return total / count


def test_cell_histograms_average_skimage_blocks():
    from skimage.feature import hog

    from pipelines.visualize import hog_cells

    image = mnist_digit()
    blocks = hog(image[0, ..., 0].astype(np.float64), orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2),
                 block_norm="L2-Hys", feature_vector=False)
    np.testing.assert_allclose(hog_cells(image, variant="skimage")[0], mean_over_blocks(blocks), atol=1e-6)


def test_cell_histograms_average_opencv_blocks():
    import cv2

    from pipelines.visualize import hog_cells

    image = mnist_digit()
    descriptor = cv2.HOGDescriptor((28, 28), (14, 14), (7, 7), (7, 7), 9)
    flat = descriptor.compute(image[0, ..., 0]).reshape(-1)
    # OpenCV's order: blocks column-major (bx, by), cells column-major within a block (cx, cy), then bins
    blocks = flat.reshape(3, 3, 2, 2, 9).transpose(1, 0, 3, 2, 4)
    np.testing.assert_allclose(hog_cells(image)[0], mean_over_blocks(blocks), atol=1e-4)


def test_cell_histograms_refuse_features_of_another_shape():
    from pipelines.visualize import cell_histograms

    with pytest.raises(DataError, match="Received: shape=\\(1, 35\\)"):
        cell_histograms(np.zeros((1, 35)), (28, 28))


def test_visualize_run_writes_the_figures_the_run_supports(tmp_path, trained_cnn):
    from models.backend import keras
    from models.rundir import load_run
    from pipelines.visualize import DPI, HOG_TILE_IN, TITLE_IN, visualize_run

    x, y = digits_uint8()
    cnn_run = load_run(save_digits_run(tmp_path / "cnn", trained_cnn, x, y))
    written = visualize_run(cnn_run)
    assert set(written) == {"kernels", "feature_maps"}
    assert all(p.parent == cnn_run.path and p.is_file() for p in written.values())

    digits32 = np.repeat(np.repeat(x, 4, axis=1), 4, axis=2)[:400]  # 32x32 upsampled digits
    hog_spec = ({"op": "hog", "variant": "skimage", "cell": 8, "block": 2, "orientations": 9},)
    model = keras.Sequential([keras.layers.Input((324,)), keras.layers.Dense(10, activation="softmax")])
    hybrid = load_run(save_digits_run(tmp_path / "hybrid", model, digits32, y[:400], pipeline_spec=hog_spec,
                                      input_spec={**DIGITS_INPUT, "shape": [32, 32, 1]}))
    written = visualize_run(hybrid, tmp_path / "figures", sample=3)
    assert set(written) == {"hog_glyphs"}  # an MLP on HOG features: no pixel templates
    assert png_size(written["hog_glyphs"]) == (round(2 * HOG_TILE_IN * DPI), round((HOG_TILE_IN + TITLE_IN) * DPI))
    with pytest.raises(DataError, match="sample=999"):
        visualize_run(hybrid, sample=999)
    mlp_run = load_run(save_digits_run(tmp_path / "mlp", mlp(), x, y))
    assert set(visualize_run(mlp_run)) == {"dense_templates"}
