"""Flag badges: Py_DEBUG, no-GIL, PGO, LTO, noopt, stripped as coloured Rich Text."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

#: One background per flag; black or white text chosen to read on both themes.
BADGE_STYLES: dict[str, Style] = {
    "Py_DEBUG": Style(color="white", bgcolor="#a1262e", bold=True),
    "no-GIL": Style(color="white", bgcolor="#6b3fa0", bold=True),
    "PGO": Style(color="black", bgcolor="#4caf50"),
    "LTO": Style(color="black", bgcolor="#29b6f6"),
    "noopt": Style(color="black", bgcolor="#bdbdbd"),
    "stripped": Style(color="black", bgcolor="#ffb74d"),
    "static": Style(color="black", bgcolor="#a1887f"),
}


def badges(flags: tuple[str, ...] | list[str]) -> Text:
    """'PGO LTO' as separate coloured chips joined by spaces ('-' when there are none)."""
    if not flags:
        return Text("-")
    text = Text()
    for i, flag in enumerate(flags):
        if i:
            text.append(" ")
        text.append(flag, BADGE_STYLES.get(flag, Style(reverse=True)))
    return text


def flag_badges(text: str) -> Text:
    """'PGO* LTO* static' as chips; an inferred flag (*) is shown dim, not as a promise."""
    out = Text()
    for i, word in enumerate(text.split()):
        if i:
            out.append(" ")
        name = word.rstrip("*?")
        style = BADGE_STYLES.get(name, Style(reverse=True))
        if word.endswith(("*", "?")):
            out.append(name, Style(color=style.bgcolor.name if style.bgcolor else None))
            out.append(word[len(name) :], Style(dim=True))
        else:
            out.append(word, style)
    return out


def badges_width(flags: tuple[str, ...] | list[str]) -> int:
    return sum(len(f) for f in flags) + max(0, len(flags) - 1) if flags else 1
