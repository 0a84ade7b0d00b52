"""Archive sizes: kept by tag/name across threads and processes, learnt from the GitHub fake by
the cheaper of release-list pages and HEAD requests, and shown by `sizes`, `list`, `compare`."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pybs_tui.__main__ import main
from pybs_tui.catalog.models import Build
from pybs_tui.catalog.names import parse_name
from pybs_tui.catalog.sources import asset_url
from pybs_tui.net.cache import SizeCache
from pybs_tui.progress import Cancelled
from pybs_tui.service.catalog import with_kept_sizes
from pybs_tui.service.sizes import API_PER_PAGE, HEAD_SOURCE, fetch_sizes
from pybs_tui.settings import Limits, Settings
from tests.support.catalogs import ndjson_index
from tests.support.cli import APP_DIR, run_cli
from tests.support.github_fake import FakeGitHub, FakeRelease, default_size, release_from_names
from tests.support.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]
DOWNLOAD_PATH = "/astral-sh/python-build-standalone/releases/download"
ASTRAL_PATH = "/github/python-build-standalone/releases/download"
SEED = "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu"
SEED_SIZES = {
    f"{SEED}-install_only.tar.gz": 24_400_000,
    f"{SEED}-debug-full.tar.zst": 48_000_000,
    f"{SEED}-lto-full.tar.zst": 178_000_000,
}
SEED_SHA256 = "ec8126de97945e629cca9aedc80a29c4ae2992c9d69f2655e27ae73906ba187d"


# -- helpers ------------------------------------------------------------------------------------
def names_of(tag: str, count: int, triple: str = "x86_64-unknown-linux-gnu") -> list[str]:
    """`count` distinct, valid PBS archive names of release `tag`."""
    kinds = ("install_only.tar.gz", "install_only_stripped.tar.gz", "pgo+lto-full.tar.zst")
    return [f"cpython-3.12.{i // 3}+{tag}-{triple}-{kinds[i % 3]}" for i in range(count)]


def tags(count: int, start: int = 20240101) -> list[str]:
    """`count` release tags, one a day from `start` (oldest first)."""
    first = dt.date(start // 10000, start // 100 % 100, start % 100)
    return [(first + dt.timedelta(days=i)).strftime("%Y%m%d") for i in range(count)]


def catalog_builds(release: FakeRelease) -> list[Build]:
    """The builds a catalog without sizes (and, here, without sha256) holds for a release."""
    out = []
    for asset in release.assets:
        b = parse_name(asset.name, url=asset_url(release.tag, asset.name))
        assert b is not None and b.known and b.size is None and b.sha256 is None
        out.append(b)
    return out


def newest_first(releases: list[FakeRelease]) -> list[str]:
    return sorted((r.tag for r in releases), reverse=True)


def fake_sizes(releases: list[FakeRelease]) -> dict[str, int]:
    return {a.name: a.size for r in releases for a in r.assets}


def settings_for(tmp_path: Path, gh: FakeGitHub, **kw: object) -> Settings:
    home = tmp_path / "home"
    values: dict[str, object] = {
        "cache_dir": home / "cache",
        "data_dir": home / "data",
        "state_dir": home / "state",
        "index_url": "http://127.0.0.1:9/index.ndjson",
        "github_api": gh.api,
        "mirror": gh.web + DOWNLOAD_PATH,
        "limits": Limits(http_timeout=5.0),
        "sleep": lambda s: None,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


# -- SizeCache --------------------------------------------------------------------------------
def test_size_cache_threads_keep_every_update(tmp_path):
    root = tmp_path / "catalog"

    def writer(n: int) -> None:
        cache = SizeCache(root)  # each caller has its own object, as the app's callers do
        for i in range(100):
            cache.update({f"2024{n:04d}/a-{i}.tar.gz": (n * 1000 + i, "HEAD request")})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = json.loads((root / "sizes.json").read_text())["sizes"]
    assert len(kept) == 300
    assert kept["20240002/a-57.tar.gz"] == [2057, "HEAD request"]
    fresh = SizeCache(root)
    assert all(
        fresh.get(f"2024{n:04d}/a-{i}.tar.gz") is not None for n in range(3) for i in range(100)
    )


_WRITER = """
import sys
from pathlib import Path
from pybs_tui.net.cache import SizeCache
root, who = Path(sys.argv[1]), sys.argv[2]
for i in range(60):
    SizeCache(root).update({f"20240415/{who}-{i}.tar.gz": (i, "HEAD request")})
