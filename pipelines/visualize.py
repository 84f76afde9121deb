"""Looking inside the networks: first-layer kernels, feature maps of a sample, HOG glyphs.

Each figure is one function that writes a PNG and returns its path; ``visualize_run`` writes
the ones a run supports into its directory (the demo report embeds them). Figure sizes are
fixed per tile (``TILE_IN`` inches at ``DPI``), so a grid of ``cols`` x ``rows`` tiles is
``figure_size(cols, rows)`` pixels.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from edge_runtime.errors import DataError
from pipelines import plots

DPI = 100
TILE_IN = 0.8  # one kernel or feature map
TITLE_IN = 0.5  # the figure title band
ROW_LABEL_IN = 0.25  # a row's caption in the feature-map figure
HOG_TILE_IN = 2.0  # each of the two HOG panels
MAX_COLS = 8
KERNELS_FILE = "kernels.png"
FEATURE_MAPS_FILE = "feature_maps.png"
TEMPLATES_FILE = "dense_templates.png"
HOG_FILE = "hog_glyphs.png"


def figure_size(cols: int, rows: int, *, row_label: bool = False, tile_in: float = TILE_IN) -> tuple[int, int]:
    """Pixel size (width, height) of a figure of ``cols`` x ``rows`` tiles."""
    height = rows * (tile_in + (ROW_LABEL_IN if row_label else 0.0)) + TITLE_IN
    return round(cols * tile_in * DPI), round(height * DPI)


def _save(fig, path) -> Path:
    """Save at the figure's exact size (no tight bbox), atomically."""
    return plots.save(fig, path, dpi=DPI)


def _grid(cols: int, rows: int, title: str, *, row_label: bool = False, tile_in: float = TILE_IN):
    plt = plots.pyplot()
    width, height = figure_size(cols, rows, row_label=row_label, tile_in=tile_in)
    fig, axes = plt.subplots(rows, cols, figsize=(width / DPI, height / DPI), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    top = 1.0 - TITLE_IN * DPI / height
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=top, wspace=0.1,
                        hspace=0.45 if row_label else 0.1)
    fig.suptitle(title, fontsize=9, y=1.0 - 0.15 * TITLE_IN * DPI / height, va="top")
    return fig, axes


# --- convolution layers ----------------------------------------------------------------------
def conv_layers(model) -> list:
    """The model's 2-D convolution layers (plain, separable, depthwise), in order."""
    from models.backend import keras

    kinds = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
    return [layer for layer in model.layers if isinstance(layer, kinds)]


def _first_kernel(model):
    layers = conv_layers(model)
    if not layers:
        raise DataError(f"Expected a model with a convolution layer. Received: model {model.name!r} has none")
    layer = layers[0]
    kernel = getattr(layer, "depthwise_kernel", None)
    kernel = layer.kernel if kernel is None else kernel
    return layer, np.asarray(kernel.numpy())


def kernel_tiles(kernel: np.ndarray) -> np.ndarray:
    """(kh, kw, cin, cout) -> (cout, kh, kw) or (cout, kh, kw, 3) tiles scaled to [0, 1] per tile.

    One input channel shows as grey, three as RGB, any other count as the mean over inputs.
    """
    kh, kw, cin, cout = kernel.shape
    tiles = np.moveaxis(kernel, -1, 0)  # (cout, kh, kw, cin)
    tiles = tiles if cin == 3 else tiles.mean(axis=-1)
    flat = tiles.reshape(cout, -1)
    low, high = flat.min(axis=1), flat.max(axis=1)
    span = np.where(high > low, high - low, 1.0)
    shape = (cout,) + (1,) * (tiles.ndim - 1)
    return (tiles - low.reshape(shape)) / span.reshape(shape)


