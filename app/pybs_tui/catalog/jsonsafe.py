"""JSON from outside, parsed with bounds: the nesting depth is checked before parsing (a
nesting bomb of 100,000 '[' is refused instead of raising RecursionError, and nothing deeper
than MAX_DEPTH ever reaches the code that reads it), and every failure is a `JSONRefused` (a
ValueError) with one line.

The check works on bytes with C-speed operations only (replace, split, translate), in
linear time and bounded memory: string contents are dropped (escapes first), the brackets
kept, then innermost pairs are removed pass after pass; a document of depth d is empty after
d passes.
"""

from __future__ import annotations

import json
from typing import Any

#: Deepest nesting accepted. PBS's shapes nest 5 deep at most (the snapshot's
#: {releases: [{assets: [[...]]}]}); GitHub's release lists 5 (list > release > assets > asset >
#: uploader). 16 leaves room and keeps the check quick (about 2 s for 64 MB made to be slow).
MAX_DEPTH = 16
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_CHUNK = 1 << 20


class JSONRefused(ValueError):
    """Not JSON, or JSON nested deeper than allowed; str() is one line."""


def _brackets(data: bytes) -> bytes:
    """The brackets of `data` outside string literals, in order."""
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # no quote is escaped now
    out = []
    inside = False
    for start in range(0, len(data), _CHUNK):
        parts = data[start : start + _CHUNK].split(b'"')
        out.append(b"".join(parts[1::2] if inside else parts[0::2]).translate(None, _NOT_BRACKETS))
        if len(parts) % 2 == 0:  # an odd number of quotes: the string state flips
            inside = not inside
    return b"".join(out)


def nesting_depth_over(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `data` nests arrays/objects deeper than `limit`. Unbalanced brackets are
    left to the parser (it refuses them)."""
    rest = _brackets(data)
    for _ in range(limit):
        if not rest:
            return False
        shorter = rest.replace(b"[]", b"").replace(b"{}", b"")
        if shorter == rest:
            return False  # unbalanced or mismatched: not JSON, json.loads says why
        rest = shorter
    return bool(rest) and rest.replace(b"[]", b"").replace(b"{}", b"") != rest


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH, checked: bool = False) -> Any:
    """json.loads with the nesting checked first (`checked`: the caller checked a text
    holding this one); JSONRefused for anything that is not JSON within the bound (a
    RecursionError included, whatever the Python's limits)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if not checked and nesting_depth_over(raw, max_depth):
        raise JSONRefused(f"JSON nested more than {max_depth} levels deep")
    try:
        return json.loads(raw)
    except RecursionError:
        raise JSONRefused("JSON nested too deep to read") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise JSONRefused(f"not JSON ({' '.join(str(exc).split())[:160]})") from None
