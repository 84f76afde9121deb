"""Open what the user points at: a bundle directory, a bundle .zip, or a bare .tflite / .onnx.

A bundle's manifest is schema-validated on read and every file is opened through
:class:`~edge_runtime.bundlefiles.BundleFiles` (listed, inside the bundle, regular, size and sha256
checked; a model's right before it is loaded). Every model is then proven loadable by a child
process (verdict cached per sha256, :mod:`edge_runtime.modelcheck`) before this process loads it:
a hash only says the file is what the manifest's author wrote, not that it is harmless. A zip is
extracted by :mod:`edge_runtime.safezip` into a private temporary directory. A bare model has no
manifest: it runs without preprocessing or labels, and ``Bundle.bare`` / ``Bundle.notes`` say so.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from edge_runtime import safezip
from edge_runtime.backends import BACKENDS, backend_for
from edge_runtime.bundlefiles import BundleFiles
from edge_runtime.errors import BundleError, ConfigError
from edge_runtime.manifest import MANIFEST_NAME, read_manifest, sha256_file
from edge_runtime.modelcheck import FORMATS, check_model_file, detect_format
from edge_runtime.session import Session


class Bundle:
    """A validated bundle (or a bare model): its manifest, preprocessing pipeline and models."""

    def __init__(self, path: Path, manifest: dict, *, source: Path, bare: bool, probe: bool = True, cleanup=None):
        self.path = path
        self.manifest = manifest
        self.source = source
        self.bare = bare
        self.probe = probe
        self._cleanup = cleanup
        self.files = BundleFiles(path, None if bare else manifest["files"])
        self._checked: set[str] = set()
        self.notes: list[str] = []
        self.pipeline = None
        if bare:
            self.notes.append(f"bare {manifest['models'][0]['format']} model: no preprocessing and no labels; "
                              "inputs are fed to the model as given")
        else:
            from edge_runtime.preprocess import Pipeline

            self.pipeline = Pipeline.from_spec(manifest["preprocessing"], base_dir=self.files)

    # the models -------------------------------------------------------------------------
    @property
    def models(self) -> list[dict]:
        return self.manifest["models"]

    @property
    def model_ids(self) -> list[str]:
        return [m["id"] for m in self.models]

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def labels(self) -> list[str]:
        return self.manifest.get("labels") or []

    @property
    def input_spec(self) -> dict | None:
        return self.manifest.get("input")

    @property
    def source_run(self) -> dict | None:
        """The manifest's ``source_run`` ({"name", "path", "relative"}); None when the bundle does not
        record one (bare models, bundles written before the field): the run is then unknown."""
        return self.manifest.get("source_run")

    def models_for(self, backend: str | None = None) -> list[dict]:
        """The manifest entries ``backend`` can run, in manifest order (every one for None)."""
        if backend is None:
            return list(self.models)
        if backend not in BACKENDS:
            backend_for("tflite", backend)  # raises the unknown-backend error listing the known ones
        return [m for m in self.models if m["format"] in BACKENDS[backend].formats]

    def model(self, name: str | None = None, backend: str | None = None) -> dict:
        """The manifest entry for a model id or variant name (default: the manifest's default model).

        A variant shared by several formats (``fp32``) resolves to the one the backend runs, else to
        the default model's format. Unknown names raise ConfigError listing the known ones.
        """
        fits = self.models_for(backend)
        default = next(m for m in self.models if m["id"] == self.manifest["default_model"])
        if name is None:
            if default in fits:
                return default
            if fits:
                return fits[0]
            raise ConfigError(f"backend {backend!r} runs {list(BACKENDS[backend].formats)} models; this bundle has "
                              f"{self.model_ids}")
        by_id = [m for m in self.models if m["id"] == name]
        matches = by_id or [m for m in fits if m["variant"] == name]
        if len(matches) > 1:
            matches = [m for m in matches if m["format"] == default["format"]] or matches[:1]
        if not matches:
            variants = sorted({m["variant"] for m in self.models})
            raise ConfigError(f"Expected a model id in {self.model_ids} or a variant in {variants}. "
                              f"Received: {name!r}" + (f" with backend {backend!r}" if backend else ""))
        return matches[0]

    def session(self, model_id: str | None = None, backend: str | None = None, threads: int = 1,
                **options) -> Session:
        """Verify, check and load one model. Default model: the manifest's ``default_model``;
        default backend: ``litert`` for .tflite, ``onnxruntime`` for .onnx."""
        model = self.model(model_id, backend)
        chosen = backend_for(model["format"], backend)
        path = self.path / model["file"] if self.bare else self.files.verify(model["file"])
        if model["format"] == "onnx":
            self._verify_external_data(model["file"])
        if (model["file"], chosen.name) not in self._checked:
            check_model_file(path, model["format"], chosen.name, probe=self.probe, digest=model["sha256"])
            self._checked.add((model["file"], chosen.name))
        engine = chosen.load(str(path), threads, **options)
        return Session(engine, model, self.host_pipeline(model), self.input_spec)

    def host_pipeline(self, model: dict):
        """What the host still runs for ``model``: the steps after its ``in_model_ops`` (None: nothing)."""
        return host_pipeline(self.pipeline, model)

    def _verify_external_data(self, rel: str) -> None:
        """Every external-data file an ONNX model names is checked like any other bundle file."""
        from edge_runtime.bundlefiles import MAX_MODEL_BYTES
        from edge_runtime.onnxdata import external_locations

        data = self.files.read(rel, MAX_MODEL_BYTES) if not self.bare else (self.path / rel).read_bytes()
        folder = rel.rpartition("/")[0]
        for location in external_locations(data, str(self.path / rel)):
            pure = PurePosixPath(location)
            if not location or pure.is_absolute() or ".." in pure.parts or "\\" in location:
                raise BundleError(f"{self.path / rel}: refusing its external data {location!r}: expected a "
                                  "relative path beside the model inside the bundle")
            self.files.verify(f"{folder}/{location}" if folder else location)

    # lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Remove the temporary directory a zip was extracted into (no-op otherwise)."""
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "bare model" if self.bare else "bundle"
        return f"Bundle({str(self.source)!r}, {kind}, models={self.model_ids})"


def host_pipeline(pipeline, model: dict):
    """The part of ``pipeline`` the host runs for ``model``: the steps after its ``in_model_ops`` (None: nothing).

    Export validation builds its Session with this too, so it runs what the device runs.
    """
    if pipeline is None:
        return None
    from edge_runtime.manifest import in_model_ops
    from edge_runtime.preprocess import Pipeline

    done = len(in_model_ops(model))
    if done == 0:
        return pipeline
    rest = pipeline.steps[done:]
    return Pipeline(rest) if rest else None


def open_bundle(path: str | Path, *, probe: bool | None = None) -> Bundle:
    """Open a bundle directory, a bundle .zip, or a bare .tflite/.onnx file.

    ``probe`` (default on) proves each model loadable and runnable in a child process before this
    process loads it; the verdict is cached per sha256, so each model pays the cost once per machine.
    """
    source = Path(path)
    probe = True if probe is None else probe
    if source.is_dir():
        return Bundle(source, read_manifest(source), source=source, bare=False, probe=probe)
    if not source.is_file():
        raise BundleError(f"Expected a bundle directory, a .zip, a .tflite or an .onnx file. "
                          f"Received: path={str(path)!r} (not found)")
    if source.suffix.lower() == ".zip":
        target = Path(tempfile.mkdtemp(prefix="edgenn-bundle-"))
        cleanup = _remover(target)
        try:
            root = extract_zip(source, target)
            return Bundle(root, read_manifest(root), source=source, bare=False, probe=probe, cleanup=cleanup)
        except BaseException:
            cleanup()
            raise
    fmt = detect_format(source)
    return Bundle(source.parent, bare_manifest(source, fmt), source=source, bare=True, probe=probe)


def bare_manifest(path: Path, fmt: str) -> dict:
    """A manifest-shaped description of a lone model file (not schema-valid: it has no preprocessing)."""
    size = path.stat().st_size
    model = {"id": f"{fmt}-model", "file": path.name, "format": fmt, "variant": "model",
             "precision": "unknown", "sha256": sha256_file(path), "size_bytes": size,
             "inputs": [], "outputs": [], "analysis": None, "accuracy": None}
    return {"name": path.stem, "task": None, "labels": [], "input": None, "preprocessing": None,
            "files": {path.name: {"sha256": model["sha256"], "size_bytes": size}},
            "models": [model], "default_model": model["id"]}


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target``; the directory holding manifest.json (root or one folder down)."""
    safezip.extract(archive, target)
    if (target / MANIFEST_NAME).is_file():
        return target
    candidates = [p.parent for p in target.glob(f"*/{MANIFEST_NAME}")]
    if len(candidates) != 1:
        raise BundleError(f"{archive}: Expected {MANIFEST_NAME} at the top of the zip or in one folder. "
                          f"Received: {len(candidates)} folders with one")
    return candidates[0]


def _remover(path: Path):
    def remove() -> None:
        shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return remove


__all__ = ["FORMATS", "Bundle", "extract_zip", "open_bundle"]
