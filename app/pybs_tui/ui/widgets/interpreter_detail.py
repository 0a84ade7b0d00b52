"""InterpreterDetail: everything about the highlighted installed interpreter, one fact per
line, and `interpreter_lines`, which says what those facts are (tests read it directly).

Every value comes from outside (paths, names, receipts): it is written as plain Text with
control characters escaped, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...install.registry import Interpreter, short_user
from ...units import format_size, printable
from .plain import plain

if TYPE_CHECKING:
    from ...service.speed import Speed

#: Line styles by kind: a user of the install is something its removal would break.
STYLES = {"used": "bold red", "warn": "yellow", "muted": "dim", "name": "bold"}


def _yes(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and value in (0, 1):
        return "yes" if value else "no"
    return printable(value)


def probe_text(probe: dict[str, Any]) -> str:
    """'3.12.3 · Py_DEBUG no · Py_GIL_DISABLED no · abiflags - · PGO yes · LTO yes'."""
    parts = []
    if probe.get("version"):
        parts.append(f"version {printable(probe['version'])}")
    for key in ("Py_DEBUG", "Py_GIL_DISABLED"):
        if key in probe:
            parts.append(f"{key} {_yes(probe[key])}")
    if "abiflags" in probe:
        parts.append(f"abiflags {printable(probe['abiflags']) or '-'}")
    for key in ("PGO", "LTO"):
        if key in probe and probe[key] is not None:
            parts.append(f"{key} {_yes(probe[key])}")
    return " · ".join(parts)


def checks_lines(checks: Sequence[object]) -> list[tuple[str, str]]:
    """(text, kind) per probe check of the receipt: 'PGO yes (inferred) ok', or a mismatch."""
    out = []
    for check in checks[:12]:
        if not isinstance(check, dict):
            continue
        flag = printable(check.get("flag", "?"))
        found = printable(check.get("found", "?"))
        promised = check.get("promised")
        source = printable(check.get("source") or "")
        via = f" ({source})" if source and source != "name" else ""
        if check.get("ok") is False:
            out.append((f"{flag}: promised {printable(promised)}, found {found}{via}", "warn"))
        elif check.get("ok") is True:
            out.append((f"{flag} {found}{via}: as promised", ""))
        else:
            out.append((f"{flag} {found}", ""))
    return out


def users_lines(
    interp: Interpreter, home: Path | str, *, usage_known: bool = True, complete: bool = True
) -> list[tuple[str, str, str]]:
    """'used by' and every user on a line of its own (red: removing it breaks them)."""
    if not usage_known:
        return [("used by", "looking (venvs, uv tools, pipx, links, pins)…", "muted")]
    if not interp.used_by:
        note = "" if complete else " (the venv scan stopped at its time limit)"
        return [("used by", f"nothing found{note}", "muted")]
    count = len(interp.used_by)
    lines = [
        ("used by", f"{count} user{'s' if count != 1 else ''}: removing it breaks them", "used")
    ]
    lines.extend(("", printable(short_user(user, home)), "used") for user in interp.used_by)
    return lines


def speed_lines(speed: Speed | None) -> list[tuple[str, str, str]]:
    """'speed' and, when measured, the medians: what `pybs-tui bench` kept for it."""
    from ...service.speed import SHORT

    if speed is None or speed.result is None:
        why = speed.why if speed is not None and speed.why else "not benchmarked yet"
        return [("speed", f"? {why}: b measures it", "muted")]
    r = speed.result
    if speed.relative is None or speed.fastest is None:
        return [("speed", f"? {printable(speed.why)}: b measures it again", "warn")]
    spread = f" ±{r.score_spread * 100:.0f}%" if r.score_spread is not None else ""
    minor = printable(r.minor)
    who = (
        f": the fastest {minor} here"
        if speed.fastest.key == r.key
        else f" the speed of the fastest {minor} here ({printable(speed.fastest.label)})"
    )
    first = (
        f"{r.variant_word} {speed.relative:.2f}x{who} · score "
        f"{(r.score or 0) * 1000:.1f} ms{spread} (geometric mean of 6 kernels, median of "
        f"{r.runs} runs)"
    )
    medians = " · ".join(
        f"{SHORT.get(name, name)} {m.median * 1000:.1f}" for name, m in r.measurements.items()
    )
    when = f"measured {printable(r.measured_at)} on {printable(r.host)}, pybs-tui {r.pybs_tui}"
    return [("speed", first, ""), ("", f"ms: {medians}", "muted"), ("", when, "muted")]


def interpreter_lines(
    interp: Interpreter,
    home: Path | str,
    *,
    usage_known: bool = True,
    complete: bool = True,
    speed: Speed | None = None,
) -> list[tuple[str, str, str]]:
    """(label, text, kind) for the detail pane of one interpreter; kind picks a style."""
    lines: list[tuple[str, str, str]] = [("name", printable(interp.name), "name")]
    lines.extend(users_lines(interp, home, usage_known=usage_known, complete=complete))
    lines.append(("path", printable(interp.path), ""))
    facts = [interp.manager, interp.label]
    if interp.flavor:
        facts.append(interp.flavor)
    facts.append(f"options {interp.options_label}")
    facts.append(f"release {interp.release or '?'}")
    if interp.triple:
        facts.append(interp.triple)
    elif interp.platform:
        facts.append("-".join(interp.platform))
    lines.append(("build", printable(" · ".join(facts)), ""))
    size = format_size(interp.size, "measuring…")
    if interp.size is not None:
        size += f" ({interp.size:,} bytes on disk)"
    lines.append(("size", size, ""))
    if interp.newer:
        lines.append(("newer", f"{printable(interp.newer)} is available", ""))
    lines.extend(speed_lines(speed))
    if interp.flags:
        lines.append(("flags", printable(" ".join(interp.flags)), ""))
    receipt = interp.receipt or {}
    if receipt:
        verified = "sha256 verified" if receipt.get("verified") else "sha256 NOT verified"
        facts = [verified]
        if receipt.get("installed_at"):
            facts.append(f"installed {printable(receipt['installed_at'])}")
        if receipt.get("source"):
            facts.append(f"from {printable(receipt['source'])}")
        lines.append(("receipt", " · ".join(facts), "" if receipt.get("verified") else "warn"))
        probe = receipt.get("probe")
        if isinstance(probe, dict) and probe:
            lines.append(("probe", probe_text(probe), ""))
        checks = receipt.get("checks")
        if isinstance(checks, list):
            for i, (text, kind) in enumerate(checks_lines(checks)):
                lines.append(("checks" if i == 0 else "", text, kind))
    if interp.executable is not None:
        lines.append(("python", printable(interp.executable), ""))
    lines.append(("remove", printable(interp.remove_command), "" if interp.own else "warn"))
    return lines


class InterpreterDetail(VerticalScroll):
    """The detail pane below the Installed table; `show(interp)` fills it."""

    DEFAULT_CSS = """
    InterpreterDetail {
        height: auto;
        max-height: 40%;
        border-top: solid $primary 50%;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="interp-detail-text")

    def show(
        self,
        interp: Interpreter | None,
        home: Path | str,
        *,
        usage_known: bool = True,
        complete: bool = True,
        speed: Speed | None = None,
    ) -> None:
        """Show `interp` (None: a hint that nothing is highlighted)."""
        text = self.query_one("#interp-detail-text", Static)
        if interp is None:
            self.lines = []
            text.update(Text("No interpreter highlighted.", style="dim"))
            return
        self.lines = interpreter_lines(
            interp, home, usage_known=usage_known, complete=complete, speed=speed
        )
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value, kind in self.lines:  # written out again: nothing slips through
            grid.add_row(plain(label), plain(value, STYLES.get(kind, "")))
        text.update(grid)

    @property
    def plain(self) -> str:
        """The pane's text, label and value per line (for tests and screen readers)."""
        return "\n".join(f"{label} {value}".strip() for label, value, _ in self.lines)
