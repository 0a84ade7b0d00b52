"""Build assets/catalog-snapshot.json from real PBS catalog data.

Inputs (any subset; all are merged by file name):
  --uv-metadata PATH      uv's crates/uv-python/download-metadata.json
  --pbs-installer PATH    pbs-installer's versions.json (found automatically if installed)
  --uv-list PATH          output of `uv python list --all-versions --all-platforms --all-arches
                          --show-urls --output-format json` (run automatically if uv is on PATH)
  --live                  also read the live NDJSON index and the newest GitHub API page
Usage: python scripts/build_snapshot.py --uv-metadata ../shared/data/uv-download-metadata.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "app"))

from pybs_tui.catalog import sources  # noqa: E402


def _rows_from_urls(pairs) -> sources.Parsed:
    return sources._collect(
        (unquote(url.rsplit("/", 1)[-1]), sha, None, url) for url, sha in pairs if url
    )


def from_uv_metadata(path: Path) -> sources.Parsed:
    data = json.loads(path.read_text())
    return _rows_from_urls((v.get("url"), v.get("sha256")) for v in data.values())


def from_pbs_installer(path: Path) -> sources.Parsed:
    data = json.loads(path.read_text())
    return _rows_from_urls(
        (f.get("url"), f.get("sha256")) for rel in data for f in rel.get("files", [])
    )


def from_uv_list(path: Path | None) -> sources.Parsed:
    if path is not None:
        data = json.loads(path.read_text())
    elif shutil.which("uv"):
        out = subprocess.run(
            [
                "uv",
                "python",
                "list",
                "--all-versions",
                "--all-platforms",
                "--all-arches",
                "--show-urls",
                "--output-format",
                "json",
                "--no-python-downloads",
            ],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        data = json.loads(out)
    else:
        return sources.Parsed([], [], {})
    return _rows_from_urls((row.get("url"), None) for row in data)


STRIPPED_SINCE = "20240713"


def derive_install_only(parsed: sources.Parsed) -> sources.Parsed:
    """install_only names beside each install_only_stripped one (same release, no sha256).

    From release 20240713 on, PBS builds both flavors from the same full build for every
    triple; the sources above list only the stripped one, so the snapshot would otherwise
    miss the plain install_only archives. Their sha256 comes from the API when installing.
    """
    have = {b.name for b in parsed.builds}
    rows = []
    for b in parsed.builds:
        if b.flavor == "install_only_stripped" and b.release >= STRIPPED_SINCE:
            name = b.name.replace("-install_only_stripped.", "-install_only.")
            if name not in have:
                rows.append((name, None, None, sources.asset_url(b.release, name)))
    return sources._collect(rows)


def _find_pbs_installer() -> Path | None:
    try:
        import pbs_installer  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(pbs_installer.__file__).parent / "versions.json"
    return path if path.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uv-metadata", type=Path)
    parser.add_argument("--pbs-installer", type=Path)
    parser.add_argument("--uv-list", type=Path)
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "catalog-snapshot.json")
    args = parser.parse_args()

    parts: list[sources.Parsed] = []
    names: list[str] = []
    if args.live:
        from pybs_tui.net.client import make_client
        from pybs_tui.net.releases import fetch_index, iter_release_pages
        from pybs_tui.settings import Settings

        settings = Settings.from_env()
        with make_client(settings) as client:
            parts.append(fetch_index(client, settings)[0])
            parts.extend(iter_release_pages(client, settings))
        names.append("live index + GitHub API")
    if args.uv_metadata:
        parts.append(from_uv_metadata(args.uv_metadata))
        names.append("uv download-metadata.json")
    pbs = args.pbs_installer or _find_pbs_installer()
    if pbs:
        parts.append(from_pbs_installer(pbs))
        names.append("pbs-installer versions.json")
    uv_list = from_uv_list(args.uv_list)
    if uv_list.builds:
        parts.append(uv_list)
        names.append("uv python list --all-versions --all-platforms --all-arches")
    if not parts:
        parser.error("no input: give --uv-metadata, --pbs-installer, --uv-list or --live")
    merged = sources.merge(*parts)
    derived = derive_install_only(merged)
    if derived.builds:
        merged = sources.merge(merged, derived)
        names.append(
            f"{len(derived.builds)} install_only names derived from install_only_stripped "
            f"(PBS publishes both since {STRIPPED_SINCE}; sha256 unknown until fetched)"
        )
    payload = sources.snapshot_payload(merged, dt.date.today().isoformat(), names)
    args.out.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    total = sum(len(r["assets"]) for r in payload["releases"])
    print(f"{args.out}: {total} archives in {len(payload['releases'])} releases from {names}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
