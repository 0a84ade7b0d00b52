"""The one way outside text reaches a widget: plain Text or Content, never markup, every
control character written out (units.printable).

Names, URLs, paths, sha256 fields, release tags, header values, error and exception texts,
receipt fields, probe output and pin file contents all come from outside. A str handed to
Static, Label, a border title, a tooltip, a DataTable column label or the command palette's
help is parsed as markup (`[/b]` raises MarkupError and ends the App), and Text or Content
pass ESC, C1 and bidi controls straight to the terminal. Every widget here builds what it
shows with these helpers.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text
from textual.content import Content
from textual.markup import escape

from ...units import printable, printable_lines


def plain(value: object, style: StyleType = "", *, lines: bool = False) -> Text:
    """Outside text as a Rich Text: never markup, control characters written out (with
    `lines`, line breaks kept)."""
    return Text(printable_lines(value) if lines else printable(value), style=style)


def plain_content(value: object, style: str = "", *, lines: bool = False) -> Content:
    """Outside text as Textual Content (border titles, tooltips, Statics): never markup,
    control characters written out."""
    text = printable_lines(value) if lines else printable(value)
    return Content.styled(text, style) if style else Content(text)


def as_markup(value: object) -> str:
    """Outside text for the few places that only take markup (the command palette's help):
    brackets escaped, control characters written out."""
    return escape(printable(value))