"""


def test_size_cache_processes_keep_every_update(tmp_path):
    root = tmp_path / "catalog"
    env = {"PYTHONPATH": APP_DIR, "PATH": ""}
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(root), who], env=env)
        for who in ("p1", "p2")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    kept = SizeCache(root).load()
    assert len(kept) == 120
    assert kept["20240415/p2-59.tar.gz"] == (59, "HEAD request")


def test_two_caches_on_one_dir_keep_each_others_entries(tmp_path):
    root = tmp_path / "catalog"
    first, second = SizeCache(root), SizeCache(root)
    assert first.update({"20240415/a.tar.gz": (1, "HEAD request")}) == 1
    assert second.update({"20240415/b.tar.gz": (2, "GitHub API")}) == 1
    assert first.update({"20240415/c.tar.gz": (3, "HEAD request")}) == 1
    assert first.update({"20240415/c.tar.gz": (3, "HEAD request")}) == 0  # nothing new
    kept = SizeCache(root).load()
    assert kept == {
        "20240415/a.tar.gz": (1, "HEAD request"),
        "20240415/b.tar.gz": (2, "GitHub API"),
        "20240415/c.tar.gz": (3, "HEAD request"),
    }


def test_size_cache_reads_the_old_shape_by_sha256(tmp_path):
    root = tmp_path / "catalog"
    root.mkdir()
    sha = "ab" * 32
    (root / "sizes.json").write_text(json.dumps({sha: 24_400_000, "junk": "x"}))
    cache = SizeCache(root)
    assert not cache.empty
    assert cache.get("20240415/x.tar.gz", sha) == (24_400_000, "GitHub API")
    assert cache.get("20240415/x.tar.gz") is None
    assert cache.get("20240415/x.tar.gz", "cd" * 32) is None
    # a new size does not lose the old ones
    cache.update({"20240415/y.tar.gz": (5, "HEAD request")})
    again = SizeCache(root)
    assert again.get("20240415/x.tar.gz", sha) == (24_400_000, "GitHub API")
    assert again.get("20240415/y.tar.gz") == (5, "HEAD request")


# -- sizes without digests ----------------------------------------------------------------------
def test_sizes_of_a_release_without_digests_are_kept_by_tag_and_name(tmp_path, gh):
    release = release_from_names("20240415", names_of("20240415", 30))
    gh.set_releases([release])
    settings = settings_for(tmp_path, gh)
    builds = catalog_builds(release)
    report = fetch_sizes(settings, builds, releases_newest_first=["20240415"])
    assert report.api_requests == gh.api_calls() == 1 and report.heads == 0
    assert len(report.found) == 30 and not report.unknown
    # GitHub gave no digest before 2025-06: the sizes are kept by tag and name anyway
    listing = httpx.get(f"{gh.api}/repos/astral-sh/python-build-standalone/releases/tags/20240415")
    assert {a["digest"] for a in listing.json()["assets"]} == {None}
    cache = SizeCache(settings.catalog_cache_dir)
    for a in release.assets:
        assert cache.get(f"20240415/{a.name}") == (a.size, "GitHub API")
    filled = with_kept_sizes(builds, settings)
    assert [b.size for b in filled] == [a.size for a in release.assets]
    assert all(b.sha256 is None and b.size_source == "GitHub API" for b in filled)


# -- fetch_sizes against the fake ---------------------------------------------------------------
def test_a_few_sizes_are_asked_by_head_without_api_quota_or_token_leak(tmp_path, gh):
    releases = [release_from_names(t, names_of(t, 2)) for t in tags(5)]
    gh.set_releases(releases)
    settings = settings_for(tmp_path, gh, github_token="secret-token")
    builds = [b for r in releases for b in catalog_builds(r)]
    report = fetch_sizes(settings, builds, releases_newest_first=newest_first(releases))
    assert gh.api_calls() == 0 and report.api_requests == 0
    assert report.heads == len(builds) == gh.head_calls() == 10
    expected = fake_sizes(releases)
    assert report.found == {name: (size, HEAD_SOURCE) for name, size in expected.items()}
    assert not report.unknown
    assert not gh.objects_saw_authorization
    assert not any("authorization" in r.headers for r in gh.requests)
    assert any(r.role == "objects" and r.method == "HEAD" for r in gh.requests)
    kept = SizeCache(settings.catalog_cache_dir)
    assert all(kept.get(b.size_key) == (expected[b.name], HEAD_SOURCE) for b in builds)
    filled = report.apply(builds)
    assert [b.size for b in filled] == [expected[b.name] for b in builds]


def test_many_sizes_page_the_release_list(tmp_path, gh):
    releases = [release_from_names(t, names_of(t, 2)) for t in tags(25)]
    gh.set_releases(releases)
    settings = settings_for(tmp_path, gh)
    builds = [b for r in releases for b in catalog_builds(r)]
    report = fetch_sizes(settings, builds, releases_newest_first=newest_first(releases))
    pages = -(-len(releases) // API_PER_PAGE)
    assert report.api_requests == gh.api_calls() == pages == 3
    assert gh.head_calls() == 0 and report.heads == 0
    assert all(f"per_page={API_PER_PAGE}" in r.path for r in gh.requests if r.role == "api")
    assert {n: s for n, (s, _) in report.found.items()} == fake_sizes(releases)
    assert {src for _, src in report.found.values()} == {"GitHub API"}
    assert report.rate is not None
    assert report.rate.limit == 60
    assert report.rate.remaining == 60 - gh.api_calls() == gh.remaining()
    assert "GitHub API requests left" in report.rate.describe()


def test_only_the_pages_needed_are_asked(tmp_path, gh):
    releases = [release_from_names(t, names_of(t, 3)) for t in tags(40)]
    gh.set_releases(releases)
    settings = settings_for(tmp_path, gh)
    newest = newest_first(releases)
    wanted = [b for r in releases if r.tag in newest[:15] for b in catalog_builds(r)]
    assert len(wanted) == 45
    report = fetch_sizes(settings, wanted, releases_newest_first=newest)
    assert gh.api_calls() == 2  # releases 1..15 of 40, newest first: pages 1 and 2
    assert len(report.found) == 45 and not report.unknown


def test_a_nearly_spent_quota_says_so_and_heads_the_rest(tmp_path, gh):
    releases = [release_from_names(t, names_of(t, 2)) for t in tags(25)]
    gh.set_releases(releases)
    gh.set_remaining(1)
    settings = settings_for(tmp_path, gh)
    builds = [b for r in releases for b in catalog_builds(r)]
    report = fetch_sizes(settings, builds, releases_newest_first=newest_first(releases))
    assert gh.api_calls() == 1 and gh.remaining() == 0
    assert any("rate limit" in n and "HEAD requests for the rest" in n for n in report.notes)
    assert any("GITHUB_TOKEN" in n for n in report.notes)
    assert {n: s for n, (s, _) in report.found.items()} == fake_sizes(releases)
    by_api = [n for n, (_, src) in report.found.items() if src == "GitHub API"]
    assert len(by_api) == 2 * API_PER_PAGE  # the one page the quota allowed
    assert report.heads == len(builds) - len(by_api) == gh.head_calls()
    assert not report.unknown


def test_a_head_404_says_why(tmp_path, gh):
    release = release_from_names("20240415", names_of("20240415", 2))
    gh.set_releases([release])
    settings = settings_for(tmp_path, gh)
    ghost = parse_name(
        "cpython-3.12.99+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz",
        url=asset_url(
            "20240415", "cpython-3.12.99+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
        ),
    )
    assert ghost is not None
    report = fetch_sizes(settings, [*catalog_builds(release), ghost])
    assert set(report.found) == {a.name for a in release.assets}
    assert set(report.unknown) == {ghost.name}
    assert "404" in report.unknown[ghost.name] and "no such file" in report.unknown[ghost.name]
    assert SizeCache(settings.catalog_cache_dir).get(ghost.size_key) is None


def test_astral_failing_falls_back_to_the_next_prefix(tmp_path, gh):
    release = release_from_names("20251014", names_of("20251014", 3))
    gh.set_releases([release])
    gh.astral_status = 500
    settings = settings_for(
        tmp_path,
        gh,
        mirror=None,
        download_prefixes=(gh.astral + ASTRAL_PATH, gh.web + DOWNLOAD_PATH),
    )
    builds = catalog_builds(release)
    report = fetch_sizes(settings, builds)
    assert {n: s for n, (s, _) in report.found.items()} == fake_sizes([release])
    heads = [(r.role, r.status) for r in gh.requests if r.method == "HEAD"]
    assert heads.count(("astral", 500)) == 3
    assert heads.count(("web", 302)) == 3 and heads.count(("objects", 200)) == 3
    # with astral answering, GitHub is not asked at all
    gh.astral_status = 200
    before = len(gh.requests)
    fresh = [parse_name(b.name, url=b.url) for b in builds]
    report = fetch_sizes(
        settings_for(tmp_path / "b", gh, mirror=None, download_prefixes=settings.download_prefixes),
        fresh,
    )
    assert len(report.found) == 3
    assert {r.role for r in gh.requests[before:]} == {"astral"}


def test_a_cancelled_fetch_keeps_what_it_learnt(tmp_path, gh):
    release = release_from_names("20240415", names_of("20240415", 120))
    gh.set_releases([release])
    settings = settings_for(tmp_path, gh)
    cancel = threading.Event()

    def progress(p) -> None:
        if p.done >= 3:
            cancel.set()

    with pytest.raises(Cancelled):
        fetch_sizes(
            settings, catalog_builds(release), progress=progress, cancel=cancel, allow_api=False
        )
    assert gh.head_calls() < 120  # it stopped early
    # what it had learnt is kept, right
    kept = SizeCache(settings.catalog_cache_dir).load()
    assert len(kept) >= 3
    expected = {
        f"20240415/{name}": (size, HEAD_SOURCE) for name, size in fake_sizes([release]).items()
    }
    assert {key: expected[key] for key in kept} == kept


def test_offline_asks_nothing(tmp_path, gh):
    release = release_from_names("20240415", names_of("20240415", 3))
    gh.set_releases([release])
    report = fetch_sizes(settings_for(tmp_path, gh, offline=True), catalog_builds(release))
    assert report.unknown == {a.name: "offline" for a in release.assets}
    assert gh.requests == []


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """The entry point in this process (the snapshot is read once per process): (exit code,
    stdout, stderr). The autouse fixture has pointed PYBS_TUI_HOME at tmp_path / 'home'."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- end to end: the real entry point against the fake -----------------------------------------
