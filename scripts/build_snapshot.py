"""Build assets/catalog-snapshot.json, the catalog pybs-tui uses offline and on first run.

Every real source is merged by file name (a name any source lists is real; sha256 and sizes are
filled from whichever source has them):
  --ndjson PATH        PBS's release index (every archive of its releases, with sha256);
                       repeatable
  --uv-metadata PATH   uv's crates/uv-python/download-metadata.json (one archive per uv key)
  --pbs-installer PATH pbs-installer's versions.json
  --uv-list PATH       `uv python list --all-versions --all-platforms --all-arches --show-urls
                       --output-format json --only-downloads`; without it, uv on PATH is run,
                       and asked for each pre-release too (its list hides those)
  --live               also the live index and every page of the GitHub releases API (sizes)
  --repack             only write the packed form of the snapshot at --out (see below)
Then names PBS's release pattern implies are derived, marked as such (see `derive`).
A per-release table of what each source contributed is printed.

Next to the snapshot goes its packed form (catalog-snapshot.packed.json, see
app/pybs_tui/catalog/packed.py): what parsing the snapshot's names gives, in tables, tied to
the snapshot's bytes by their sha256. The app reads that instead of parsing 23k names.

python scripts/build_snapshot.py --ndjson ../shared/data/pbs-versions-v1-20260127.ndjson \\
    --uv-metadata ../shared/data/uv-download-metadata.json \\
    --pbs-installer ../shared/data/pbs-installer-2026.10.25-versions.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "app"))

from pybs_tui.catalog import packed, sources  # noqa: E402
from pybs_tui.catalog.models import Build  # noqa: E402

#: From this release on PBS publishes install_only and install_only_stripped side by side.
STRIPPED_SINCE = "20240713"
PRERELEASES = (
    [f"a{n}" for n in range(1, 10)]
    + [f"b{n}" for n in range(1, 6)]
    + [f"rc{n}" for n in range(1, 6)]
)


# -- sources -----------------------------------------------------------------------------------


def from_ndjson(path: Path) -> sources.Parsed:
    return sources.parse_ndjson_index(path.read_bytes())


def from_uv_metadata(path: Path) -> sources.Parsed:
    data = json.loads(path.read_text())
    return sources.rows_from_urls((v.get("url"), v.get("sha256")) for v in data.values())


def from_pbs_installer(path: Path) -> sources.Parsed:
    data = json.loads(path.read_text())
    return sources.rows_from_urls(
        (f.get("url"), f.get("sha256")) for rel in data for f in rel.get("files", [])
    )


def _uv_list(uv: str, request: str | None = None) -> list[dict]:
    cmd = [uv, "python", "list"] + ([request] if request else [])
    cmd += ["--all-versions", "--all-platforms", "--all-arches", "--show-urls"]
    cmd += ["--output-format", "json", "--only-downloads", "--no-config"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return []
    return json.loads(out.stdout or "[]")


def from_uv_list(path: Path | None, minors: set[str]) -> tuple[sources.Parsed, str]:
    """uv's downloads, marked as such; (parsed, description)."""
    if path is not None:
        rows = json.loads(path.read_text())
        what = f"uv python list ({path.name})"
    else:
        uv = shutil.which("uv")
        if uv is None:
            return sources.Parsed([], [], {}), ""
        version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout
        rows = _uv_list(uv)
        # the list hides pre-releases of minors that have a final release: ask for each
        for minor in sorted(minors):
            for pre in PRERELEASES:
                rows += _uv_list(uv, f"{minor}.0{pre}")
        what = f"{version.strip()}: python list, pre-releases asked one by one"
    urls = [(r.get("url"), None) for r in rows if "python-build-standalone" in (r.get("url") or "")]
    return sources.rows_from_urls(urls, marks=sources.MARK_UV), what


