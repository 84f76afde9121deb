"""Open what the user points at: a bundle directory, a bundle .zip, or a bare .tflite / .onnx.

A bundle's manifest is schema-validated on read and every file's size and sha256 is checked
before it is used (a model's right before it is loaded). A zip is extracted into a private
temporary directory, refusing the whole archive if any entry would land outside it (absolute
paths, ``..``, symlinks). A bare model has no manifest: it runs without preprocessing or labels,
and ``Bundle.bare`` / ``Bundle.notes`` say so.
"""

from __future__ import annotations

import atexit
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from edge_runtime.backends import BACKENDS, backend_for
from edge_runtime.errors import BundleError, ConfigError
from edge_runtime.manifest import MANIFEST_NAME, read_manifest, sha256_file, verify_files
from edge_runtime.modelcheck import FORMATS, check_model_file, detect_format
from edge_runtime.session import Session

#: refuse archives that would expand beyond this (a zip bomb is not a bundle)
MAX_UNZIPPED_BYTES = 4 << 30


class Bundle:
    """A validated bundle (or a bare model): its manifest, preprocessing pipeline and models."""

    def __init__(self, path: Path, manifest: dict, *, source: Path, bare: bool, probe: bool, cleanup=None):
        self.path = path
        self.manifest = manifest
        self.source = source
        self.bare = bare
        self.probe = probe
        self._cleanup = cleanup
        self._verified: set[str] = set()
        self.notes: list[str] = []
        self.pipeline = None
        if bare:
            self.notes.append(f"bare {manifest['models'][0]['format']} model: no preprocessing and no labels; "
                              "inputs are fed to the model as given")
        else:
            from edge_runtime.preprocess import Pipeline

            model_files = {m["file"] for m in manifest["models"]}
            verify_files(path, manifest, only=[f for f in manifest["files"] if f not in model_files])
            self.pipeline = Pipeline.from_spec(manifest["preprocessing"], base_dir=path)

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

    def model(self, name: str | None = None, backend: str | None = None) -> dict:
        """The manifest entry for a model id or variant name (default: the manifest's default model).

        A variant shared by several formats (``fp32``) resolves to the one the backend runs, else to
        the default model's format. Unknown names raise ConfigError listing the known ones.
        """
        formats = BACKENDS[backend].formats if backend in BACKENDS else None
        if backend is not None and formats is None:
            backend_for("tflite", backend)  # raises the unknown-backend error listing the known ones
        fits = [m for m in self.models if formats is None or m["format"] in formats]
        default = next(m for m in self.models if m["id"] == self.manifest["default_model"])
        if name is None:
            if default in fits:
                return default
            if fits:
                return fits[0]
            raise ConfigError(f"backend {backend!r} runs {list(formats)} models; this bundle has "
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
        path = self.path / model["file"]
        if model["file"] not in self._verified:
            if not self.bare:
                verify_files(self.path, self.manifest, only=[model["file"]])
            check_model_file(path, model["format"], chosen.name, probe=self.probe)
            self._verified.add(model["file"])
        engine = chosen.load(str(path), threads, **options)
        return Session(engine, model, self.host_pipeline(model), self.input_spec)

    def host_pipeline(self, model: dict):
        """What the host still runs for ``model``: the steps after its ``in_model_ops`` (None: nothing)."""
        if self.pipeline is None:
            return None
        from edge_runtime.manifest import in_model_ops
        from edge_runtime.preprocess import Pipeline

        done = len(in_model_ops(model))
        if done == 0:
            return self.pipeline
        rest = self.pipeline.steps[done:]
        return Pipeline(rest) if rest else None

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


def open_bundle(path: str | Path, *, probe: bool | None = None) -> Bundle:
    """Open a bundle directory, a bundle .zip, or a bare .tflite/.onnx file.

    ``probe`` loads each model once in a child process before this process does (default: only
    for bare files, whose content no manifest vouches for).
    """
    source = Path(path)
    if source.is_dir():
        return Bundle(source, read_manifest(source), source=source, bare=False, probe=bool(probe))
    if not source.is_file():
        raise BundleError(f"Expected a bundle directory, a .zip, a .tflite or an .onnx file. "
                          f"Received: path={str(path)!r} (not found)")
    if source.suffix.lower() == ".zip":
        target = Path(tempfile.mkdtemp(prefix="edgenn-bundle-"))
        cleanup = _remover(target)
        try:
            root = extract_zip(source, target)
            return Bundle(root, read_manifest(root), source=source, bare=False, probe=bool(probe),
                          cleanup=cleanup)
        except BaseException:
            cleanup()
            raise
    fmt = detect_format(source)
    return Bundle(source.parent, bare_manifest(source, fmt), source=source, bare=True,
                  probe=True if probe is None else probe)


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
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for info in members:
                _check_member(archive, info, target)
            total = sum(info.file_size for info in members)
            if total > MAX_UNZIPPED_BYTES:
                raise BundleError(f"{archive}: would expand to {total} bytes. Expected at most {MAX_UNZIPPED_BYTES}")
            zf.extractall(target)
    except zipfile.BadZipFile as exc:
        raise BundleError(f"{archive}: not a readable zip file ({exc})") from exc
    if (target / MANIFEST_NAME).is_file():
        return target
    candidates = [p.parent for p in target.glob(f"*/{MANIFEST_NAME}")]
    if len(candidates) != 1:
        raise BundleError(f"{archive}: Expected {MANIFEST_NAME} at the top of the zip or in one folder. "
                          f"Received: {len(candidates)} folders with one")
    return candidates[0]


def _check_member(archive: Path, info: zipfile.ZipInfo, target: Path) -> None:
    name = info.filename
    pure = PurePosixPath(name)
    mode = info.external_attr >> 16
    problem = None
    if "\\" in name or pure.is_absolute() or (pure.parts and ":" in pure.parts[0]):
        problem = "an absolute or non-POSIX path"
    elif ".." in pure.parts:
        problem = "a '..' component"
    elif stat.S_ISLNK(mode):
        problem = "a symbolic link"
    elif not (target / name).resolve().is_relative_to(target.resolve()):
        problem = "a path outside the target"
    if problem:
        raise BundleError(f"{archive}: refusing to extract entry {name!r} ({problem}); "
                          "a bundle zip holds only relative paths inside it")


def _remover(path: Path):
    def remove() -> None:
        shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return remove


__all__ = ["FORMATS", "Bundle", "extract_zip", "open_bundle"]