def plot_kernels(model, path, *, max_kernels: int = 64) -> Path:
    """The first convolution layer's kernels as a grid of small images (min..max of each to black..white)."""
    layer, kernel = _first_kernel(model)
    tiles = kernel_tiles(kernel)[:max_kernels]
    cols = min(MAX_COLS, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    kh, kw = kernel.shape[:2]
    fig, axes = _grid(cols, rows, f"{layer.name}: {len(tiles)} kernels {kh}x{kw}")
    for ax, tile in zip(axes.flat, tiles, strict=False):
        ax.imshow(tile, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
    return _save(fig, path)


def first_dense_templates(model, image_shape) -> tuple[str, np.ndarray]:
    """(layer name, (units, H, W[, C]) weights) of the first Dense layer fed the flattened image:
    what each hidden unit of a raw-pixel MLP looks for, the MLP's counterpart of conv kernels."""
    from models.backend import keras

    size = int(np.prod(image_shape))
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel = np.asarray(layer.kernel.numpy())
            if kernel.shape[0] != size:
                break
            shape = tuple(image_shape[:2]) if image_shape[-1] == 1 else tuple(image_shape)
            return layer.name, kernel.T.reshape(-1, *shape)
    raise DataError(f"Expected a model whose first Dense layer takes the {tuple(image_shape)} image "
                    f"({size} inputs). Received: model {model.name!r}")


def plot_dense_templates(model, image_shape, path, *, max_units: int = 32) -> Path:
    """The first Dense layer's weights per hidden unit as images (blue negative, red positive)."""
    name, templates = first_dense_templates(model, image_shape)
    templates = templates[:max_units]
    cols = min(MAX_COLS, len(templates))
    rows = math.ceil(len(templates) / cols)
    fig, axes = _grid(cols, rows, f"{name}: input weights of {len(templates)} hidden units")
    for ax, template in zip(axes.flat, templates, strict=False):
        limit = float(np.abs(template).max()) or 1.0
        ax.imshow(template if template.ndim == 2 else template.mean(axis=-1), cmap="bwr", vmin=-limit, vmax=limit)
    return _save(fig, path)


def feature_maps(model, x: np.ndarray, *, layers: int = 2) -> list[tuple[str, np.ndarray]]:
    """(layer name, (H, W, C) activations) of one input sample after each of the first ``layers`` conv blocks.

    A block is the conv layer and the element-wise layers right after it (batch norm,
    activation), so the maps are what the next block sees, before pooling.
    """
    from models.backend import keras

    x = np.asarray(x, dtype=np.float32)
    if x.shape[0] != 1:
        raise DataError(f"Expected one sample, batch-first (1, H, W, C). Received: shape={x.shape}")
    elementwise = (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU,
                   keras.layers.LeakyReLU, keras.layers.PReLU, keras.layers.ELU)
    outputs, names = [], []
    for conv in conv_layers(model)[:layers]:
        index = model.layers.index(conv)
        end = conv
        for later in model.layers[index + 1:]:
            if not isinstance(later, elementwise):
                break
            end = later
        outputs.append(end.output)
        names.append(conv.name)
    if not outputs:
        raise DataError(f"Expected a model with a convolution layer. Received: model {model.name!r} has none")
    probe = keras.Model(model.inputs, outputs)
    values = probe(x, training=False)
    values = values if isinstance(values, (list, tuple)) else [values]
    return [(name, np.asarray(v)[0]) for name, v in zip(names, values, strict=True)]


def plot_feature_maps(model, x: np.ndarray, path, *, layers: int = 2, max_maps: int = MAX_COLS,
                      title: str = "feature maps") -> Path:
    """The input sample, then one row of feature maps per conv block (up to ``max_maps`` channels each)."""
    maps = feature_maps(model, x, layers=layers)
    cols = min(max_maps, max(m.shape[-1] for _, m in maps))
    fig, axes = _grid(cols, 1 + len(maps), title, row_label=True)
    image = np.asarray(x)[0]
    axes[0, 0].imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray")
    axes[0, 0].set_title("input", fontsize=7)
    for row, (name, values) in enumerate(maps, start=1):
        for channel in range(min(cols, values.shape[-1])):
            ax = axes[row, channel]
            ax.imshow(values[..., channel], cmap="viridis", interpolation="nearest")
            ax.set_title(f"{name}[{channel}]" if channel == 0 else str(channel), fontsize=7)
    return _save(fig, path)


# --- HOG glyphs ------------------------------------------------------------------------------
def _line(r0: int, c0: int, r1: int, c1: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of the segment (r0, c0)-(r1, c1) by Bresenham's algorithm, as ``skimage.draw.line`` draws it."""
    steep = abs(r1 - r0) > abs(c1 - c0)
    r, c = (c0, r0) if steep else (r0, c0)
    dr, dc = (abs(c1 - c0), abs(r1 - r0)) if steep else (abs(r1 - r0), abs(c1 - c0))
    sr, sc = (1 if r1 - r0 > 0 else -1), (1 if c1 - c0 > 0 else -1)
    if steep:
        sr, sc = sc, sr
    d = 2 * dr - dc
    rr, cc = np.zeros(dc + 1, dtype=np.intp), np.zeros(dc + 1, dtype=np.intp)
    for i in range(dc):
        rr[i], cc[i] = (c, r) if steep else (r, c)
        while d >= 0:
            r += sr
            d -= 2 * dc
        c += sc
        d += 2 * dr
    rr[dc], cc[dc] = r1, c1
    return rr, cc


def hog_glyph_image(histograms: np.ndarray, cell: int, shape: tuple[int, int] | None = None,
                    *, scale: int = 1) -> np.ndarray:
    """Raster of HOG glyphs: per cell and orientation bin, a line through the cell centre along the
    bin's mid-angle edge direction, as bright as the bin (``skimage.feature.hog(visualize=True)``).

    ``histograms`` is (cells_y, cells_x, orientations). ``scale`` draws ``scale`` pixels per image
    pixel (longer, legible lines); ``scale=1`` and ``shape`` = the image size reproduce skimage.
    """
    histograms = np.asarray(histograms, dtype=np.float64)
    if histograms.ndim != 3:
        raise DataError(f"Expected per-cell histograms (cells_y, cells_x, orientations). Received: shape={histograms.shape}")
    ncy, ncx, bins = histograms.shape
    size = cell * scale
    rows, cols = shape if shape is not None else (ncy * cell, ncx * cell)
    image = np.zeros((rows * scale, cols * scale))
    radius = size // 2 - 1
    mids = np.pi * (np.arange(bins) + 0.5) / bins
    dr, dc = radius * np.sin(mids), radius * np.cos(mids)
    for r in range(ncy):
        for c in range(ncx):
            centre_r, centre_c = r * size + size // 2, c * size + size // 2
            for o in range(bins):
                rr, cc = _line(int(centre_r - dc[o]), int(centre_c + dr[o]), int(centre_r + dc[o]), int(centre_c - dr[o]))
                image[rr, cc] += histograms[r, c, o]
    return image


def cell_histograms(features: np.ndarray, image_hw: tuple[int, int], *, variant: str = "interpolated",
                    cell: int = 7, block: int = 2, orientations: int = 9) -> np.ndarray:
    """Per-cell orientation histograms (N, cells_y, cells_x, orientations) from edgenn ``hog`` features.

    ``edge_runtime.preprocess.hog`` returns block-normalized features only, so each cell's
    histogram is the mean of its normalized copies over the blocks that hold it: what the
    network sees of that cell. Block layout: ``skimage`` is (by, bx, cy, cx, bin), row-major;
    ``interpolated`` is OpenCV's (bx, by, cx, cy, bin). Cells right of / below the last whole
    block are not covered and are left out.
    """
    features = np.asarray(features, dtype=np.float64)
    side = cell * block
    nby, nbx = (image_hw[0] - side) // cell + 1, (image_hw[1] - side) // cell + 1
    expected = nby * nbx * block * block * orientations
    if features.ndim != 2 or features.shape[1] != expected:
        raise DataError(f"Expected hog features (N, {expected}) for {image_hw[0]}x{image_hw[1]} images, "
                        f"cell {cell}, block {block}, {orientations} orientations. Received: shape={features.shape}")
    n = len(features)
    if variant == "interpolated":
        blocks = features.reshape(n, nbx, nby, block, block, orientations).transpose(0, 2, 1, 4, 3, 5)
    else:
        blocks = features.reshape(n, nby, nbx, block, block, orientations)
    total = np.zeros((n, nby + block - 1, nbx + block - 1, orientations))
    count = np.zeros((nby + block - 1, nbx + block - 1, 1))
    for r in range(block):
        for c in range(block):
            total[:, r:r + nby, c:c + nbx] += blocks[:, :, :, r, c]
            count[r:r + nby, c:c + nbx] += 1
    return total / count


def hog_cells(images: np.ndarray, **hog_params) -> np.ndarray:
    """Per-cell histograms of an (N, H, W, C) batch, through edgenn's own ``hog`` op (see cell_histograms)."""
    from edge_runtime.preprocess import get_op

    op = get_op("hog")
    params = {**op.defaults, **hog_params}
    return cell_histograms(op.fn(images, **params), images.shape[1:3], **params)


def _thicken(image: np.ndarray) -> np.ndarray:
    """2x2 maximum filter: one-pixel glyph lines stay visible once the figure is scaled down."""
    out = image.copy()
    out[1:] = np.maximum(out[1:], image[:-1])
    out[:, 1:] = np.maximum(out[:, 1:], out[:, :-1])
    return out


def plot_hog_glyphs(image: np.ndarray, histograms: np.ndarray, cell: int, path, *, scale: int = 4,
                    title: str = "HOG glyphs", input_label: str = "input") -> Path:
    """The sample next to its HOG glyphs (one line per orientation bin per cell, brighter = stronger)."""
    image = np.asarray(image)
    image = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
    glyphs = _thicken(hog_glyph_image(histograms, cell, image.shape[:2], scale=scale))
    fig, axes = _grid(2, 1, title, tile_in=HOG_TILE_IN)
    axes[0, 0].imshow(image, cmap="gray")
    axes[0, 0].set_title(input_label, fontsize=7)
    axes[0, 1].imshow(glyphs, cmap="gray", interpolation="nearest")
    axes[0, 1].set_title(f"{histograms.shape[-1]} orientations, {cell}px cells", fontsize=7)
    return _save(fig, path)


# --- a whole run -----------------------------------------------------------------------------
def _hog_input(pipeline, x: np.ndarray):
    """(image fed to the pipeline's first hog step, its parameters, the ops before it), or None."""
    before = []
    for step in pipeline.steps:
        if step.op.name == "hog":
            return x, dict(step.params), before
        x = step.op.fn(x, **step.params)
        before.append(step.op.name)
    return None


def non_pixel_ops(pipeline) -> list[str]:
    """Steps that change what the network's inputs are (features instead of pixels): the ops that
    are not ``pixelwise`` (a property of the registered op)."""
    return [s.op.name for s in pipeline.steps if not s.op.pixelwise]


def visualize_run(run, out_dir=None, *, sample: int = 0, model=None) -> dict[str, Path]:
    """Write the figures ``run`` supports for test sample ``sample``: kernels and feature maps for a
    CNN, first-layer weight templates for a raw-pixel MLP, HOG glyphs when the pipeline has a hog
    step. Returns {figure name: PNG path}."""
    out = Path(out_dir) if out_dir is not None else Path(run.path)
    test_x = run.samples["test_x"]
    if not 0 <= sample < len(test_x):
        raise DataError(f"Expected a sample index in [0, {len(test_x)}). Received: sample={sample}")
    raw = test_x[sample:sample + 1]
    label = run.labels[int(run.samples["test_y"][sample])] if run.task == "classification" else None
    caption = f"test sample {sample}" + (f" (label {label})" if label is not None else "")
    written: dict[str, Path] = {}
    model = model if model is not None else run.load_model()
    if conv_layers(model):
        written["kernels"] = plot_kernels(model, out / KERNELS_FILE)
        written["feature_maps"] = plot_feature_maps(model, run.pipeline.transform(raw), out / FEATURE_MAPS_FILE,
                                                    title=f"feature maps of {caption}")
    elif run.input.get("kind") == "image" and not non_pixel_ops(run.pipeline):
        written["dense_templates"] = plot_dense_templates(model, tuple(run.input["shape"]), out / TEMPLATES_FILE)
    found = _hog_input(run.pipeline, raw)
    if found is not None:
        image, params, before = found
        written["hog_glyphs"] = plot_hog_glyphs(image[0], hog_cells(image, **params)[0], params["cell"],
                                                out / HOG_FILE, title=f"HOG glyphs of {caption}",
                                                input_label=f"after {', '.join(before)}" if before else "input")
    return written
