"""The loopback GitHub fake behaves like GitHub where a PBS client cares."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.github_fake import (
    FakeAsset,
    FakeGitHub,
    FakeRelease,
    content_sha256,
    default_sha256,
    default_size,
    pattern_bytes,
    release_from_names,
)

NAME = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
RELEASES_PATH = "/repos/astral-sh/python-build-standalone/releases"


def _releases(n: int) -> list[FakeRelease]:
    """n releases, one a day from 2024-04-01, each with the same asset name pattern."""
    return [
        release_from_names(f"202404{day:02d}", [f"cpython-3.12.{day}+202404{day:02d}-x.tar.gz"])
        for day in range(1, n + 1)
    ]


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    rels = [
        release_from_names("20240415", [NAME, "SHA256SUMS"]),
        release_from_names("20250612", ["cpython-3.13.5+20250612-x.tar.gz"]),
        FakeRelease("20250601", "2025-06-01T00:00:00Z", [FakeAsset("a.tar.gz", 10, "ab" * 32)]),
        FakeRelease("20250531", "2025-05-31T23:59:59Z", [FakeAsset("b.tar.gz", 10, "cd" * 32)]),
    ]
    with FakeGitHub(rels) as fake:
        yield fake


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, follow_redirects=False) as c:
        yield c


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


# -- helpers and shapes ----------------------------------------------------------------------
def test_release_from_names_defaults() -> None:
    rel = release_from_names("20240415", [NAME])
    assert rel.published_at == "2024-04-15T12:00:00Z"
    assert rel.assets == [FakeAsset(NAME, default_size(NAME), default_sha256("20240415", NAME))]
    assert 1000 <= default_size(NAME) < 51_000
    assert release_from_names("20240415", ["x"], size_of=len).assets[0].size == 1
    with pytest.raises(ValueError):
        release_from_names("latest", ["x"])


def test_release_object_fields(gh: FakeGitHub, http: httpx.Client) -> None:
    r = http.get(f"{gh.api}{RELEASES_PATH}/tags/20240415")
    assert r.status_code == 200
    rel = r.json()
    assert rel["tag_name"] == rel["name"] == "20240415"
    assert rel["published_at"] == rel["created_at"] == "2024-04-15T12:00:00Z"
    assert rel["draft"] is False and rel["prerelease"] is False
    assert isinstance(rel["id"], int)
    assert rel["html_url"].startswith(gh.web)
    asset = next(a for a in rel["assets"] if a["name"] == NAME)
    assert asset["label"] is None
    assert asset["content_type"] == "application/octet-stream"
    assert asset["state"] == "uploaded"
    assert asset["size"] == default_size(NAME)
    assert isinstance(asset["download_count"], int)
    assert asset["created_at"] == asset["updated_at"] == rel["published_at"]
    assert asset["browser_download_url"] == (
        f"{gh.web}/astral-sh/python-build-standalone/releases/download/20240415/"
        "cpython-3.12.3%2B20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
    )
    assert asset["url"] == f"{gh.api}{RELEASES_PATH}/assets/{asset['id']}"
    assert http.get(asset["url"]).json()["name"] == NAME


def test_tag_404_and_unknown_path(gh: FakeGitHub, http: httpx.Client) -> None:
    r = http.get(f"{gh.api}{RELEASES_PATH}/tags/19990101")
    assert r.status_code == 404
    assert r.json()["message"] == "Not Found"
    assert "x-ratelimit-remaining" in r.headers
    r = http.get(f"{gh.api}/repos/someone/else/releases")
    assert r.status_code == 404 and r.json()["message"] == "Not Found"


def test_digest_only_from_june_2025(gh: FakeGitHub, http: httpx.Client) -> None:
    rels = http.get(f"{gh.api}{RELEASES_PATH}").json()
    digests = {r["tag_name"]: r["assets"][0]["digest"] for r in rels}
    assert digests["20250601"] == "sha256:" + "ab" * 32
    assert digests["20250612"] == "sha256:" + default_sha256(
        "20250612", "cpython-3.13.5+20250612-x.tar.gz"
    )
    assert digests["20250531"] is None
    assert digests["20240415"] is None


# -- pagination ----------------------------------------------------------------------------
def test_newest_first_one_page_no_link(gh: FakeGitHub, http: httpx.Client) -> None:
    r = http.get(f"{gh.api}{RELEASES_PATH}")
    assert r.status_code == 200
    assert [x["tag_name"] for x in r.json()] == ["20250612", "20250601", "20250531", "20240415"]
    assert "link" not in r.headers


def test_pagination_three_pages() -> None:
    with FakeGitHub(_releases(25)) as gh, httpx.Client(timeout=5.0) as http:
        base = f"{gh.api}{RELEASES_PATH}"
        r1 = http.get(f"{base}?per_page=10&page=1")
        assert r1.headers["link"] == (
            f'<{base}?per_page=10&page=2>; rel="next", <{base}?per_page=10&page=3>; rel="last"'
        )
        tags = [x["tag_name"] for x in r1.json()]
        assert tags[0] == "20240425" and len(tags) == 10
        r2 = http.get(_links(r1)["next"])
        assert _links(r2) == {
            "prev": f"{base}?per_page=10&page=1",
            "next": f"{base}?per_page=10&page=3",
            "last": f"{base}?per_page=10&page=3",
            "first": f"{base}?per_page=10&page=1",
        }
        r3 = http.get(_links(r2)["next"])
        assert set(_links(r3)) == {"prev", "first"}
        tags += [x["tag_name"] for x in r2.json()] + [x["tag_name"] for x in r3.json()]
        assert tags == [f"202404{d:02d}" for d in range(25, 0, -1)]
        assert http.get(f"{base}?per_page=10&page=4").json() == []


def test_per_page_default_and_clamp() -> None:
    with FakeGitHub(_releases(28)) as gh, httpx.Client(timeout=5.0) as http:
        more = [
            FakeRelease(f"old{i}", f"2023-01-01T00:{i // 60:02d}:{i % 60:02d}Z") for i in range(100)
        ]
        gh.set_releases(gh.releases + more)  # 128 releases
        base = f"{gh.api}{RELEASES_PATH}"
        r = http.get(base)
        assert len(r.json()) == 30
        assert _links(r)["last"] == f"{base}?page=5"
        r = http.get(f"{base}?per_page=500")
        assert len(r.json()) == 100
        assert _links(r)["last"] == f"{base}?per_page=500&page=2"


# -- rate limit and ETags ----------------------------------------------------------------
def test_rate_limit_counts_down_to_403() -> None:
    with FakeGitHub(_releases(1), limit=3) as gh, httpx.Client(timeout=5.0) as http:
        url = f"{gh.api}{RELEASES_PATH}"
        seen = []
        for _ in range(3):
            r = http.get(url)
            assert r.status_code == 200
            assert r.headers["x-ratelimit-limit"] == "3"
            assert r.headers["x-ratelimit-resource"] == "core"
            seen.append(int(r.headers["x-ratelimit-remaining"]))
        assert seen == [2, 1, 0]
        r = http.get(url)
        assert r.status_code == 403
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert r.headers["x-ratelimit-used"] == "3"
        assert r.json()["message"].startswith("API rate limit exceeded for 127.0.0.1.")
        assert "documentation_url" in r.json()
        assert gh.api_calls() == 3
        reset = int(r.headers["x-ratelimit-reset"])
        first = gh.requests[0]
        assert first.counted and not gh.requests[-1].counted

        assert abs(reset - (time.time() + 3600)) < 60


def test_set_remaining_and_window_reset() -> None:
    now = [1_700_000_000.0]
    with (
        FakeGitHub(_releases(1), clock=lambda: now[0]) as gh,
        httpx.Client(timeout=5.0) as http,
    ):
        url = f"{gh.api}{RELEASES_PATH}"
        gh.set_remaining(1)
        r = http.get(url)
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert r.headers["x-ratelimit-reset"] == str(1_700_000_000 + 3600)
        assert http.get(url).status_code == 403
        now[0] += 3600
        r = http.get(url)
        assert r.status_code == 200 and r.headers["x-ratelimit-remaining"] == "59"


def test_304_is_free(gh: FakeGitHub, http: httpx.Client) -> None:
    url = f"{gh.api}{RELEASES_PATH}/tags/20240415"
    r = http.get(url)
    etag = r.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert r.headers["x-ratelimit-remaining"] == "59"
    for _ in range(3):
        r = http.get(url, headers={"If-None-Match": etag})
        assert r.status_code == 304 and r.content == b""
        assert r.headers["etag"] == etag
        assert r.headers["x-ratelimit-remaining"] == "59"
    assert http.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert gh.api_calls() == 2
    gh.set_remaining(0)  # a matching ETag still answers 304, free, with the quota spent
    r = http.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.headers["x-ratelimit-remaining"] == "0"
    assert http.get(url).status_code == 403


def test_token_gets_5000_counted_separately(gh: FakeGitHub, http: httpx.Client) -> None:
    url = f"{gh.api}{RELEASES_PATH}"
    gh.set_remaining(0)
    assert http.get(url).status_code == 403
    r = http.get(url, headers={"Authorization": "Bearer t0ken"})
    assert r.status_code == 200
    assert r.headers["x-ratelimit-limit"] == "5000"
    assert r.headers["x-ratelimit-remaining"] == "4999"
    assert gh.remaining() == 0 and gh.remaining(authenticated=True) == 4999
    assert gh.api_calls() == 1


# -- downloads -----------------------------------------------------------------------------
def test_head_download_redirects_to_objects(gh: FakeGitHub, http: httpx.Client) -> None:
    r = http.head(gh.download_url("20240415", NAME))
    assert r.status_code == 302
    loc = r.headers["location"]
    assert loc.startswith(gh.objects + "/")
    assert "sig=" in urlsplit(loc).query and "sp=r" in urlsplit(loc).query
    assert loc == gh.object_url("20240415", NAME)
    r = http.head(loc)
    assert r.status_code == 200
    assert r.headers["content-length"] == str(default_size(NAME))
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.content == b""
    # the name unquoted works too; unknown assets do not
    unquoted = f"{gh.web}/astral-sh/python-build-standalone/releases/download/20240415/{NAME}"
    assert http.get(unquoted).status_code == 302
    assert http.head(gh.download_url("20240415", "nope.tar.gz")).status_code == 404
    assert gh.head_calls() == 2
    assert http.get(loc.replace("sig=", "sig=x")).status_code == 403


def test_get_and_range(http: httpx.Client) -> None:
    size = 3 * 1024 * 1024 + 17
    rel = release_from_names("20240415", [NAME], size_of=lambda _: size)
    with FakeGitHub([rel]) as gh:
        loc = http.get(gh.download_url("20240415", NAME)).headers["location"]
        r = http.get(loc)
        assert r.status_code == 200 and len(r.content) == size
        assert r.content[:1000] == pattern_bytes(0, 1000)
        start = size - 100_000
        r = http.get(loc, headers={"Range": f"bytes={start}-"})
        assert r.status_code == 206
        assert len(r.content) == 100_000
        assert r.headers["content-range"] == f"bytes {start}-{size - 1}/{size}"
        assert r.content == pattern_bytes(start, 100_000)
        assert http.get(loc, headers={"Range": f"bytes={size}-"}).status_code == 416


def test_content_sha256_matches_served_bytes(http: httpx.Client) -> None:

    size = 200_003
    rel = release_from_names("20240415", [NAME], size_of=lambda _: size)
    with FakeGitHub([rel]) as gh:
        body = http.get(gh.object_url("20240415", NAME)).content
        assert hashlib.sha256(body).hexdigest() == content_sha256(size)


def test_early_disconnect_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    rel = release_from_names("20240415", [NAME], size_of=lambda _: 100 * 1024 * 1024)
    with FakeGitHub([rel]) as gh, httpx.Client(timeout=5.0) as http:
        with http.stream("GET", gh.object_url("20240415", NAME)) as r:
            next(r.iter_raw(65536))
        assert http.head(gh.object_url("20240415", NAME)).status_code == 200
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_objects_records_authorization(gh: FakeGitHub, http: httpx.Client) -> None:
    r = http.get(gh.download_url("20240415", NAME), headers={"Authorization": "Bearer t"})
    assert r.status_code == 302
    assert http.head(r.headers["location"]).status_code == 200
    assert gh.objects_saw_authorization is False
    web = [q for q in gh.requests if q.role == "web"]
    assert web[0].headers["authorization"] == "Bearer t"
    http.head(r.headers["location"], headers={"Authorization": "Bearer t"})
    assert gh.objects_saw_authorization is True


def test_astral_sizes_and_failure(gh: FakeGitHub, http: httpx.Client) -> None:
    url = gh.astral_url("20240415", NAME)
    assert url.startswith(gh.astral + "/github/python-build-standalone/releases/download/")
    r = http.head(url)
    assert r.status_code == 200
    assert r.headers["content-length"] == str(default_size(NAME))
    assert len(http.get(url).content) == default_size(NAME)
    assert http.head(gh.astral_url("20240415", "nope")).status_code == 404
    gh.astral_status = 404
    assert http.head(url).status_code == 404
    gh.astral_status = 500
    assert http.get(url).status_code == 500
    assert gh.head_calls() == 3
    assert {q.role for q in gh.requests} == {"astral"}
