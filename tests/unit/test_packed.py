"""The packed (pre-parsed) catalog: the shipped form equals parsing the snapshot's names, it is
what start-up reads, and a packed form from the cache folder that does not check out is
ignored with a note (the catalog is parsed again and still right)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os

import pytest

from pybs_tui.catalog import packed, sources
from pybs_tui.catalog.models import Build
from pybs_tui.net.cache import INDEX_KEY, CacheEntry, write_entry
from pybs_tui.resources import packed_snapshot_path, snapshot_path
from pybs_tui.service import catalog as service
from tests.support.catalogs import ndjson_index

GNU = "x86_64-unknown-linux-gnu"
NEW = f"cpython-3.12.3+20240415-{GNU}-install_only.tar.gz"
SHA = "ab" * 32


def test_the_shipped_packed_form_equals_parsing_every_name_of_the_snapshot():
    data = snapshot_path().read_bytes()
    parsed = sources.parse_snapshot(json.loads(data))
    payload = json.loads(packed_snapshot_path().read_bytes())
    # tied to these very bytes: run `scripts/build_snapshot.py --repack` after editing them
    assert payload["source_sha256"] == hashlib.sha256(data).hexdigest()
    unpacked = packed.unpack(payload, hashlib.sha256(data).hexdigest())
    assert len(unpacked.builds) == len(parsed.builds) > 20_000
    assert unpacked.builds == parsed.builds  # every field of every Build, in the same order
    assert unpacked.others == parsed.others
    assert unpacked.published == parsed.published


def test_start_up_reads_the_packed_form_not_the_names(monkeypatch):
    monkeypatch.setattr(sources, "parse_snapshot", lambda payload: pytest.fail("names parsed"))
    service._read_snapshot.cache_clear()
    try:
        parsed, generated, _ = service.load_snapshot()
    finally:
        service._read_snapshot.cache_clear()
    assert len(parsed.builds) > 20_000 and generated is not None


def test_a_snapshot_edited_without_repacking_is_parsed(monkeypatch, tmp_path):
    """The packed form of other bytes is never used: the snapshot is parsed instead."""
    edited = json.loads(snapshot_path().read_bytes())
    edited["releases"][0]["assets"] = edited["releases"][0]["assets"][:1]
    path = tmp_path / "catalog-snapshot.json"
    path.write_text(json.dumps(edited))
    monkeypatch.setattr(service, "snapshot_path", lambda: path)
    service._read_snapshot.cache_clear()
    try:
        parsed, _, _ = service.load_snapshot()
    finally:
        service._read_snapshot.cache_clear()
    assert parsed.builds == sources.parse_snapshot(edited).builds


def _odd_catalog() -> sources.Parsed:
    """Every case the packed form treats apart: an old timestamped name, a name set aside,
    a non-canonical URL, a sha256 conflict, sizes from two sources, both marks."""
    rows = [
        (NEW, SHA, 123, "", "u"),
        (f"cpython-3.13.0+20241008-{GNU}-freethreaded+pgo+lto-full.tar.zst", None, None, "", "d"),
        (f"cpython-3.14.0rc3+20250917-{GNU}-install_only_stripped.tar.gz", None, 5, "", "du"),
        ("cpython-3.10.0-x86_64-apple-darwin-pgo+lto-20211017T1616.tar.zst", SHA, None,
         f"{sources.PBS_DOWNLOAD_PREFIX}/20211017/x.tar.zst", ""),
        ("cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-weird-full.tar.zst", None, 7, "", ""),
    ]  # fmt: skip
    parsed = sources.collect(rows, size_source="GitHub API")
    builds = list(parsed.builds)
    builds[0] = dataclasses.replace(builds[0], url="https://mirror.example/a/b.tar.gz")
    builds[1] = dataclasses.replace(builds[1], sha256=None, conflict=(SHA, "cd" * 32))
    builds[2] = builds[2].with_source(size=5, size_source="HEAD request")
    return sources.Parsed(builds, parsed.others, {"20240415": "2024-04-15T00:00:00Z"})


def test_pack_and_unpack_keep_every_field():
    parsed = _odd_catalog()
    assert parsed.others  # the name with an unknown option is set aside
    form = json.loads(json.dumps(packed.pack(parsed, "key")))  # through JSON, as stored
    assert len(form["raw"]) == 2  # the old timestamped name and the one set aside
    back = packed.unpack(form, "key")
    assert back.builds == parsed.builds
    assert back.others == parsed.others
    assert back.published == parsed.published


def _form() -> dict:
    return json.loads(json.dumps(packed.pack(_odd_catalog(), "key")))


HOSTILE = {
    "another schema": lambda f: f.update(schema="pybs-tui-packed/0"),
    "an index past the table": lambda f: f["columns"]["body"].__setitem__(0, 99),
    "a negative index": lambda f: f["columns"]["version"].__setitem__(0, -1),
    "a text index": lambda f: f["columns"]["tag"].__setitem__(0, "0"),
    "a float index": lambda f: f["columns"]["format"].__setitem__(0, 0.0),
    "a short column": lambda f: f["columns"]["sha256"].pop(),
    "upper-case hex": lambda f: f["columns"]["sha256"].__setitem__(0, "AB" * 32),
    "a short sha256": lambda f: f["columns"]["sha256"].__setitem__(0, "ab" * 31),
    "a negative size": lambda f: f["columns"]["size"].__setitem__(0, -1),
    "a size as text": lambda f: f["columns"]["size"].__setitem__(0, "1"),
    "unknown marks": lambda f: f["columns"]["marks"].__setitem__(0, "x"),
    "a path in a body": lambda f: f["bodies"].__setitem__(0, "../../etc-full"),
    "a body the parser sets aside": lambda f: f["bodies"].__setitem__(
        0, "x86_64-unknown-linux-gnu-weird-full"
    ),
    "a version that is not one": lambda f: f["versions"].__setitem__(0, "3.12"),
    "a tag in the future": lambda f: f["tags"].__setitem__(0, "29990101"),
    "a tag of letters": lambda f: f["tags"].__setitem__(0, "2024041x"),
    "a name listed twice": lambda f: [col.append(col[0]) for col in f["columns"].values()],
    "a javascript URL": lambda f: f["extras"].__setitem__("0", {"url": "javascript:alert(1)"}),
    "extras of no row": lambda f: f["extras"].__setitem__("99", {"url": "https://x/y"}),
    "a control character": lambda f: f["size_sources"].__setitem__(1, "API\x1b[2J"),
    "a raw row that is junk": lambda f: f["raw"].__setitem__(0, ["x", None, None, "", "", "", "", []]),  # noqa: E501
    "a raw row too short": lambda f: f["raw"].__setitem__(0, ["x"]),
    "not a mapping": lambda f: f.clear(),
    "columns as a list": lambda f: f.update(columns=[]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_packed_form_is_refused_with_one_error(case):
    form = _form()
    packed.unpack(copy.deepcopy(form), "key")  # the unchanged form reads
    HOSTILE[case](form)
    with pytest.raises(packed.PackedError):
        packed.unpack(form, "key")


def test_a_form_made_from_other_bytes_is_stale():
    with pytest.raises(packed.PackedStale):
        packed.unpack(_form(), "other key")


# -- the cached index, packed in the cache folder --------------------------------------------


def _cache_index(settings) -> bytes:
    body = ndjson_index({"3.12.3+20240415": [(NEW, SHA)]})
    write_entry(
        settings.catalog_cache_dir, INDEX_KEY, CacheEntry(settings.index_url, None, 1.0, body)
    )
    return body


def _packed_file(settings):
    return settings.catalog_cache_dir / service.PARSED_INDEX_FILE


def test_the_cached_index_is_packed_once_and_read_back_without_parsing(settings, monkeypatch):
    settings = dataclasses.replace(settings, offline=True)
    _cache_index(settings)
    first = service.load_offline(settings)
    assert first.source == "cache" and NEW in first.by_name
    assert _packed_file(settings).is_file()
    monkeypatch.setattr(sources, "parse_ndjson_index", lambda data: pytest.fail("parsed again"))
    again = service.load_offline(settings)
    assert again.builds == first.builds and again.notes == first.notes == []


@pytest.mark.parametrize(
    "content",
    [
        b"\x00garbage",
        b"[" * 100_000,  # a nesting bomb
        "fields missing",  # the right schema and key, nothing else
        "hostile",  # a well-formed form whose first body is a path
    ],
)
def test_a_corrupt_or_hostile_packed_cache_is_ignored_with_a_note(settings, content):
    settings = dataclasses.replace(settings, offline=True)
    _cache_index(settings)
    right = service.load_offline(settings)
    path = _packed_file(settings)
    if isinstance(content, str):
        form = json.loads(path.read_bytes())
        if content == "hostile":
            form["bodies"][0] = "../../../etc/passwd-full"
        else:
            form = {"schema": form["schema"], "source_sha256": form["source_sha256"]}
        content = json.dumps(form).encode()
    path.write_bytes(content)
    catalog = service.load_offline(settings)
    assert catalog.builds == right.builds  # parsed again: still right
    assert any("parsed catalog in the cache was unusable" in n for n in catalog.notes)
    fixed = service.load_offline(settings)  # and written again, good this time
    assert fixed.notes == [] and fixed.builds == right.builds


def test_a_packed_cache_over_the_size_limit_is_not_read(settings):
    settings = dataclasses.replace(settings, offline=True)
    settings = dataclasses.replace(
        settings, limits=dataclasses.replace(settings.limits, max_answer_bytes=1000)
    )
    _cache_index(settings)
    service.load_offline(settings)
    path = _packed_file(settings)
    path.write_bytes(b" " * 5000)
    catalog = service.load_offline(settings)
    assert any("more than 1000 bytes" in n for n in catalog.notes)
    assert NEW in catalog.by_name


def test_a_fifo_in_place_of_the_packed_cache_does_not_block(settings):
    settings = dataclasses.replace(settings, offline=True)
    _cache_index(settings)
    path = _packed_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    catalog = service.load_offline(settings)  # read_bounded refuses it without blocking
    assert NEW in catalog.by_name


def test_a_changed_index_is_parsed_again_without_a_note(settings):
    settings = dataclasses.replace(settings, offline=True)
    _cache_index(settings)
    service.load_offline(settings)
    other = f"cpython-3.13.1+20241206-{GNU}-install_only.tar.gz"
    body = ndjson_index({"3.13.1+20241206": [(other, SHA)]})
    write_entry(
        settings.catalog_cache_dir, INDEX_KEY, CacheEntry(settings.index_url, None, 2.0, body)
    )
    catalog = service.load_offline(settings)
    assert other in catalog.by_name and catalog.notes == []
    assert isinstance(catalog.by_name[other], Build)
