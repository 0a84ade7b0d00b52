"""Reliability cases of issue 13, network and catalog side (holes 8, 12, 13, 14 and parts of 15).

JSON nesting bombs in every catalog shape, downloads of unknown size, answers that are too big
or never end, size lookups with a mirror set, digests and URLs with a trailing newline or a bad
port, a home that is a file, two digests for one name, and `file://` mirrors.

Servers that misbehave below the HTTP layer (no Content-Length, a byte at a time, headers that
never end) are `RawServer`s: each connection gets a scripted byte sequence, and the server
records whether the client hung up before the script's end. Deadlines are injected through
Limits, so nothing here waits more than a fraction of a second when the code is right.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from pybs_tui.catalog import sources
from pybs_tui.catalog.models import PBS_DOWNLOAD_PREFIX
from pybs_tui.catalog.names import parse_name
from pybs_tui.net.cache import INDEX_KEY, _key_path, read_entry
from pybs_tui.net.client import NetError, get_following
from pybs_tui.net.download import DownloadError, download
from pybs_tui.net.releases import (
    fetch_index,
    fetch_recent_releases,
    fetch_release,
    fetch_sha256sums,
    head_size,
    iter_release_pages,
)
from pybs_tui.service.catalog import (
    CatalogUnavailable,
    load_catalog,
    load_offline,
    read_catalog_arg,
    release_update,
)
from pybs_tui.service.sizes import fetch_sizes, head_one
from pybs_tui.settings import DEFAULT_GITHUB_API, PBS_REPO, Settings
from tests.install.helpers import TAG, make_world, pbs_archive
from tests.support.catalogs import api_release, ndjson_index
from tests.support.cli import run_cli
from tests.support.server import Route, sha256

NAME = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
SHA = "d" * 64
INDEX = ndjson_index({"3.12.3+20240415": [(NAME, SHA)]})
RELEASES_PATH = f"/repos/{PBS_REPO}/releases"
BOMB = b"[" * 100_000


def one_line(text: str) -> None:
    """The user's message: one line, short, no traceback, no control characters."""
    assert "Traceback" not in text, text
    assert "\n" not in text.strip(), text
    assert len(text) < 400, text
    assert not any(ord(c) < 32 for c in text.strip()), repr(text)


def cli_error(proc) -> str:
    """The one line a failing CLI run printed (and nothing like a traceback)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("pybs-tui: error:")]
    assert len(lines) == 1, proc.stderr
    one_line(lines[0])
    return lines[0]


# -- a server below HTTP ----------------------------------------------------------------------


@dataclasses.dataclass
class Script:
    """What one connection is sent: `head` at once, then `pieces` one by one `gap` s apart."""

    head: bytes = b""
    pieces: list[bytes] = dataclasses.field(default_factory=list)
    gap: float = 0.0


class RawServer:
    """A loopback TCP server answering every connection with `script(request bytes)`.

    `hung_up` is set when a client closed the connection before its script was sent; `done`
    when a script was sent to its end. Both let a test say who gave up first, without timing.
    """

    def __init__(self, script: Callable[[bytes], Script]) -> None:
        self.script = script
        self.hung_up = threading.Event()
        self.done = threading.Event()
        self.requests: list[bytes] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(10)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                server.requests.append(data)
                plan = server.script(data)
                try:
                    if plan.head:
                        conn.sendall(plan.head)
                    for piece in plan.pieces:
                        if plan.gap:
                            time.sleep(plan.gap)
                        conn.sendall(piece)
                    server.done.set()
                except OSError:
                    server.hung_up.set()

        class TCP(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.tcp = TCP(("127.0.0.1", 0), Handler)
        self.port = self.tcp.server_address[1]
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def no_length(body: bytes, piece: int = 65536) -> Script:
    """A 200 without Content-Length: the body ends when the connection closes."""
    head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
    return Script(head, [body[i : i + piece] for i in range(0, len(body), piece)])


def drip_body(body: bytes, gap: float = 0.05) -> Script:
    """A 200 whose body comes one byte every `gap` seconds (each read is quick)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
    return Script(head, [body[i : i + 1] for i in range(len(body))], gap)


