"""Catalog sources against a loopback server: NDJSON index, API per tag, ETags, cache."""

from __future__ import annotations

import json

import pytest

from pybs_tui.catalog import sources
from pybs_tui.net.client import make_client
from pybs_tui.net.releases import fetch_release, head_size
from pybs_tui.service.catalog import (
    CatalogUnavailable,
    describe_source,
    load_catalog,
    read_catalog_arg,
)
from tests.support.catalogs import api_release, api_releases_json, ndjson_index
from tests.support.server import Route

A = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
B = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-debug-full.tar.zst"
C = "cpython-3.13.0+20241016-aarch64-apple-darwin-install_only_stripped.tar.gz"
SHA = {A: "a" * 64, B: "b" * 64, C: "c" * 64}
INDEX = ndjson_index(
    {"3.12.3+20240415": [(A, SHA[A]), (B, SHA[B])], "3.13.0+20241016": [(C, SHA[C])]}
)
RELEASES = [
    api_release("20241016", [(C, SHA[C], 17_000_000)]),
    api_release("20240415", [(A, SHA[A], 24_400_000), (B, SHA[B], 48_000_000)]),
]


def serve_live(server, index=INDEX, etag='"v1"'):
    server.add("/index.ndjson", Route(index, etag=etag))
    server.add(
        "/repos/astral-sh/python-build-standalone/releases",
        Route(api_releases_json(RELEASES[:1]), etag='"r1"'),
    )


def test_live_catalog_reads_index_and_newest_release(server, settings):
    serve_live(server)
    catalog = load_catalog(settings)
    assert catalog.source == "live"
    names = catalog.by_name
    assert {A, B, C} <= set(names)
    assert names[A].sha256 == SHA[A]
    assert names[C].size == 17_000_000  # from the API page
    assert names[A].size is None  # its release was not fetched
    assert describe_source(catalog, settings.clock()) == "live catalog"


def test_etag_turns_second_load_into_304(server, settings):
    serve_live(server)
    load_catalog(settings)
    load_catalog(settings)
    reqs = server.requests_for("/index.ndjson")
    assert len(reqs) == 2
    assert "if-none-match" not in reqs[0].headers
    assert reqs[1].headers["if-none-match"] == '"v1"'


def test_release_by_tag_gives_sizes_cached_by_sha(server, settings):
    serve_live(server)
    server.add(
        "/repos/astral-sh/python-build-standalone/releases/tags/20240415",
        Route(json.dumps(RELEASES[1]).encode(), etag='"t1"'),
    )
    load_catalog(settings)  # caches the index
    with make_client(settings) as client:
        parsed = fetch_release(client, settings, "20240415")
    assert {b.name: b.size for b in parsed.builds} == {A: 24_400_000, B: 48_000_000}
    settings.offline = True
    catalog = load_catalog(settings)  # offline: cache + remembered sizes by sha256
    assert catalog.by_name[A].size == 24_400_000


def test_token_goes_to_api_host_only(server, settings):
    settings.github_token = "sekrit"
    serve_live(server)
    load_catalog(settings)
    api = server.requests_for("/repos/astral-sh/python-build-standalone/releases?per_page=3")
    assert api[0].headers["authorization"] == "Bearer sekrit"
    assert "authorization" not in server.requests_for("/index.ndjson")[0].headers


def test_head_size_follows_redirects(server, settings):
    server.add("/final", Route(b"x" * 1234))
    server.add("/start", Route(redirect_to=server.url("/final")))
    with make_client(settings) as client:
        assert head_size(client, server.url("/start")) == (1234, "")


def test_dead_network_falls_back_to_snapshot(settings):
    settings.index_url = "http://127.0.0.1:9/index.ndjson"
    catalog = load_catalog(settings)
    assert catalog.source == "snapshot"
    assert len(catalog.builds) > 5000
    assert any("live catalog unavailable" in n for n in catalog.notes)
    assert describe_source(catalog, settings.clock()).startswith("embedded snapshot of ")


def test_offline_uses_cache_and_says_how_old(server, settings):
    serve_live(server)
    load_catalog(settings)
    settings.offline = True
    settings.clock = lambda: __import__("time").time() + 3 * 3600
    catalog = load_catalog(settings)
    assert catalog.source == "cache"
    assert describe_source(catalog, settings.clock()) == "cached catalog (3 hours old)"


@pytest.mark.parametrize("shape", ["ndjson", "api", "snapshot"])
def test_catalog_argument_reads_each_shape(tmp_path, settings, shape):
    if shape == "ndjson":
        data = INDEX
    elif shape == "api":
        data = api_releases_json(RELEASES)
    else:
        parsed = sources.parse_ndjson_index(INDEX)
        data = json.dumps(sources.snapshot_payload(parsed, "2026-01-01", ["test"])).encode()
    path = tmp_path / f"catalog.{shape}"
    path.write_bytes(data)
    catalog = read_catalog_arg(str(path), settings)
    assert sorted(catalog.by_name) == sorted([A, B, C])
    assert catalog.source == "file"


def test_catalog_argument_url(server, settings):
    serve_live(server)
    catalog = read_catalog_arg(server.url("/index.ndjson"), settings)
    assert set(catalog.by_name) == {A, B, C}


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"schema": "other"}'])
def test_unreadable_catalog_file_is_one_clear_error(tmp_path, settings, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CatalogUnavailable, match="cannot read catalog"):
        read_catalog_arg(str(path), settings)


def test_missing_catalog_file(tmp_path, settings):
    with pytest.raises(CatalogUnavailable, match="No such file"):
        read_catalog_arg(str(tmp_path / "nope.json"), settings)


def test_merge_fills_what_is_missing_and_never_overwrites_a_digest():
    from pybs_tui.catalog import sources as src

    name = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
    first = src.collect([(name, "a" * 64, None, "")])
    second = src.collect([(name, "b" * 64, 1234, "")], size_source="GitHub API")
    [merged] = src.merge(first, second).builds
    # two different digests: neither stands (issue 13: the first no longer silently wins)
    assert merged.sha256 is None and merged.conflict == ("a" * 64, "b" * 64)
    assert merged.size == 1234 and merged.size_source == "GitHub API"  # the size is filled in
    # the embedded snapshot (a fallback) fills gaps but never contradicts a live digest
    [kept] = src.merge(first, fallback=second).builds
    assert kept.sha256 == "a" * 64 and kept.conflict == () and kept.size == 1234
