"""Receipts of pybs-tui's own installs: one JSON file at the root of each install dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..fileops import read_json_file
from ..settings import Settings

RECEIPT_NAME = ".pybs-receipt.json"
RECEIPT_LIMIT = 1 << 20  # a receipt is about 1 kB; anything over this is not ours
RECEIPT_SCHEMA = "pybs-tui-receipt/1"


def install_dir_name(asset_name: str) -> str:
    """The folder an archive installs into: its file name without the archive suffix."""
    for suffix in (".tar.zst", ".tar.gz"):
        if asset_name.endswith(suffix):
            return asset_name[: -len(suffix)]
    return asset_name


def read_receipt(install_path: Path) -> dict[str, Any] | None:
    """The receipt of one install dir, or None if missing or unreadable."""
    data = read_json_file(install_path / RECEIPT_NAME, RECEIPT_LIMIT)
    if not isinstance(data, dict) or data.get("schema") != RECEIPT_SCHEMA:
        return None
    return data


def iter_receipts(settings: Settings) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(install dir, receipt) for every published install under the install root."""
    root = settings.install_dir
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return
    for path in entries:
        if path.name.startswith(".") or path.is_symlink() or not path.is_dir():
            continue
        receipt = read_receipt(path)
        if receipt is not None:
            yield path, receipt


def installed_names(settings: Settings) -> dict[str, str]:
    """Asset name -> install path, for marking installed builds in lists."""
    return {r.get("name", ""): str(p) for p, r in iter_receipts(settings)}