def drip_headers(gap: float = 0.05, count: int = 100) -> Script:
    """Headers that never end: one more header byte every `gap` seconds."""
    return Script(b"HTTP/1.1 200 OK\r\nX-Slow: ", [b"a"] * count, gap)


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[bytes], Script]], RawServer]]:
    started: list[RawServer] = []

    def start(script: Callable[[bytes], Script]) -> RawServer:
        srv = RawServer(script).__enter__()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.__exit__()


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings whose every request must end within half a second."""
    settings.limits.request_deadline = 0.5
    settings.limits.download_deadline = 0.5
    settings.limits.download_retries = 0
    return settings


# -- hole 8: JSON nesting bombs -----------------------------------------------------------------


BOMBS = {
    "array": BOMB,
    "ndjson line": INDEX + b'{"version": "3.12.3+20240415", "artifacts": ' + BOMB + b"\n",
    "snapshot": b'{"schema": "pybs-tui-snapshot/2", "releases": [{"tag": ' + BOMB + b"}",
    "api release": b'[{"tag_name": "20240415", "assets": [' + b'{"a":' * 50_000 + b"}",
}


@pytest.mark.parametrize("shape", list(BOMBS))
def test_h8_a_nesting_bomb_in_a_catalog_file_is_one_line(tmp_path, shape):
    path = tmp_path / "bomb.json"
    path.write_bytes(BOMBS[shape])
    with pytest.raises(CatalogUnavailable) as info:
        read_catalog_arg(str(path), Settings.from_env())
    one_line(str(info.value))
    assert "nested" in str(info.value) or "not JSON" in str(info.value)


def test_h8_a_nesting_bomb_through_the_cli_is_one_line_exit_2(tmp_path):
    path = tmp_path / "bomb.json"
    path.write_bytes(BOMB)
    proc = run_cli("list", "--catalog", str(path), home=tmp_path / "home")
    assert proc.returncode == 2
    assert "cannot read catalog" in cli_error(proc)


def test_h8_a_bomb_in_the_live_index_is_never_cached(server, settings, tmp_path):
    # first a good index is cached, then the live index turns into a bomb
    server.add("/index.ndjson", Route(INDEX, etag='"good"'))
    server.add(RELEASES_PATH, Route(b"[]"))
    assert load_catalog(settings).source == "live"
    good = read_entry(settings.catalog_cache_dir, INDEX_KEY)
    assert good is not None
    server.add("/index.ndjson", Route(INDEX + BOMB, etag='"bomb"'))
    catalog = load_catalog(settings)
    assert catalog.source == "cache" and NAME in catalog.by_name
    assert any("malformed" in n and "nested" in n for n in catalog.notes), catalog.notes
    kept = read_entry(settings.catalog_cache_dir, INDEX_KEY)
    assert kept is not None and kept.body == good.body and kept.etag == '"good"'
    # with nothing cached before, nothing is cached after
    _key_path(settings.catalog_cache_dir, INDEX_KEY).unlink()
    assert load_catalog(settings).source == "snapshot"
    assert read_entry(settings.catalog_cache_dir, INDEX_KEY) is None
    assert load_offline(settings).source == "snapshot"


def test_h8_a_bomb_in_the_live_index_then_list_offline_through_the_cli(server, tmp_path):
    server.add("/index.ndjson", Route(BOMB))
    server.add(RELEASES_PATH, Route(b"[]"))
    home = tmp_path / "home"
    env = {"PYBS_TUI_INDEX_URL": server.url("/index.ndjson"), "PYBS_TUI_GITHUB_API": server.base}
    live = run_cli("list", home=home, **env)
    assert live.returncode == 0 and "Traceback" not in live.stderr, live.stderr
    assert "live catalog unavailable" in live.stderr
    offline = run_cli("list", "--offline", home=home, **env)
    assert offline.returncode == 0 and "Traceback" not in offline.stderr, offline.stderr


def test_h8_a_cached_bomb_is_dropped_not_a_crash(settings):
    from pybs_tui.net.cache import CacheEntry, write_entry

    write_entry(settings.catalog_cache_dir, INDEX_KEY, CacheEntry("u", None, 0.0, BOMB))
    catalog = load_offline(settings)
    assert catalog.source == "snapshot"
    assert any("corrupt" in n for n in catalog.notes)
    assert read_entry(settings.catalog_cache_dir, INDEX_KEY) is None


def test_h8_bombs_in_api_answers_are_one_line_and_not_cached(server, settings, client):
    bomb = b'{"tag_name": "20240415", "assets": ' + BOMB
    server.add(RELEASES_PATH, Route(bomb))
    server.add(f"{RELEASES_PATH}/tags/{TAG}", Route(bomb))
    readers = {
        "recent": lambda: fetch_recent_releases(client, settings),
        "release": lambda: fetch_release(client, settings, TAG),
        "pages": lambda: list(iter_release_pages(client, settings)),
    }
    for what, read in readers.items():
        with pytest.raises(NetError) as info:
            read()
        one_line(str(info.value))
        assert "nested" in str(info.value), what
    cached = sorted(p.name for p in settings.catalog_cache_dir.glob("*.cache"))
    assert cached == []


# -- hole 12: downloads of unknown size ---------------------------------------------------------


def test_h12_a_download_of_unknown_size_stops_at_the_cap(raw, settings, client, dest):
    settings.limits.max_download_bytes = 1 << 20
    srv = raw(lambda req: no_length(b"\0" * (8 << 20)))
    with pytest.raises(DownloadError) as info:
        download(client, settings, srv.url("/a.tar.gz"), dest, expected_sha256=SHA)
    message = str(info.value)
    one_line(message)
    assert "more than 1048576 bytes" in message
    assert srv.hung_up.wait(5) and not srv.done.is_set()
    assert sorted(p.name for p in dest.parent.iterdir()) == []


def test_h12_a_content_length_over_the_cap_is_refused_before_the_body(
    server, settings, client, dest
):
    settings.limits.max_download_bytes = 1 << 20
    body = b"\1" * (2 << 20)
    url = server.add("/a.tar.gz", Route(body))
    with pytest.raises(DownloadError) as info:
        download(client, settings, url, dest, expected_sha256=sha256(body))
    one_line(str(info.value))
    assert "2097152 bytes" in str(info.value) and "1048576" in str(info.value)
    assert not dest.exists() and sorted(p.name for p in dest.parent.iterdir()) == []


def test_h12_the_expected_size_is_the_exact_bound(raw, settings, client, dest):
    srv = raw(lambda req: no_length(b"\0" * (4 << 20)))
    with pytest.raises(DownloadError, match="more than 1000 bytes"):
        download(client, settings, srv.url("/a"), dest, expected_sha256=SHA, expected_size=1000)
    assert srv.hung_up.wait(5) and not srv.done.is_set()
    assert sorted(p.name for p in dest.parent.iterdir()) == []


# -- hole 13: every read bounded in bytes and in time -------------------------------------------


def _readers(settings: Settings, client, url: str) -> dict[str, Callable[[], object]]:
    """Every way the app reads an answer from outside, pointed at `url`."""
    api = dataclasses.replace(settings, github_api=url.rsplit("/", 1)[0])
    index = dataclasses.replace(settings, index_url=url)
    return {
        "index": lambda: fetch_index(client, index),
        "api recent": lambda: fetch_recent_releases(client, api),
        "api release": lambda: fetch_release(client, api, TAG),
        "api pages": lambda: list(iter_release_pages(client, api)),
        "SHA256SUMS": lambda: fetch_sha256sums(client, settings, TAG, url.rsplit("/", 1)[0]),
        "--catalog URL": lambda: read_catalog_arg(url, settings),
        "download": lambda: download(
            client, settings, url, settings.downloads_dir / NAME, expected_sha256=SHA
        ),
    }


READERS = [
    "index",
    "api recent",
    "api release",
    "api pages",
    "SHA256SUMS",
    "--catalog URL",
    "download",
]


def _fails_in_one_line(read: Callable[[], object]) -> str:
    with pytest.raises((NetError, DownloadError, CatalogUnavailable)) as info:
        read()
    one_line(str(info.value))
    return str(info.value)


@pytest.mark.parametrize("reader", READERS)
def test_h13_a_dripping_body_stops_at_the_deadline(raw, quick, client, reader):
    srv = raw(lambda req: drip_body(b"[" + b" " * 200 + b"]"))
    message = _fails_in_one_line(_readers(quick, client, srv.url("/x/y"))[reader])
    assert "0.5 s" in message, message
    assert srv.hung_up.wait(5) and not srv.done.is_set()


@pytest.mark.parametrize("reader", [*READERS, "HEAD"])
def test_h13_headers_that_never_end_stop_at_the_deadline(raw, quick, client, reader):
    srv = raw(lambda req: drip_headers())
    url = srv.url("/x/y")
    if reader == "HEAD":  # the size lookup the TUI and `sizes` run
        build = parse_name(NAME, url=url)
        assert build is not None
        size, why = head_one(client, quick, build)
        assert size is None
        one_line(why)
        message = why
    else:
        message = _fails_in_one_line(_readers(quick, client, url)[reader])
    assert "0.5 s" in message, message
    assert srv.hung_up.wait(5) and not srv.done.is_set()


@pytest.mark.parametrize("reader", [r for r in READERS if r != "download"])
def test_h13_an_answer_over_the_byte_cap_is_refused(raw, settings, client, reader):
    settings.limits.max_answer_bytes = 64 * 1024
    body = b"[" + b" " * (32 << 20) + b"]"  # more than loopback's socket buffers hold
    srv = raw(lambda req: no_length(body))
    message = _fails_in_one_line(_readers(settings, client, srv.url("/x/y"))[reader])
    assert "more than 65536 bytes" in message, message
    assert srv.hung_up.wait(5) and not srv.done.is_set()
    assert sorted(p.name for p in settings.catalog_cache_dir.glob("*.cache")) == []


def test_h13_a_dripping_index_leaves_list_to_the_cache_or_snapshot(raw, quick):
    srv = raw(lambda req: drip_body(INDEX))
    quick.index_url = srv.url("/index.ndjson")
    catalog = load_catalog(quick)
    assert catalog.source == "snapshot"
    assert any("0.5 s" in n for n in catalog.notes), catalog.notes


def test_h13_the_deadline_reaches_the_cli(raw, tmp_path):
    """PYBS_TUI_REQUEST_DEADLINE bounds a live `list` (a stuck index answer is left behind)."""
    srv = raw(lambda req: drip_headers(count=400))
    proc = run_cli(
        "list",
        home=tmp_path / "home",
        PYBS_TUI_INDEX_URL=srv.url("/index.ndjson"),
        PYBS_TUI_REQUEST_DEADLINE="0.5",
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "live catalog unavailable" in proc.stderr and "0.5 s" in proc.stderr
    assert srv.hung_up.wait(5) and not srv.done.is_set()


# -- hole 14: every size lookup honours the mirror ----------------------------------------------


class ProxyLog:
    """A proxy that refuses everything and remembers what it was asked (CONNECT host:port)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

        def script(request: bytes) -> Script:
            self.asked.append(request.split(b"\r\n", 1)[0].decode("latin-1"))
            return Script(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

        self.server = RawServer(script)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def proxy(monkeypatch) -> Iterator[ProxyLog]:
    log = ProxyLog()
    with log.server:
        for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", log.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        yield log


LEGACY_PREFIX = "https://github.com/indygreg/python-build-standalone/releases/download"
ASTRAL = "https://releases.astral.sh/github/python-build-standalone/releases/download"


def _mirrored_builds(names: list[str]) -> list:
    """Builds whose URLs name PBS's download hosts in every shape catalogs use."""
    prefixes = [PBS_DOWNLOAD_PREFIX, LEGACY_PREFIX, ASTRAL]
    out = []
    for i, name in enumerate(names):
        url = f"{prefixes[i % len(prefixes)]}/{TAG}/{quote(name)}"
        build = parse_name(name, url=url)
        assert build is not None
        out.append(build)
    return out


NAMES = [
    f"cpython-3.12.3+{TAG}-x86_64-unknown-linux-gnu-{tail}"
    for tail in ("install_only.tar.gz", "install_only_stripped.tar.gz", "pgo+lto-full.tar.zst")
]


def test_h14_sizes_with_a_mirror_go_to_the_mirror_only(proxy, server, settings, client):
    for i, name in enumerate(NAMES):
        server.add(f"/mirror/{TAG}/{quote(name)}", Route(b"x" * (100 + i)))
    mirrored = dataclasses.replace(
        settings, mirror=server.url("/mirror"), github_api=DEFAULT_GITHUB_API
    )
    builds = _mirrored_builds(NAMES)
    for i, build in enumerate(builds):
        assert head_one(client, mirrored, build) == (100 + i, "")
    report = fetch_sizes(mirrored, builds, releases_newest_first=[TAG], client=client)
    assert {n: s for n, (s, _) in report.found.items()} == {n: 100 + i for i, n in enumerate(NAMES)}
    # the TUI's release listing (the compare screen asks one per release): not to GitHub
    from pybs_tui.catalog.models import Catalog

    catalog = Catalog(builds, "live", "test")
    assert release_update(mirrored, catalog, TAG, client) is None
    assert proxy.asked == []
    asked = {r.path.split("/")[1] for r in server.log}
    assert asked == {"mirror"}


@pytest.mark.anyio
async def test_h14_the_tui_compare_screen_asks_the_mirror_only(proxy, server, tmp_path):
    """The compare screen asks each release's listing (API) and the sizes (HEAD) of its
    columns: with a mirror set and GitHub's API host, everything goes to the mirror."""
    from pybs_tui.ui.app import PybsApp
    from pybs_tui.ui.screens.compare import CompareScreen
    from tests.ui import factory
    from tests.ui.conftest import ready, until

    tag = factory.SEED_TAG
    for name, size in factory.SEED_SIZES.items():
        server.add(f"/mirror/{tag}/{quote(name)}", Route(b"x" * (size // 10_000)))
    settings = dataclasses.replace(
        factory.make_settings(tmp_path / "home", offline=False, api=DEFAULT_GITHUB_API),
        mirror=server.url("/mirror"),
    )
    catalog = factory.seed_catalog(sizes=False, source="live")  # URLs on GitHub's host
    app = PybsApp(settings, catalog=catalog, host=factory.SEED_HOST)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, CompareScreen)
        known = lambda: all(  # noqa: E731
            app.index.by_name[n].size is not None for n in factory.SEED_NAMES
        )
        await until(pilot, known, "every size, from the mirror")
        await app.workers.wait_for_complete()
        assert app.is_running
    assert proxy.asked == []
    assert {r.path.split("/")[1] for r in server.log} == {"mirror"}
    assert {app_size for app_size in (b.size for b in app.index.builds)} == {
        size // 10_000 for size in factory.SEED_SIZES.values()
    }


def test_h14_the_api_goes_to_the_configured_api_host_only(proxy, server, settings, client):
    """A Link rel=next to another host is not followed: the API is the configured host."""
    page = json.dumps([api_release(TAG, [(NAMES[0], SHA, 100)])]).encode()
    server.add(
        RELEASES_PATH,
        Route(page, headers={"Link": '<https://api.github.com/evil?page=2>; rel="next"'}),
    )
    pages = list(iter_release_pages(client, settings))
    assert len(pages) == 1
    assert proxy.asked == []


def test_h14_an_explicit_api_host_is_still_used_with_a_mirror(proxy, server, settings, client):
    server.add(
        f"{RELEASES_PATH}/tags/{TAG}",
        Route(json.dumps(api_release(TAG, [(NAMES[0], SHA, 100)])).encode()),
    )
    mirrored = dataclasses.replace(settings, mirror=server.url("/mirror"))
    parsed = fetch_release(client, mirrored, TAG)
    assert [b.size for b in parsed.builds] == [100]
    assert proxy.asked == []


# -- hole 15: trailing newlines, bad URLs, a home that is a file ---------------------------------


def test_h15_a_digest_with_a_trailing_newline_is_refused(tmp_path):
    for bad in (f"sha256:{SHA}\n", f"{SHA}\n", f"{SHA}\r\n", f" {SHA}"):
        assert sources.clean_sha256(bad) is None, repr(bad)
    assert sources.clean_sha256(f"sha256:{SHA}") == SHA
    # nor a name or a tag with one
    assert parse_name(NAME + "\n") is None
    index = ndjson_index({"3.12.3+20240415": [(NAME, SHA + "\n")]})
    parsed = sources.parse_any(index)
    assert [b.sha256 for b in parsed.builds] == [None]
    api = json.dumps(api_release(TAG, [(NAME, SHA, 1)])).replace(SHA, SHA + "\\n")
    assert [b.sha256 for b in sources.parse_any(api.encode()).builds] == [None]


def test_h15_a_digest_with_a_newline_never_reaches_an_install(tmp_path, server, shared_client):
    """The hole: 'sha256:<hex>\\n' was accepted, then every reinstall said the folder
    'holds a different build'. Now the digest is no digest: the install asks SHA256SUMS."""
    world = make_world(tmp_path, server, shared_client)
    name, archive = pbs_archive(version="3.12.3")
    server.add(f"/dl/{TAG}/{quote(name)}", archive.data)
    listing = api_release(TAG, [(name, archive.sha256, archive.size)], base=server.url("/dl"))
    listing["assets"][0]["digest"] = f"sha256:{archive.sha256}\n"
    parsed = sources.parse_api_releases([listing])
    [build] = parsed.builds
    assert build.sha256 is None
    server.add(f"/dl/{TAG}/SHA256SUMS", f"{archive.sha256}  {name}\n".encode())
    settings = dataclasses.replace(world.settings, github_api=server.base, mirror=server.url("/dl"))
    from pybs_tui.service.install import install_build

    result = install_build(settings, build, client=shared_client)
    assert result.receipt["sha256"] == archive.sha256
    again = install_build(settings, build, client=shared_client)
    assert again.already_installed


BAD_URLS = [
    "http://127.0.0.1:99999/m",
    "http://exa\x1bmple.com/m",
    "http://127.0.0.1:80\n/m",
    "ftp://example.com/m",
    "http:///nohost",
    "http://[::1/m",
]
URL_SETTINGS = [
    *((var, url) for var in ("PYBS_TUI_MIRROR", "PYBS_TUI_INDEX_URL", "PYBS_TUI_GITHUB_API")
      for url in BAD_URLS),
    ("PYBS_TUI_MIRROR", "file://remote-host/srv/m"),
    ("UV_PYTHON_INSTALL_MIRROR", "http://127.0.0.1:99999/m"),
]  # fmt: skip


@pytest.mark.parametrize(("var", "url"), URL_SETTINGS)
def test_h15_an_unparseable_url_setting_is_one_line_exit_2(tmp_path, var, url):
    proc = run_cli("list", "--offline", home=tmp_path / "home", **{var: url})
    assert proc.returncode == 2
    assert var in cli_error(proc)


def test_h15_a_file_url_is_refused_for_the_index_and_the_api(tmp_path):
    for var in ("PYBS_TUI_INDEX_URL", "PYBS_TUI_GITHUB_API"):
        proc = run_cli("list", "--offline", home=tmp_path / "home", **{var: "file:///srv/x"})
        assert proc.returncode == 2 and var in cli_error(proc)


@pytest.mark.parametrize("arg", ["http://127.0.0.1:99999/c.json", "http://bad\x07host/c.json"])
def test_h15_an_unparseable_catalog_url_is_one_line_exit_2(tmp_path, arg):
    proc = run_cli("list", "--catalog", arg, home=tmp_path / "home")
    assert proc.returncode == 2
    assert "cannot read catalog" in cli_error(proc)


def test_h15_an_unparseable_mirror_option_is_one_line_exit_2(tmp_path):
    proc = run_cli(
        "install", "3.12", "--offline", "--mirror", "http://h:99999/", home=tmp_path / "h"
    )
    assert proc.returncode == 2 and "mirror" in cli_error(proc)


@pytest.mark.parametrize("which", ["home", "data", "cache", "under a file"])
@pytest.mark.parametrize(
    "command", [("list", "--offline"), ("install", "3.12", "--offline"), ("installed",)]
)
def test_h15_a_home_that_is_a_file_is_one_line(tmp_path, which, command):
    home = tmp_path / "home"
    if which == "home":
        home.write_text("not a folder")
    elif which == "under a file":
        (tmp_path / "file").write_text("x")
        home = tmp_path / "file" / "home"
    else:
        home.mkdir()
        (home / which).write_text("not a folder")
    proc = run_cli(*command, home=home)
    assert proc.returncode != 0
    line = cli_error(proc)
    assert "not a folder" in line and "PYBS_TUI_HOME" in line


def test_h15_a_home_that_cannot_be_created_is_one_line(tmp_path):
    """mkdir fails for everyone, root included: a name longer than the file system takes."""
    proc = run_cli("list", "--offline", home=tmp_path / ("x" * 300) / "home")
    assert proc.returncode != 0
    assert "cannot create" in cli_error(proc)


# -- hole 15: one name, two digests -------------------------------------------------------------


def test_h15_two_digests_for_one_name_within_a_source_leave_no_digest():
    other = "e" * 64
    index = ndjson_index({"3.12.3+20240415": [(NAME, SHA), (NAME, other)]})
    parsed = sources.parse_ndjson_index(index)
    [build] = parsed.builds
    assert build.sha256 is None and build.conflict == tuple(sorted((SHA, other)))
    # the same digest twice is no conflict
    same = sources.parse_ndjson_index(ndjson_index({"3.12.3+20240415": [(NAME, SHA), (NAME, SHA)]}))
    assert [(b.sha256, b.conflict) for b in same.builds] == [(SHA, ())]


def test_h15_two_digests_for_one_name_across_sources_leave_no_digest():
    other = "e" * 64
    index = sources.parse_ndjson_index(ndjson_index({"3.12.3+20240415": [(NAME, SHA)]}))
    api = sources.parse_api_releases([api_release(TAG, [(NAME, other, 5)])])
    for merged in (sources.merge(index, api), sources.merge(api, index)):
        [build] = merged.builds
        assert build.sha256 is None and build.conflict == tuple(sorted((SHA, other)))
        assert build.size == 5
    agreeing = sources.merge(
        index, sources.parse_api_releases([api_release(TAG, [(NAME, SHA, 5)])])
    )
    assert [(b.sha256, b.conflict, b.size) for b in agreeing.builds] == [(SHA, (), 5)]


def test_h15_a_conflicting_name_installs_only_when_sha256sums_confirms(
    tmp_path, server, shared_client
):
    world = make_world(tmp_path, server, shared_client)
    name, archive = pbs_archive(version="3.12.3")
    server.add(f"/dl/{TAG}/{quote(name)}", archive.data)
    bogus = "e" * 64
    index = sources.parse_ndjson_index(
        ndjson_index({f"3.12.3+{TAG}": [(name, bogus)]}).replace(
            PBS_DOWNLOAD_PREFIX.encode(), server.url("/dl").encode()
        )
    )
    api = sources.parse_api_releases(
        [api_release(TAG, [(name, archive.sha256, archive.size)], base=server.url("/dl"))]
    )
    [build] = sources.merge(index, api).builds
    assert build.conflict and build.sha256 is None
    settings = dataclasses.replace(world.settings, github_api=server.base, mirror=server.url("/dl"))
    server.add(
        f"{RELEASES_PATH}/tags/{TAG}",
        Route(json.dumps(api_release(TAG, [(name, archive.sha256, archive.size)])).encode()),
    )
    # the API says one of the two digests; that is not a confirmation: SHA256SUMS is absent
    world.settings = settings
    message = world.refused(build, "disagree")
    assert bogus in message or "SHA256SUMS" in message
    # SHA256SUMS names a third digest: refused
    server.add(f"/dl/{TAG}/SHA256SUMS", f"{'f' * 64}  {name}\n".encode())
    world.refused(build, "disagree")
    # SHA256SUMS confirms one of the two: installed with that one
    server.add(f"/dl/{TAG}/SHA256SUMS", f"{archive.sha256}  {name}\n".encode())
    from pybs_tui.service.install import install_build

    result = install_build(settings, build, client=shared_client)
    assert result.receipt["sha256"] == archive.sha256


# -- hole 15: file:// mirrors -------------------------------------------------------------------


def _file_mirror(tmp_path: Path, name: str, data: bytes) -> Path:
    root = tmp_path / "mirror"
    (root / TAG).mkdir(parents=True)
    (root / TAG / name).write_bytes(data)
    return root


def test_h15_a_file_mirror_installs_like_uvs(tmp_path, server, shared_client):
    world = make_world(tmp_path, server, shared_client)
    name, archive = pbs_archive(version="3.12.3")
    root = _file_mirror(tmp_path, name, archive.data)
    build = parse_name(name, url=f"{PBS_DOWNLOAD_PREFIX}/{TAG}/{quote(name)}")
    build = build.with_source(sha256=archive.sha256, size=archive.size)
    settings = dataclasses.replace(world.settings, mirror=root.as_uri())
    from pybs_tui.service.install import install_build

    result = install_build(settings, build, client=shared_client)
    assert result.receipt["sha256"] == archive.sha256 and result.receipt["source"] == "mirror"
    # sizes come from the mirror's file
    assert head_one(shared_client, settings, build.with_source(size=None)) == (archive.size, "")
    # offline works too: the mirror is a folder
    offline = dataclasses.replace(settings, offline=True)
    again = install_build(offline, build, client=shared_client, force=True)
    assert again.receipt["sha256"] == archive.sha256


def _mirror_download(settings, client, root: Path, name: str, **kw):
    url = f"{root.as_uri()}/{TAG}/{quote(name)}"
    dest = settings.downloads_dir / name
    mirrored = dataclasses.replace(settings, mirror=root.as_uri())
    return download(client, mirrored, url, dest, **kw), dest


def test_h15_a_file_mirror_has_the_same_checks(tmp_path, settings, client):
    data = b"archive bytes" * 1000
    root = _file_mirror(tmp_path, NAME, data)
    result, dest = _mirror_download(settings, client, root, NAME, expected_sha256=sha256(data))
    assert result.verified and dest.read_bytes() == data
    dest.unlink()
    leftovers = lambda: sorted(p.name for p in dest.parent.iterdir())  # noqa: E731
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        _mirror_download(settings, client, root, NAME, expected_sha256=SHA)
    assert leftovers() == []
    with pytest.raises(DownloadError, match="size mismatch"):
        _mirror_download(
            settings, client, root, NAME, expected_sha256=sha256(data), expected_size=10
        )
    assert leftovers() == []
    settings.limits.max_download_bytes = 1000
    with pytest.raises(DownloadError, match="more than 1000 bytes"):
        _mirror_download(settings, client, root, NAME, expected_sha256=sha256(data))
    assert leftovers() == []
    with pytest.raises(DownloadError, match="not in the mirror"):
        _mirror_download(
            settings, client, root, "cpython-3.12.3+20240415-x.tar.gz", expected_sha256=SHA
        )


def test_h15_a_file_mirror_does_not_follow_links_out(tmp_path, settings, client):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.tar.gz"
    secret.write_bytes(b"not yours")
    root = tmp_path / "mirror"
    (root / TAG).mkdir(parents=True)
    (root / TAG / NAME).symlink_to(secret)
    with pytest.raises(DownloadError) as info:
        _mirror_download(settings, client, root, NAME, expected_sha256=sha256(b"not yours"))
    one_line(str(info.value))
    assert "outside the mirror" in str(info.value)
    # a folder link out of the mirror too
    (root / TAG / NAME).unlink()
    (root / TAG).rmdir()
    (root / TAG).symlink_to(outside, target_is_directory=True)
    (outside / NAME).write_bytes(b"not yours")
    with pytest.raises(DownloadError, match="outside the mirror"):
        _mirror_download(settings, client, root, NAME, expected_sha256=sha256(b"not yours"))
    # a path that climbs out
    with pytest.raises(DownloadError, match="outside the mirror"):
        _mirror_download(settings, client, root, "../outside/secret.tar.gz", expected_sha256=SHA)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")
def test_h15_a_file_mirror_refuses_what_is_not_a_regular_file(tmp_path, settings, client):
    root = tmp_path / "mirror"
    (root / TAG).mkdir(parents=True)
    os.mkfifo(root / TAG / NAME)  # opening a FIFO for reading would block for ever
    with pytest.raises(DownloadError, match="not a regular file"):
        _mirror_download(settings, client, root, NAME, expected_sha256=SHA)


def test_h15_a_file_mirrors_sha256sums_is_read(tmp_path, settings, client):
    root = tmp_path / "mirror"
    (root / TAG).mkdir(parents=True)
    (root / TAG / "SHA256SUMS").write_text(f"{SHA}  {NAME}\n")
    mirrored = dataclasses.replace(settings, mirror=root.as_uri())
    assert fetch_sha256sums(client, mirrored, TAG, root.as_uri()) == {NAME: SHA}


def test_h15_a_file_mirror_through_the_cli(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    proc = run_cli("list", "--offline", home=tmp_path / "home", PYBS_TUI_MIRROR=root.as_uri())
    assert proc.returncode == 0, proc.stderr


def test_h15_bad_urls_inside_the_app_are_one_line(server, settings, client):
    """A URL from outside that httpx cannot parse is a NetError, never InvalidURL."""
    for url in ("http://127.0.0.1:99999/x", "http://a\x00b/x", "http://[::1/x"):
        with pytest.raises(NetError) as info:
            get_following(client, url)
        one_line(str(info.value))
        size, why = head_size(client, url)
        assert size is None
        one_line(why)
    for url in ("http://127.0.0.1:99999/x", "http://[::1/x"):
        with pytest.raises(DownloadError) as dl:
            download(client, settings, url, settings.downloads_dir / NAME, expected_sha256=SHA)
        one_line(str(dl.value))
