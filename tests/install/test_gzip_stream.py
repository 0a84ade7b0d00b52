"""_GzipStream with either inflater (python-isal's, or zlib's when isal is missing): the same
bytes out as gzip.decompress, the same checks, and the same verdict on hostile gzip frames."""

from __future__ import annotations

import gzip
import io
import os
import random
import struct
import sys
import zlib
from pathlib import Path

import pytest

from pybs_tui.install import extract
from pybs_tui.install.extract import ArchiveRefused, extract_archive
from pybs_tui.install.root import remove_tree
from pybs_tui.settings import Settings
from tests.install.helpers import make_settings, staging_left
from tests.support.archives import Member, make_archive, pbs_members

try:
    from isal import isal_zlib
except ImportError:  # the zlib fallback is still tested
    isal_zlib = None

INFLATERS = [pytest.param(zlib, id="zlib")]
if isal_zlib is not None:
    INFLATERS.append(pytest.param(isal_zlib, id="isal"))


@pytest.fixture(params=INFLATERS)
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(extract, "_inflate", request.param)
    monkeypatch.setattr(extract, "_INFLATE_ERRORS", (zlib.error, request.param.error))
    return request.param


def read_all(data: bytes, piece: int = extract.READ_PIECE) -> bytes:
    stream = extract._GzipStream(io.BytesIO(data))  # type: ignore[arg-type]
    out = []
    while chunk := stream.read(piece):
        assert len(chunk) <= piece  # the output bound per call holds
        out.append(chunk)
    return b"".join(out)


def member_with_fields(payload: bytes) -> bytes:
    """A gzip member carrying FEXTRA, FNAME, FCOMMENT and FHCRC."""
    body = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = body.compress(payload) + body.flush()
    flags = 2 | 4 | 8 | 16
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\0\xff"
    head += struct.pack("<H", 3) + b"xyz" + b"name\0" + b"comment\0" + b"\0\0"
    tail = struct.pack("<II", zlib.crc32(payload), len(payload) & 0xFFFFFFFF)
    return head + deflated + tail


def test_same_bytes_as_gzip_for_every_shape(inflater: object) -> None:
    rng = random.Random(14)
    big = bytes(rng.randrange(256) for _ in range(300_000)) + b"\0" * (5 << 20)
    cases = [
        (gzip.compress(b""), b""),
        (gzip.compress(big), big),
        (gzip.compress(b"a" * 100) + gzip.compress(b"b" * 100), b"a" * 100 + b"b" * 100),
        (gzip.compress(b"a" * 100) + b"\0" * 1000, b"a" * 100),  # zero padding after it
        (member_with_fields(b"fields" * 1000), b"fields" * 1000),
    ]
    for data, payload in cases:
        assert read_all(data) == payload
    # pieces much smaller than the input: the output bound drives unconsumed_tail
    assert read_all(gzip.compress(big), piece=4096) == big


def test_refusals_are_the_same_for_either_inflater(inflater: object) -> None:
    good = gzip.compress(os.urandom(50_000) + b"z" * 200_000)
    bad_crc = bytearray(good)
    bad_crc[-8] ^= 1
    with pytest.raises(gzip.BadGzipFile, match="CRC check failed"):
        read_all(bytes(bad_crc))
    bad_len = bytearray(good)
    bad_len[-1] ^= 1
    with pytest.raises(gzip.BadGzipFile, match="Incorrect length"):
        read_all(bytes(bad_len))
    with pytest.raises(EOFError):
        read_all(good[: len(good) // 2])
    with pytest.raises(gzip.BadGzipFile, match="Not a gzipped file"):
        read_all(good + b"junk")
    with pytest.raises(gzip.BadGzipFile, match="Unknown compression method"):
        read_all(good[:2] + b"\x07" + good[3:])
    corrupt = bytearray(good)
    corrupt[12:20] = b"\xff" * 8  # an invalid block type inside the deflate stream
    with pytest.raises((*extract._INFLATE_ERRORS, gzip.BadGzipFile, EOFError)):
        read_all(bytes(corrupt))


def _verdict(data: bytes) -> tuple[str, bytes]:
    try:
        return "ok", read_all(data)
    except gzip.BadGzipFile as exc:
        return f"BadGzipFile {exc}", b""
    except EOFError:
        return "EOFError", b""
    except extract._INFLATE_ERRORS:
        return "corrupt", b""


@pytest.mark.skipif(isal_zlib is None, reason="python-isal is not installed here")
def test_isal_and_zlib_agree_on_mutated_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bounded fuzz (fixed seed): for every mutant both inflaters give the same bytes, or
    both refuse it the same way (a corrupt stream may be worded differently)."""
    rng = random.Random(1414)
    base = gzip.compress(b"".join(b"line %d of some text\n" % (i * i % 977) for i in range(8000)))
    disagreements = []
    seen: set[str] = set()
    for i in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(10, len(data))] = rng.randrange(256)
        if i % 5 == 0:
            del data[rng.randrange(10, len(data)) :]
        verdicts = []
        for module in (zlib, isal_zlib):
            monkeypatch.setattr(extract, "_inflate", module)
            monkeypatch.setattr(extract, "_INFLATE_ERRORS", (zlib.error, module.error))
            verdicts.append(_verdict(bytes(data)))
        if verdicts[0] != verdicts[1]:
            disagreements.append((i, verdicts[0][0], verdicts[1][0]))
        seen.add(verdicts[1][0].split(" ")[0])
    assert disagreements == []
    assert {"BadGzipFile", "EOFError", "corrupt"} <= seen, seen  # it reached every refusal


def test_archive_extracts_and_corrupt_one_is_refused(inflater: object, tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path)
    members = [*pbs_members(), Member("python/lib/blob", os.urandom(100_000) + b"\0" * 300_000)]
    # (a byte changed inside a stored block would only show in the CRC of the gzip trailer,
    # which is past the tar's end: the download's sha256 is what catches that)
    data = make_archive(members, "tar.gz").data
    path = tmp_path / "a.tar.gz"
    path.write_bytes(data)
    result = extract_archive(settings, path)
    assert (result.root / "lib" / "blob").read_bytes()[-300_000:] == b"\0" * 300_000
    remove_tree(result.staging)
    corrupt = bytearray(data)
    corrupt[10:18] = b"\xff" * 8  # the first deflate block: an invalid block type
    path.write_bytes(bytes(corrupt))
    with pytest.raises(ArchiveRefused, match=r"corrupt|truncated"):
        extract_archive(settings, path)
    assert staging_left(settings.install_dir) == []


def test_zlib_is_the_inflater_where_isal_is_missing() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "isal", None)  # import isal raises ImportError
        patch.setitem(sys.modules, "isal.isal_zlib", None)
        assert extract._inflater() is zlib
    assert extract._inflater() is (isal_zlib or zlib)
