"""How sizes and durations are written, and how outside text is made safe to print,
everywhere (stdlib only).

Sizes use decimal units as humanize.naturalsize writes them ('24.4 MB', '512 Bytes'), so a
figure reads the same in the table, the compare view, the dialogs and the CLI.
"""

from __future__ import annotations

import re


def format_size(size: float | None, unknown: str = "?") -> str:
    """'24.4 MB', '1 Byte', '512 Bytes'; `unknown` for None."""
    if size is None:
        return unknown
    value = float(size)
    if abs(value) < 1000:
        n = int(value)
        return f"{n} Byte" if abs(n) == 1 else f"{n} Bytes"
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if abs(value) < 1000 or unit == "PB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def format_duration(seconds: float) -> str:
    """'0:07', '12:03', '1:02:03'."""
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


#: What never reaches a terminal as itself: C0 controls (ESC, BEL, CR, LF, tab...), DEL, C1
#: controls (the 8-bit CSI \x9b among them), the bidirectional controls that reorder what
#: follows them (U+202E), invisible ones that hide or split text (zero-width space, word
#: joiner, BOM, line and paragraph separators, interlinear annotations), and lone surrogates
#: (a file name's bytes that are not UTF-8, decoded with surrogateescape, cannot be encoded).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte as it was on disk
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def printable(text: object) -> str:
    """Text from outside (names, paths, URLs, server messages) with every control character
    written out (ESC as \\x1b, U+202E as \\u202e, a byte that is not UTF-8 as \\xff), so
    nothing that reaches a terminal can move the cursor, change colours or the title, or
    reorder the line. Always encodable as UTF-8; applying it twice changes nothing."""
    text = str(text)
    return _UNSAFE.sub(_visible, text) if _UNSAFE.search(text) else text


def printable_lines(text: object) -> str:
    """`printable` for text of several lines: the line breaks (\\n) stay, everything else
    (\\r too) is written out."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def shorten(text: str, limit: int = 300) -> str:
    """`text` cut in its middle to at most `limit` characters, both ends kept: a message
    naming a very long path stays one short line and keeps its reason at the end."""
    if len(text) <= limit:
        return text
    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"
