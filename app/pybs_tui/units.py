"""How sizes and durations are written, everywhere (stdlib only).

Sizes use decimal units as humanize.naturalsize writes them ('24.4 MB', '512 Bytes'), so a
figure reads the same in the table, the compare view, the dialogs and the CLI.
"""

from __future__ import annotations


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


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}


def printable(text: object) -> str:
    """Text from outside (names, paths, server messages) with control characters written
    as \\xNN, so nothing that reaches a terminal can move the cursor or change colours."""
    return str(text).translate(_CONTROL)