@functools.cache
def _snapshot_releases() -> tuple[FakeRelease, ...]:
    """Every release tag of the embedded snapshot with every asset name it lists (derived
    names too: the fake plays a GitHub where PBS published what its pattern implies)."""
    payload = json.loads((ROOT / "assets" / "catalog-snapshot.json").read_text())
    return tuple(
        release_from_names(rel["tag"], [asset[0] for asset in rel["assets"]])
        for rel in payload["releases"]
    )


def snapshot_releases() -> list[FakeRelease]:
    return list(_snapshot_releases())


@pytest.fixture
def index_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        srv.add(
            "/index.ndjson",
            ndjson_index({"3.12.3+20240415": [(f"{SEED}-install_only.tar.gz", SEED_SHA256)]}),
        )
        yield srv


def live_env(gh: FakeGitHub, index: LoopbackServer) -> dict[str, str]:
    return {
        "PYBS_TUI_GITHUB_API": gh.api,
        "PYBS_TUI_MIRROR": gh.web + DOWNLOAD_PATH,
        "PYBS_TUI_INDEX_URL": index.url("/index.ndjson"),
    }


def test_sizes_all_within_the_quota_then_list_offline_shows_them(tmp_path, index_server):
    releases = snapshot_releases()
    with FakeGitHub(releases) as gh:
        home = tmp_path / "home"
        out = run_cli("sizes", "--all", "--json", home=home, **live_env(gh, index_server))
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        assert gh.api_calls() <= 15
        assert report["api_requests"] <= 15 and report["head_requests"] == 0
        assert report["unknown"] == 0
        archives = sum(len(r.assets) for r in releases)
        assert report["archives"] == report["known_before"] + report["found"] == archives
        assert report["quota"]["limit"] == 60
        assert report["quota"]["remaining"] == gh.remaining() >= 45
        expected = fake_sizes(releases)
        assert report["sizes"] == expected
    listed = run_cli("list", "--offline", "--all", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert {name: r["size"] for name, r in rows.items()} == expected
    old = [r for r in rows.values() if r["release"] == "20240415"]
    assert old and all(r["size"] == default_size(r["name"]) for r in old)
    for name in SEED_SIZES:
        assert rows[name]["size"] == default_size(name)
        assert rows[name]["size_source"] == "GitHub API"
    # kept by tag and name: archives with no sha256 anywhere (the API gave no digest) too
    no_digest = [r for r in rows.values() if r["release"] < "20250601" and r["sha256"] is None]
    assert len(no_digest) > 100
    assert all(r["size"] == default_size(r["name"]) for r in no_digest)


@pytest.fixture
def live(monkeypatch, index_server):
    """Point this process's entry point (`cli`) at a fake GitHub: call with its releases."""

    def start(releases: list[FakeRelease]) -> FakeGitHub:
        gh = FakeGitHub(releases)
        for key, value in live_env(gh, index_server).items():
            monkeypatch.setenv(key, value)
        return gh

    return start


def test_sizes_text_names_its_cost_and_the_quota(live, capsys):
    wanted = {"20240107", "20240224", "20240415", "20240726", "20240814"}
    releases = [r for r in snapshot_releases() if r.tag in wanted]
    args = ("sizes", "--all", "--release", "20240224")
    with live(releases) as gh:
        code, out, err = cli(capsys, *args)
        left = gh.remaining()
        calls, heads = gh.api_calls(), gh.head_calls()
        # kept forever: a second run asks for no size at all (the catalog's page is a free 304)
        code_again, again, _ = cli(capsys, *args)
        assert (gh.api_calls(), gh.head_calls()) == (calls, heads)
    assert code == 0, err
    # the live catalog's newest page (3 releases) does not reach 20240224: one list page does
    count = len(next(r for r in releases if r.tag == "20240224").assets)
    assert count > 24
    assert out.splitlines()[0] == (
        f"{count} archives: 0 sizes kept already, {count} fetched "
        "(1 API requests, 0 HEAD requests), 0 unknown"
    )
    assert "sizes: asking by GitHub API" in err
    assert f"{left} of 60 GitHub API requests left this hour" in err
    assert code_again == 0
    assert again.splitlines()[0] == (
        f"{count} archives: {count} sizes kept already, 0 fetched "
        "(0 API requests, 0 HEAD requests), 0 unknown"
    )


COMPARE_SEED = ("compare", "3.12.3", "--arch", "aarch64", "--os", "linux", "--libc", "gnu")


def seed_and_newer() -> list[FakeRelease]:
    """Release 20240415 with the seed's three archives at their real sizes, and three newer
    releases, so that the live catalog's newest page does not reach 20240415."""
    seed = release_from_names("20240415", list(SEED_SIZES), size_of=SEED_SIZES.__getitem__)
    newer = [release_from_names(t, names_of(t, 2)) for t in ("20240726", "20240814", "20240909")]
    return [seed, *newer]


def test_compare_online_merges_the_release_listing(live, capsys):
    with live(seed_and_newer()) as gh:
        code, out, err = cli(capsys, *COMPARE_SEED, "--json")
        assert code == 0, err
        code, text, err = cli(capsys, *COMPARE_SEED)
        assert code == 0, err
        asked = [r.path for r in gh.requests if r.role == "api"]
        heads = gh.head_calls()
    assert any(path.endswith("/releases/tags/20240415") for path in asked)
    assert heads == 0  # the release's own listing had every size
    data = json.loads(out)
    columns = {c["name"]: c for c in data["columns"]}
    assert set(columns) == set(SEED_SIZES)
    assert {n: c["size"] for n, c in columns.items()} == SEED_SIZES
    assert {c["size_source"] for c in columns.values()} == {"GitHub API"}
    assert columns[f"{SEED}-install_only.tar.gz"]["ratio"] == 1.0
    assert columns[f"{SEED}-debug-full.tar.zst"]["ratio"] == round(48 / 24.4, 2) == 1.97
    assert columns[f"{SEED}-lto-full.tar.zst"]["ratio"] == round(178 / 24.4, 2) == 7.3
    assert data["unknown_sizes"] == 0
    assert data["total"] == sum(SEED_SIZES.values())
    assert data["fits"] in (True, False)
    size_row = next(line for line in text.splitlines() if line.startswith("size "))
    assert sorted(re.findall(r"\d+\.\d MB", size_row)) == ["178.0 MB", "24.4 MB", "48.0 MB"]
    ratio_row = next(line for line in text.splitlines() if line.startswith("ratio "))
    assert sorted(re.findall(r"x\d+\.\d\d", ratio_row)) == ["x1.00", "x1.97", "x7.30"]


def test_list_online_heads_the_rows_it_prints_and_keeps_them(live, capsys):
    rows_of = ("list", "--all", "--release", "20240415", "--os", "linux", "--arch", "aarch64")
    with live(seed_and_newer()) as gh:
        code, out, err = cli(capsys, *rows_of, "--json")
        assert code == 0, err
        assert gh.head_calls() == 3  # one per row printed
        assert gh.api_calls() == 1  # the live catalog's newest page; sizes cost no quota
    rows = {r["name"]: r for r in json.loads(out)}
    assert {n: r["size"] for n, r in rows.items()} == SEED_SIZES
    assert {r["size_source"] for r in rows.values()} == {HEAD_SOURCE}
    code, text, err = cli(capsys, *rows_of, "--offline")
    assert code == 0, err
    assert sorted(re.findall(r"\d+\.\d MB", text)) == ["178.0 MB", "24.4 MB", "48.0 MB"]
    assert "pybs-tui sizes" not in err  # nothing unknown: no hint


def test_offline_list_says_once_how_to_get_sizes(capsys):
    code, out, err = cli(capsys, "list", "--offline")
    assert code == 0, err
    table = out.splitlines()[2:]
    assert table and all(" ? " in f" {line} " for line in table)
    hints = [line for line in err.splitlines() if "pybs-tui sizes" in line]
    assert len(hints) == 1
    assert f"{len(table)} of {len(table)} sizes unknown" in hints[0]


def test_no_fits_verdict_while_a_size_is_unknown(tmp_path, capsys):
    kept = SizeCache(tmp_path / "home" / "cache" / "catalog")
    code, out, err = cli(capsys, *COMPARE_SEED, "--offline", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["unknown_sizes"] == 3 and data["total"] is None and data["fits"] is None
    # one size kept (as `pybs-tui sizes` would have): still no total and no verdict
    kept.update({f"20240415/{SEED}-install_only.tar.gz": (24_400_000, "GitHub API")})
    data = json.loads(cli(capsys, *COMPARE_SEED, "--offline", "--json")[1])
    assert data["unknown_sizes"] == 2 and data["total"] is None and data["fits"] is None
    assert data["known_total"] == 24_400_000
    totals = verdict_of(cli(capsys, *COMPARE_SEED, "--offline")[1])
    assert totals.startswith("3 archives: 2 sizes unknown, no total")
    assert "fit" not in totals.lower()
    # all three kept: a total, and a verdict
    kept.update({f"20240415/{name}": (size, "GitHub API") for name, size in SEED_SIZES.items()})
    totals = verdict_of(cli(capsys, *COMPARE_SEED, "--offline")[1])
    assert totals.startswith("3 archives: 250.4 MB") and "fit" in totals.lower()
    data = json.loads(cli(capsys, *COMPARE_SEED, "--offline", "--json")[1])
    assert data["unknown_sizes"] == 0 and data["total"] == sum(SEED_SIZES.values())
    assert data["fits"] in (True, False)


def verdict_of(stdout: str) -> str:
    """compare's totals line without the path it names (a test's tmp path may say 'fit')."""
    return re.sub(r" on /\S+", "", stdout.splitlines()[-1])
