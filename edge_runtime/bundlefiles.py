"""The one way the runtime opens a file of a bundle (or a run directory): checked before it is read.

A file is read only when it is listed (the manifest's ``files``, when there is a manifest), lies
inside the root after resolving symlinks, is a regular file (a FIFO would block, a device would
never end), is no larger than the reader's bound, and matches its listed size and sha256. The
file is opened once, non-blocking and without following a last-component symlink, and every
check after the open is made on that descriptor, so what is hashed is what is read.
Messages name the file relative to the root and never disclose anything about a target outside.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path, PurePosixPath

from edge_runtime.errors import BundleError

#: a model file (the largest thing a bundle holds)
MAX_MODEL_BYTES = 1 << 30
#: a fitted preprocessing array (a PCA basis of 784x784 float32 is 2.4 MB)
MAX_ARRAY_BYTES = 256 << 20
#: manifest.json, run.json and other JSON documents
MAX_JSON_BYTES = 16 << 20
_CHUNK = 1 << 20


class BundleFiles:
    """The files under ``root``; ``listing`` is the manifest's ``files`` (None: a run directory, no hashes)."""

    def __init__(self, root: str | Path, listing: dict[str, dict] | None = None):
        self.root = Path(root)
        self.listing = listing
        self._verified: set[str] = set()

    def verify(self, rel: str, max_bytes: int = MAX_MODEL_BYTES) -> Path:
        """Check ``rel`` (listing, containment, regular file, size, sha256); its path for an engine to open."""
        if rel not in self._verified:
            with self._open(rel, max_bytes) as handle:
                self._check_digest(rel, handle)
            self._verified.add(rel)
        return self.root / rel

    def read(self, rel: str, max_bytes: int) -> bytes:
        """The checked bytes of ``rel`` (hashed as read: what is verified is what is returned)."""
        with self._open(rel, max_bytes) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise BundleError(f"{self.root}: {rel} grew beyond {max_bytes} bytes while being read")
        entry = self._entry(rel)
        if entry is not None and hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BundleError(f"{self.root}: refusing to load {rel}: sha256 mismatch (the file was modified "
                              "or corrupted)")
        self._verified.add(rel)
        return data

    def read_npy(self, rel: str, max_bytes: int = MAX_ARRAY_BYTES):
        """A checked ``.npy`` array; its header's shape must match the file's size before numpy allocates."""
        return load_npy(self.read(rel, max_bytes), f"{self.root / rel}")

    # checks ------------------------------------------------------------------------------
    def _entry(self, rel: str) -> dict | None:
        if self.listing is None:
            return None
        entry = self.listing.get(rel)
        if entry is None:
            raise BundleError(f"{self.root}: refusing to open {rel!r}: it is not listed in the manifest's files "
                              "(every file a bundle uses is listed with its sha256)")
        return entry

    def _open(self, rel: str, max_bytes: int):
        entry = self._entry(rel)
        pure = PurePosixPath(rel)
        if not rel or pure.is_absolute() or ".." in pure.parts or "\\" in rel or "\x00" in rel:
            raise BundleError(f"{self.root}: refusing to open {rel!r}: expected a relative path inside the bundle")
        root = self.root.resolve()
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            raise BundleError(f"{self.root}: refusing to open {rel}: it is a symbolic link leading outside the "
                              "bundle")
        handle = open_regular(path, max_bytes, f"{self.root}: refusing to load: {rel}")
        size = os.fstat(handle.fileno()).st_size
        if entry is not None and size != entry["size_bytes"]:
            handle.close()
            raise BundleError(f"{self.root}: refusing to load: {rel}: size {size} bytes, manifest "
                              f"says {entry['size_bytes']}")
        return handle

    def _check_digest(self, rel: str, handle) -> None:
        entry = self._entry(rel)
        if entry is None:
            return
        digest = hashlib.sha256()
        while block := handle.read(_CHUNK):
            digest.update(block)
        if digest.hexdigest() != entry["sha256"]:
            raise BundleError(f"{self.root}: refusing to load: {rel}: sha256 mismatch (the file was modified "
                              "or corrupted)")


def open_regular(path: str | Path, max_bytes: int, label: str, error: type[Exception] = BundleError):
    """``path`` opened for reading if it is a regular file of at most ``max_bytes`` (checked on the open
    descriptor, which never blocks on a FIFO); otherwise ``error`` starting with ``label``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError as exc:
        raise error(f"{label}: missing") from exc
    except OSError as exc:
        raise error(f"{label}: cannot open ({exc.strerror})") from exc
    handle = os.fdopen(fd, "rb")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{label}: not a regular file (a directory, FIFO or device)")
        if info.st_size > max_bytes:
            raise error(f"{label}: {info.st_size} bytes. Expected at most {max_bytes}")
        os.set_blocking(fd, True)
    except BaseException:
        handle.close()
        raise
    return handle


def read_regular(path: str | Path, max_bytes: int, error: type[Exception] = BundleError) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (a FIFO or device is refused, never read)."""
    with open_regular(path, max_bytes, str(path), error) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{path}: grew beyond {max_bytes} bytes while being read")
    return data


def verify_files(bundle_dir: str | Path, manifest: dict, only: list[str] | None = None) -> None:
    """Check every listed file (or ``only`` these) as :class:`BundleFiles` does; raise on the first problem."""
    files = BundleFiles(bundle_dir, manifest["files"])
    for rel in manifest["files"]:
        if only is None or rel in only:
            files.verify(rel)


def load_npy(data: bytes, name: str):
    """Parse ``.npy`` bytes without pickle, refusing a header whose shape does not fit the bytes."""
    import numpy as np

    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"unsupported .npy version {version}")
        shape, _, dtype = read_header(stream)
        count = 1
        for dim in shape:
            count *= dim
        if dtype.hasobject or count * dtype.itemsize != len(data) - stream.tell():
            raise ValueError(f"the header declares {shape} {dtype} ({count * dtype.itemsize} bytes) but the file "
                             f"holds {len(data) - stream.tell()} bytes of data")
        stream.seek(0)
        return np.load(stream, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise BundleError(f"{name}: not a readable .npy array ({exc})") from exc
