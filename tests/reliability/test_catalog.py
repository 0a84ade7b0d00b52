"""Reliability cases 27, 38 and 39: rate limits, a corrupt catalog cache, hostile API pages."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from pybs_tui.catalog import sources
from pybs_tui.net.cache import CacheEntry, _key_path, read_entry, write_entry
from pybs_tui.net.client import make_client
from pybs_tui.net.releases import INDEX_KEY, iter_release_pages
from pybs_tui.service.catalog import load_catalog
from tests.support.catalogs import api_release, ndjson_index
from tests.support.cli import cli_env, run_cli
from tests.support.server import Route

NAME = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
INDEX = ndjson_index({"3.12.3+20240415": [(NAME, "d" * 64)]})
RELEASES_PATH = "/repos/astral-sh/python-build-standalone/releases"


def test_case27_rate_limit_is_one_request_and_names_the_token(server, settings):
    server.add("/index.ndjson", Route(INDEX, etag='"i"'))
    reset = str(int(time.time()) + 600)
    server.add(
        RELEASES_PATH,
        Route(
            b'{"message": "API rate limit exceeded"}',
            status=403,
            headers={
                "x-ratelimit-remaining": "0",
                "x-ratelimit-limit": "60",
                "x-ratelimit-reset": reset,
            },
        ),
    )
    catalog = load_catalog(settings)
    assert len(server.requests_for(RELEASES_PATH + "?per_page=3")) == 1
    assert catalog.source == "live" and NAME in catalog.by_name  # still usable
    [note] = catalog.notes
    assert "rate limit" in note and "GITHUB_TOKEN" in note and "0 of 60 left" in note


def _cached_index(server, settings):
    server.add("/index.ndjson", Route(INDEX, etag='"good"'))
    server.add(RELEASES_PATH, Route(b"[]"))
    load_catalog(settings)
    path = _key_path(settings.catalog_cache_dir, INDEX_KEY)
    assert path.exists()
    return path


def _corruptions(path):
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    meta = json.loads(head)
    yield "truncated", raw[: len(raw) // 2]
    yield "junk", b"\x00\xff garbage"
    yield "unknown schema", json.dumps(dict(meta, schema="v99")).encode() + b"\n" + body
    yield "valid etag, corrupt body", head + b"\n" + body.replace(b"sha256", b"SHAXXX")


def test_case38_corrupt_cache_is_dropped_and_refetched_unconditionally(server, settings):
    path = _cached_index(server, settings)
    for label, bad in list(_corruptions(path)):
        path.write_bytes(bad)
        before = len(server.requests_for("/index.ndjson"))
        catalog = load_catalog(settings)
        req = server.requests_for("/index.ndjson")[before]
        assert "if-none-match" not in req.headers, label
        assert catalog.source == "live" and NAME in catalog.by_name, label
        assert read_entry(settings.catalog_cache_dir, INDEX_KEY) is not None, label


def test_case38_offline_with_corrupt_cache_uses_snapshot_with_banner(server, settings):
    path = _cached_index(server, settings)
    path.write_bytes(b"{truncated")
    settings.offline = True
    catalog = load_catalog(settings)
    assert catalog.source == "snapshot"
    assert len(catalog.builds) > 5000
    assert not path.exists()


def test_case38_offline_cli_with_corrupt_cache_says_snapshot(tmp_path):
    home = tmp_path / "h"
    cache = home / "cache" / "catalog"
    cache.mkdir(parents=True)
    (cache / f"{INDEX_KEY}.cache").write_bytes(b"junk")
    out = run_cli("list", "--offline", home=home)
    assert out.returncode == 0, out.stderr
    assert "embedded snapshot" in out.stderr
    assert "Traceback" not in out.stderr


def test_case38_kill_during_cache_write_keeps_old_file(tmp_path):
    root = tmp_path / "cache"
    write_entry(root, "k", CacheEntry("u", '"e"', 1.0, b"old body"))
    script = (
        "import os, sys, pathlib\n"
        "from pybs_tui import fileops\n"
        "from pybs_tui.net import cache\n"
        "def die(*a): os.kill(os.getpid(), 9)\n"
        "fileops.os.replace = die\n"
        f"cache.write_entry(pathlib.Path({str(root)!r}), 'k', "
        "cache.CacheEntry('u', None, 2.0, b'new body' * 1000))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=60, env=cli_env(tmp_path)
    )
    assert proc.returncode == -9
    entry = read_entry(root, "k")
    assert entry is not None and entry.body == b"old body"


def _page(server, n, total, loop=False):
    names = [f"cpython-3.12.{n}+2024041{n}-x86_64-unknown-linux-gnu-install_only.tar.gz"]
    body = json.dumps([api_release(f"2024041{n}", [(names[0], f"{n}" * 64, 1000 + n)])]).encode()
    nxt = 1 if loop and n == total else n + 1
    headers = {}
    if n < total or loop:
        headers["Link"] = (
            f'<{server.url(RELEASES_PATH)}?per_page=100&page={nxt}>; rel="next", '
            f'<{server.url(RELEASES_PATH)}?per_page=100&page={total}>; rel="last"'
        )
    return Route(body, headers=headers)


def test_case39_assets_over_three_pages_all_found(server, settings):
    server.add(RELEASES_PATH + "?per_page=100", _page(server, 1, 3))
    for n in (2, 3):
        server.add(f"{RELEASES_PATH}?per_page=100&page={n}", _page(server, n, 3))
    with make_client(settings) as client:
        pages = list(iter_release_pages(client, settings))
    names = [b.name for p in pages for b in p.builds]
    assert len(names) == 3 and len(set(names)) == 3


def test_case39_link_loop_is_bounded(server, settings):
    server.add(RELEASES_PATH + "?per_page=100", _page(server, 1, 2))
    server.add(f"{RELEASES_PATH}?per_page=100&page=2", _page(server, 2, 2, loop=True))
    server.add(f"{RELEASES_PATH}?per_page=100&page=1", _page(server, 1, 2))
    with make_client(settings) as client:
        pages = list(iter_release_pages(client, settings))
    assert 2 <= len(pages) <= 3
    assert len(server.log) <= 3


def test_case39_hostile_and_future_names(server, settings):
    good = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
    hostile = [
        "../../etc/passwd",
        "cpython-3.12.3+20240415-x86_64/../../x-full.tar.zst",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.exe",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-full.tar.zst\\evil",
    ]
    future = [
        "cpython-3.16.0+20260101-loongarch64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.16.0+20260101-x86_64_v4-unknown-linux-gnu-freethreaded+debug-full.tar.zst",
        "cpython-3.16.0+20260101-x86_64-unknown-linux-gnu-pgo+jit-full.tar.zst",
        "cpython-3.16.0+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz",
    ]
    release = api_release("20260101", [(n, "e" * 64, 10) for n in [good, *hostile, *future]])
    parsed = sources.parse_api_releases([release])
    assert [b.name for b in parsed.builds] == [good, future[1]]  # x86_64_v4+ft+debug is known
    assert sorted(b.name for b in parsed.others) == sorted([future[0], future[2], future[3]])
    assert all(b.problem for b in parsed.others)
