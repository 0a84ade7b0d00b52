"""UI test helpers: an app factory with injected settings, catalog and host."""

from __future__ import annotations

import pytest

from pybs_tui.ui.app import PybsApp
from tests.ui import factory


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """Wraps app.notify to keep every message shown (tests assert on them)."""

    def __init__(self, app: PybsApp) -> None:
        self.messages: list[str] = []
        original = app.notify

        def notify(message, *args, **kwargs):
            self.messages.append(str(message))
            return original(message, *args, **kwargs)

        app.notify = notify  # type: ignore[method-assign]

    def joined(self) -> str:
        return "\n".join(self.messages)


@pytest.fixture
def make_app(tmp_path):
    """make_app(**kwargs) -> (app, recorder); offline, deterministic catalog and host."""

    def make(*, settings=None, catalog="default", host=factory.HOST, **kwargs):
        settings = settings or factory.make_settings(tmp_path / "home")
        if catalog == "default":
            catalog = factory.catalog()
        app = PybsApp(settings, catalog=catalog, host=host, **kwargs)
        return app, Recorder(app)

    return make


async def ready(app: PybsApp, pilot) -> None:
    """Wait until the catalog worker finished (loaded or failed) and the screen settled."""
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if "first_paint" in app.timings and not app.loading_catalog:
            break
    await pilot.pause()


def screen_lines(app: PybsApp) -> list[str]:
    """What the terminal shows of the top screen now, one plain string per line."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def screen_text(app: PybsApp) -> str:
    return "\n".join(screen_lines(app))


async def until(pilot, condition, what: str = "", *, tries: int = 500) -> None:
    """Let the app run until `condition()` holds (bounded: about 10 s at most)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what or condition}\n" + screen_text(pilot.app))
