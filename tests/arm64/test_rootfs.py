"""The emulated rootfs cache: keyed on everything that decides the tree, so a changed recipe never reuses it."""

from pathlib import Path

from tests.arm64 import rootfs


def test_the_cache_key_follows_the_package_list_and_the_recipe(monkeypatch):
    key = rootfs.cache_key()
    assert rootfs.cache_key() == key and rootfs.cache_dir().name == key
    monkeypatch.setattr(rootfs, "PACKAGES", (*rootfs.PACKAGES, "iperf3"))
    with_iperf = rootfs.cache_key()
    monkeypatch.setattr(rootfs, "PACKAGES", tuple(reversed(rootfs.PACKAGES)))
    assert rootfs.cache_key() == with_iperf != key  # the list's order does not matter, its content does
    monkeypatch.setattr(rootfs, "RECIPE_VERSION", rootfs.RECIPE_VERSION + 1)
    assert rootfs.cache_key() != with_iperf


def test_the_cache_lives_outside_the_checkout():
    checkout = Path(__file__).resolve().parents[2]
    assert checkout not in rootfs.cache_dir().resolve().parents