def from_live() -> list[sources.Parsed]:
    from pybs_tui.net.client import make_client
    from pybs_tui.net.releases import fetch_index, iter_release_pages
    from pybs_tui.settings import Settings

    settings = Settings.from_env()
    with make_client(settings) as client:
        return [fetch_index(client, settings)[0], *iter_release_pages(client, settings)]


# -- derived names -----------------------------------------------------------------------------


def _rename(b: Build, flavor_part: str) -> str:
    """The name of `b`'s sibling with another '<options>-<flavor>' tail."""
    ext = "tar.zst" if flavor_part.endswith("full") else "tar.gz"
    return f"cpython-{b.version_str}+{b.release}-{b.triple}-{flavor_part}.{ext}"


def derive(parsed: sources.Parsed, indexed: set[str]) -> tuple[sources.Parsed, Counter[str]]:
    """Names PBS's release pattern implies, marked derived (sha256 unknown until a source
    confirms the name; an install asks the release's API answer or SHA256SUMS first):

    1. install_only beside install_only_stripped and back, from release 20240713 on (PBS
       cuts both from the same build for every triple).
    2. For releases newer than the newest release whose whole matrix a source lists (`indexed`:
       the release index's), the full builds that release has for the same triple and minor
       (or, for a minor it lacks, the newest minor): the optimised, debug and other full builds.
    """
    real = [b for b in parsed.builds if not b.derived]
    have = {b.name for b in parsed.builds}
    rows: dict[str, Build] = {}
    why: Counter[str] = Counter()

    def add(b: Build, tail: str, reason: str) -> None:
        name = _rename(b, tail)
        if name not in have and name not in rows:
            rows[name] = b
            why[reason] += 1

    for b in real:
        if b.release >= STRIPPED_SINCE and b.flavor != "full" and not b.legacy_timestamp:
            other = (
                "install_only" if b.flavor == "install_only_stripped" else ("install_only_stripped")
            )
            prefix = f"{b.options_text}-" if b.options_text else ""
            add(b, prefix + other, "install_only <-> install_only_stripped")

    # the full matrix of the newest completely listed release, per triple and minor
    complete = max(indexed, default="")
    pattern: dict[tuple[str, str], set[str]] = defaultdict(set)  # (triple, minor) -> tails
    newest_minor: dict[str, str] = {}
    for b in real:
        if b.release == complete and b.flavor == "full" and b.version is not None:
            pattern[(b.triple, b.version.minor_str)].add(b.options_text)
            if b.version.minor_str > newest_minor.get(b.triple, ""):
                newest_minor[b.triple] = b.version.minor_str
    for b in real:
        if not complete or b.release <= complete or b.version is None:
            continue
        tails = pattern.get((b.triple, b.version.minor_str))
        if tails is None and b.triple in newest_minor:
            tails = {
                t
                for t in pattern[(b.triple, newest_minor[b.triple])]
                if "freethreaded" not in t or (b.version.major, b.version.minor) >= (3, 13)
            }
        for tail in sorted(tails or ()):
            add(b, f"{tail}-full", f"full builds as in release {complete}")
    derived = sources.collect(
        (name, None, None, sources.asset_url(b.release, name), sources.MARK_DERIVED)
        for name, b in rows.items()
    )
    return derived, why


# -- the report -------------------------------------------------------------------------------


