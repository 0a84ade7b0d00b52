"""Find styles/ and assets/ both in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name  # wheel: force-included next to the code
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / name  # repo: app/pybs_tui -> repo root
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"pybs-tui data folder {name!r} is missing from this installation")


def styles_dir() -> Path:
    return _data_dir("styles")


def assets_dir() -> Path:
    return _data_dir("assets")


def snapshot_path() -> Path:
    return assets_dir() / "catalog-snapshot.json"


def packed_snapshot_path() -> Path:
    """The snapshot parsed, in the form `catalog.packed` reads (scripts/build_snapshot.py)."""
    return assets_dir() / "catalog-snapshot.packed.json"
