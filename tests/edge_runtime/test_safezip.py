"""Zip bombs and odd archives: a size budget and a ratio limit before and while streaming, no duplicates."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from edge_runtime import safezip
from edge_runtime.bundle import open_bundle
from edge_runtime.errors import BundleError
from edge_runtime.safezip import Limits


def test_an_ordinary_archive_extracts_with_the_users_umask(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("manifest.json"), "{}")
        zf.writestr("models/m.tflite", b"\x01" * 5000)
    (tmp_path / "out").mkdir()
    safezip.extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "models" / "m.tflite").read_bytes() == b"\x01" * 5000
    reference = tmp_path / "plain"
    reference.write_bytes(b"")  # what a normal open() gives under this umask
    assert (tmp_path / "out" / "manifest.json").stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_a_highly_compressed_large_entry_is_refused_before_anything_is_written(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("models/big.tflite", bytes(64 << 20))
    assert archive.stat().st_size < 1 << 20
    (tmp_path / "out").mkdir()
    with pytest.raises(BundleError, match=r"'models/big.tflite' \(a compression ratio of \d+:1"):
        safezip.extract(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_3_mb_zip_declaring_a_2_gib_entry_is_refused_before_extracting(tmp_path):
    """The review's case; then two entries at the ratio limit that together exceed the budget."""
    archive = tmp_path / "declared.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("models/big.tflite", b"\x02" * (3 << 20))
        zf.writestr("models/big2.tflite", b"\x02" * (3 << 20))
    _declare_size(archive, "models/big.tflite", 2 << 30)
    with pytest.raises(BundleError, match=r"'models/big.tflite' \(a compression ratio of 683:1"):
        open_bundle(archive)
    _declare_size(archive, "models/big.tflite", 600 << 20)
    _declare_size(archive, "models/big2.tflite", 600 << 20)
    with pytest.raises(BundleError, match=f"would expand to {(1200 << 20) + 2} bytes. Expected at most {1 << 30}"):
        open_bundle(archive)


def test_extraction_stops_at_the_budget_while_streaming(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", bytes(range(256)) * 64)
    (tmp_path / "out").mkdir()
    with pytest.raises(BundleError, match="would expand to 16384 bytes. Expected at most 1000"):
        safezip.extract(archive, tmp_path / "out", Limits(total_bytes=1000))


def test_two_manifest_entries_are_refused(tmp_path):
    archive = tmp_path / "dup.zip"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("manifest.json", '{"first": 1}')
        zf.writestr("manifest.json", '{"second": 2}')
    with pytest.raises(BundleError, match=r"refusing entry 'manifest.json' \(a name that occurs twice"):
        open_bundle(archive)


def test_random_bytes_named_zip_are_one_error(tmp_path):
    archive = tmp_path / "noise.zip"
    archive.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(BundleError, match="noise.zip: not a readable zip file"):
        open_bundle(archive)


def _declare_size(archive, name: str, size: int) -> None:
    """Rewrite ``name``'s uncompressed size in the central directory (a header that lies)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(name)
    encoded = name.encode()
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + name_len]) == encoded:
            struct.pack_into("<I", data, central + 24, size)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize("crasher", sorted((Path(__file__).parents[1] / "fuzz" / "crashers" / "zip").glob("crash-*")),
                         ids=lambda p: p.name[:14])
def test_archives_the_fuzzer_found_are_one_bundle_error(crasher, tmp_path):
    """A header offset that seeks to EINVAL, a 'zip file version 6.7': both were tracebacks."""
    archive = tmp_path / "found.zip"
    archive.write_bytes(crasher.read_bytes())
    with pytest.raises(BundleError, match="found.zip"):
        open_bundle(archive)