def report(parts: list[tuple[str, sources.Parsed]], merged: sources.Parsed) -> None:
    """A per-release table: archives each source lists, what was derived, sha256 coverage."""
    names = [label for label, _ in parts]
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for label, parsed in parts:
        for b in parsed.builds:
            per[b.release][label] += 1
    final: dict[str, Counter[str]] = defaultdict(Counter)
    for b in merged.builds:
        final[b.release]["archives"] += 1
        final[b.release]["sha256"] += b.sha256 is not None
        final[b.release]["derived"] += b.derived
    short = [n.split(":")[0].split(" (")[0][:14] for n in names]
    head = ["release", *short, "archives", "sha256", "derived"]
    widths = [max(8, len(h)) for h in head]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for tag in sorted(final, reverse=True):
        cells = [tag, *(str(per[tag][n]) for n in names)]
        cells += [str(final[tag][k]) for k in ("archives", "sha256", "derived")]
        print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ndjson", type=Path, action="append", default=[])
    parser.add_argument("--uv-metadata", type=Path)
    parser.add_argument("--pbs-installer", type=Path)
    parser.add_argument("--uv-list", type=Path)
    parser.add_argument("--no-uv", action="store_true", help="do not run uv")
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "catalog-snapshot.json")
    parser.add_argument("--repack", action="store_true", help="only write the packed form")
    args = parser.parse_args()
    if args.repack:
        print(write_packed(args.out))
        return 0

    parts: list[tuple[str, sources.Parsed]] = []
    if args.live:
        for i, parsed in enumerate(from_live()):
            parts.append(("live index" if i == 0 else f"GitHub API page {i}", parsed))
    for path in args.ndjson:
        parts.append((f"release index ({path.name})", from_ndjson(path)))
    if args.uv_metadata:
        parts.append((f"uv metadata ({args.uv_metadata.name})", from_uv_metadata(args.uv_metadata)))
    if args.pbs_installer:
        parts.append(
            (f"pbs-installer ({args.pbs_installer.name})", from_pbs_installer(args.pbs_installer))
        )
    if not args.no_uv or args.uv_list:
        minors = {b.version.minor_str for _, p in parts for b in p.builds if b.version is not None}
        uv_list, what = from_uv_list(args.uv_list, minors)
        if uv_list.builds:
            parts.append((what, uv_list))
    if not parts:
        parser.error("no input: give --ndjson, --uv-metadata, --pbs-installer, --uv-list or --live")
    merged = sources.merge(*(p for _, p in parts))
    indexed = {
        b.release
        for label, p in parts
        if label.startswith(("release index", "live index"))
        for b in p.builds
    }
    derived, why = derive(merged, indexed)
    merged = sources.merge(merged, derived)
    labels = [label for label, _ in parts]
    labels += [f"derived: {count} {reason}" for reason, count in sorted(why.items())]
    report(parts, merged)
    payload = sources.snapshot_payload(merged, dt.date.today().isoformat(), labels)
    args.out.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    stats = snapshot_stats(payload)
    print(
        f"{args.out}: {stats['archives']} archives in {stats['releases']} releases "
        f"({stats['first']}..{stats['last']}), {stats['sha256']} with sha256, "
        f"{stats['derived']} derived, {stats['sizes']} with a size"
    )
    print(write_packed(args.out))
    return 0


def packed_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name.removesuffix(".json") + ".packed.json")


def write_packed(snapshot: Path) -> Path:
    """The packed form of the snapshot as written: parsed from its bytes, tied to their
    digest (tests/unit/test_packed.py holds it equal to parsing the names)."""
    data = snapshot.read_bytes()
    payload = json.loads(data)
    parsed = sources.parse_snapshot(payload)
    digest = hashlib.sha256(data).hexdigest()
    form = packed.pack(parsed, digest, generated=str(payload.get("generated", "")))
    out = packed_path(snapshot)
    out.write_text(json.dumps(form, separators=(",", ":")) + "\n")
    return out


def snapshot_stats(payload: dict) -> dict:
    """The counts the README states (tests/unit/test_snapshot_counts.py holds them)."""
    assets = [a for r in payload["releases"] for a in r["assets"]]
    tags = [r["tag"] for r in payload["releases"]]
    return {
        "archives": len(assets),
        "releases": len(tags),
        "first": min(tags),
        "last": max(tags),
        "sha256": sum(1 for a in assets if a[1]),
        "sizes": sum(1 for a in assets if a[2] is not None),
        "derived": sum(1 for a in assets if len(a) > 3 and "d" in a[3]),
    }


if __name__ == "__main__":
    raise SystemExit(main())
