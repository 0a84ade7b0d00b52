"""Issue 13's catalog fuzz: mutated catalog JSON (NDJSON index lines, API release pages, the
snapshot) never raises anything but the one-line format error, and a bad answer is never
cached.

Bounded and deterministic: a fixed seed and a fixed count per shape (about 10 s on a loaded
2-core machine). Mutations work on bytes (flips, cuts, inserted brackets and nesting bombs,
duplicated lines) and on the parsed tree (a node replaced by a value of another type, deep
nesting, huge numbers, strings with newlines and control characters, a second digest for a
name).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from pybs_tui.catalog import sources
from pybs_tui.catalog.names import parse_name
from pybs_tui.net.cache import INDEX_KEY, CacheEntry, read_entry, write_entry
from pybs_tui.net.client import NetError, make_client
from pybs_tui.net.releases import fetch_index, fetch_release
from pybs_tui.service.catalog import CatalogUnavailable, load_catalog, read_catalog_arg
from pybs_tui.settings import PBS_REPO
from tests.support.catalogs import api_release, ndjson_index
from tests.support.server import Route

SEED = 1313
PER_SHAPE = 700  # mutations parsed in process, per shape
LIVE = 40  # of those, mutations served by the loopback server and loaded as the app does
TAG = "20240415"
GNU = "x86_64-unknown-linux-gnu"
NAMES = [
    f"cpython-3.12.3+{TAG}-{GNU}-install_only.tar.gz",
    f"cpython-3.12.3+{TAG}-{GNU}-install_only_stripped.tar.gz",
    f"cpython-3.12.3+{TAG}-{GNU}-pgo+lto-full.tar.zst",
    f"cpython-3.11.9+{TAG}-aarch64-apple-darwin-install_only.tar.gz",
]
DIGESTS = {n: f"{i + 1:x}" * 64 for i, n in enumerate(NAMES)}
INDEX = ndjson_index(
    {
        f"3.12.3+{TAG}": [(n, DIGESTS[n]) for n in NAMES[:3]],
        f"3.11.9+{TAG}": [(NAMES[3], DIGESTS[NAMES[3]])],
    }
)
RELEASE = api_release(TAG, [(n, DIGESTS[n], 1000 + i) for i, n in enumerate(NAMES)])
API_PAGE = json.dumps([RELEASE, api_release("20240107", [])]).encode()
SNAPSHOT = json.dumps(
    {
        "schema": sources.SNAPSHOT_SCHEMA,
        "generated": "2026-01-01T00:00:00",
        "sources": ["test"],
        "releases": [
            {
                "tag": TAG,
                "published": "2024-04-15",
                "assets": [[n, DIGESTS[n], 1000, "u"] for n in NAMES],
            }
        ],
    }
).encode()
SHAPES = {"ndjson": INDEX, "api": API_PAGE, "snapshot": SNAPSHOT}

# -- mutations ----------------------------------------------------------------------------------


def _odd_value(rng: random.Random) -> Any:
    """A JSON value of a shape the catalog never has."""
    depth = rng.choice([2, 17, 40, 200])
    return rng.choice(
        [
            None,
            True,
            -1,
            2**70,
            1.5e308,
            "",
            "x" * rng.randint(1, 3000),
            f"sha256:{'a' * 64}\n",
            "a" * 64 + "\n",
            "\x1b]0;title\x07\x1b[2J",
            "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz\n",
            "../../etc/passwd",
            "[bold]x[/b]",
            [],
            {},
            [[]] * 3,
            {"a": {"b": {"c": []}}},
            json.loads("[" * depth + "]" * depth),
            {"tag": TAG, "assets": "nope"},
        ]
    )


def _nodes(tree: Any, path: tuple = ()) -> list[tuple]:
    """Every path into `tree` (lists and dicts)."""
    out = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _nodes(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += _nodes(value, (*path, i))
    return out


def _replace_at(tree: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree


def _tree_mutation(data: bytes, rng: random.Random) -> bytes:
    """One node of one JSON document (or NDJSON line) replaced, or a second digest added."""
    lines = data.splitlines()
    i = rng.randrange(len(lines))
    tree = json.loads(lines[i])
    if rng.random() < 0.15:  # a name listed again with another digest
        blob = json.dumps(tree)
        for name in NAMES:
            blob = blob.replace(DIGESTS[name], "f" * 64, 1) if rng.random() < 0.5 else blob
        lines.append(blob.encode())
        return b"\n".join(lines) + b"\n"
    path = rng.choice(_nodes(tree))
    tree = _replace_at(copy.deepcopy(tree), path, _odd_value(rng))
    lines[i] = json.dumps(tree).encode()
    return b"\n".join(lines) + b"\n"


def _byte_mutation(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        at = rng.randrange(len(out) + 1)
        if kind == 0 and out:  # flip a byte
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif kind == 1:  # cut
            del out[at:]
        elif kind == 2:  # a nesting bomb, closed or not
            k = rng.choice([17, 1000, 100_000])
            bomb = rng.choice([b"[" * k, b'{"a":' * k, b"[" * k + b"]" * k])
            out[at:at] = bomb
        elif kind == 3:  # brackets and quotes
            out[at:at] = bytes(rng.choice(b'[]{}",:\\\n') for _ in range(rng.randint(1, 20)))
        elif kind == 4:  # a line again
            lines = bytes(out).splitlines(keepends=True)
            if lines:
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
                out = bytearray(b"".join(lines))
        elif kind == 5:  # invalid UTF-8, control characters
            out[at:at] = rng.choice([b"\xff\xfe", b"\x00", b"\x1b[2J", b"\xc3"])
        else:  # a huge number
            out[at:at] = b"9" * rng.choice([10, 5000])
    return bytes(out)


def mutations(shape: str) -> list[bytes]:
    rng = random.Random(f"{SEED}-{shape}")
    data = SHAPES[shape]
    out = []
    for _ in range(PER_SHAPE):
        mutate = _tree_mutation if rng.random() < 0.5 else _byte_mutation
        out.append(mutate(data, rng))
    return out


# -- what must hold -----------------------------------------------------------------------------


def check_parsed(parsed: sources.Parsed) -> None:
    """A parsed catalog holds only plain names and well-formed digests."""
    for b in parsed.builds + parsed.others:
        assert parse_name(b.name) is not None and "\n" not in b.name, repr(b.name)
        assert b.sha256 is None or (
            len(b.sha256) == 64 and set(b.sha256) <= set("0123456789abcdef")
        ), repr(b.sha256)
        conflict = getattr(b, "conflict", ())
        assert all(len(d) == 64 for d in conflict)
        assert b.sha256 is None or not conflict


def parse_or_refuse(parse: Callable[[bytes], sources.Parsed], data: bytes) -> bool:
    """True if `data` parsed (and is sound), False if refused with one line."""
    try:
        parsed = parse(data)
    except sources.CatalogFormatError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 400, message
        return False
    check_parsed(parsed)
    return True


@pytest.mark.parametrize("shape", list(SHAPES))
def test_fuzz_parsing_gives_a_catalog_or_one_line(shape):
    parsers: list[Callable[[bytes], sources.Parsed]] = [sources.parse_any]
    if shape == "ndjson":
        parsers.append(sources.parse_ndjson_index)
    outcomes = {True: 0, False: 0}
    for data in mutations(shape):
        for parse in parsers:
            outcomes[parse_or_refuse(parse, data)] += 1
    assert outcomes[True] and outcomes[False], outcomes  # the fuzz reaches both outcomes


def test_fuzz_catalog_files_are_one_line(tmp_path, settings):
    path = tmp_path / "catalog.json"
    for shape in SHAPES:
        for data in mutations(shape)[:: PER_SHAPE // 20]:
            path.write_bytes(data)
            try:
                read_catalog_arg(str(path), settings)
            except CatalogUnavailable as exc:
                assert "\n" not in str(exc) and len(str(exc)) < 600, str(exc)


def test_fuzz_live_answers_are_never_cached_unless_they_parse(server, settings):
    """The live index and an API release answer, mutated: the app loads a catalog (live,
    cached or snapshot), and the cache holds either the last good answer or one that
    parses."""
    server.add("/index.ndjson", Route(INDEX, etag='"good"'))
    server.add(f"/repos/{PBS_REPO}/releases", Route(API_PAGE))
    assert load_catalog(settings).source == "live"
    root = settings.catalog_cache_dir
    good = read_entry(root, INDEX_KEY)
    assert good is not None
    index_bad = mutations("ndjson")[:LIVE]
    api_bad = mutations("api")[:LIVE]
    release_path = f"/repos/{PBS_REPO}/releases/tags/{TAG}"
    with make_client(settings) as client:
        for n, (index, answer) in enumerate(zip(index_bad, api_bad, strict=True)):
            write_entry(root, INDEX_KEY, good)
            server.add("/index.ndjson", Route(index, etag=f'"bad-{n}"'))
            server.add(f"/repos/{PBS_REPO}/releases", Route(answer))
            catalog = load_catalog(settings, client=client)
            assert catalog.source in ("live", "cache"), catalog.notes
            for note in catalog.notes:
                assert "\n" not in note and len(note) < 600, note
            kept = read_entry(root, INDEX_KEY)
            assert kept is not None
            if kept.body != good.body:
                assert kept.body == index
                assert parse_or_refuse(sources.parse_ndjson_index, kept.body)
            try:
                fetch_index(client, settings)
            except NetError as exc:
                assert "\n" not in str(exc)
            # one release's API answer: parsed, or refused and not cached
            server.add(release_path, Route(answer, etag=f'"r-{n}"'))
            try:
                fetch_release(client, settings, TAG)
            except NetError as exc:
                assert "\n" not in str(exc)
                cached = read_entry(root, f"api-release-{TAG}")
                assert cached is None or cached.body != answer
            else:
                cached = read_entry(root, f"api-release-{TAG}")
                assert cached is not None and cached.body == answer
    # a bad body planted in the cache is dropped, not a crash, the next time it is read
    write_entry(root, INDEX_KEY, CacheEntry("u", None, 0.0, b"[" * 100_000))
    settings.offline = True
    assert load_catalog(settings).source == "snapshot"
    assert read_entry(root, INDEX_KEY) is None
