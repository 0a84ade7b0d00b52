"""The command palette (ctrl+p): the screen's actions and the App's, and 'install <build>'."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rich.style import Style
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..catalog.models import Build
from ..catalog.view import parse_text
from .messages import InstallRequested
from .widgets.plain import as_markup, plain

if TYPE_CHECKING:
    from .app import PybsApp

#: Builds offered by "install <name>".
MAX_INSTALL_HITS = 20


class PybsCommands(Provider):
    """Every action with a description on the current screen and the App, plus 'install …'."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        out: list[tuple[str, str, Callable[[], object]]] = []
        for node in (self.screen, self.app):
            for binding in node.BINDINGS:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                action = getattr(node, f"action_{binding.action.split('(')[0]}", None)
                if action is None or "(" in binding.action:
                    continue
                keys = binding.key_display or binding.key.split(",")[0]
                help_text = (binding.tooltip or binding.description) + f" ({keys})"
                out.append((binding.description, as_markup(help_text), action))
        return out

    def _install_candidates(self, pattern: str) -> list[Build]:
        """Builds whose name has every word of the pattern: the rows shown first, else all."""
        app: PybsApp = self.app  # type: ignore[assignment]
        index = app.index
        if index is None:
            return []
        query = parse_text(pattern)
        pools: list[list[Build]] = [getattr(self.screen, "rows", lambda: [])()]
        if not index.partial:  # an early index holds this host's archives only
            pools.append(index.builds)
        for pool in pools:
            found = [b for b in pool if query.match(b, index.lower[b.name])][:MAX_INSTALL_HITS]
            if found:
                return found
        return []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)
        yield DiscoveryHit(
            "install …",
            self._hint,
            help="type 'install' and part of a file name, e.g. install 3.12 musl",
        )

    def _hint(self) -> None:
        self.app.notify("type install and part of a build name, e.g. install 3.13 aarch64")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        words = query.strip().split(maxsplit=1)
        if not words or len(words[0]) < 3 or not "install".startswith(words[0].lower()):
            return
        pattern = words[1] if len(words) > 1 else ""
        style = Style(reverse=True)
        for rank, build in enumerate(self._install_candidates(pattern)):
            text = f"install {build.name}"
            display = plain(text)
            for word in pattern.lower().split():
                display.highlight_words([word], style, case_sensitive=False)
            yield Hit(
                0.99 - rank / 1000,
                display,
                partial(self.app.post_message, InstallRequested(build)),
                text=text,
                help=as_markup(
                    f"{build.version_str} {build.variant} {build.platform_key} {build.flavor}"
                ),  # the palette reads help as markup
            )
