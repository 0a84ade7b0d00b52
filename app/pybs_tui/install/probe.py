"""Run a freshly extracted interpreter and prove it has the flags its archive was sold with.

The interpreter prints one JSON object (keys: version, Py_DEBUG, Py_GIL_DISABLED, abiflags,
CONFIG_ARGS); `probe_checks` sets each fact beside what the catalog promised (the name, or for
install_only archives the inferred optimisations). A broken promise of the name fails the
install (ProbeMismatch, which carries the checks); an inferred one only warns.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog.models import Build
from ..progress import Cancelled, InstallError

PROBE_TIMEOUT = 20.0
#: Environment variables that would make the new interpreter load someone else's stdlib.
_SCRUB = (
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONEXECUTABLE",
    "PYTHONUSERBASE",
    "PYTHONSAFEPATH",
    "PYTHONPLATLIBDIR",
    "__PYVENV_LAUNCHER__",
    "VIRTUAL_ENV",
)

#: The probe imports only sys and sysconfig: json and platform would pull in re, and a fresh
#: install has no bytecode yet, so each module imported is compiled first (json + platform
#: cost ~0.1 s). The output is what json.dumps would print (any JSON with the same values);
#: "version" is platform.python_version(): the leading [\w.+]+ of sys.version, ".0" added
#: when it has no patch level.
PROBE_SCRIPT = """\
import sys, sysconfig
v = sysconfig.get_config_var
debug = v("Py_DEBUG")
if debug is None:
    debug = int(hasattr(sys, "gettotalrefcount"))
ft = v("Py_GIL_DISABLED")
abiflags = getattr(sys, "abiflags", None)
if abiflags is None:
    abiflags = v("ABIFLAGS") or ""
n = 0
while n < len(sys.version) and (sys.version[n] in "._+" or sys.version[n] in
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    n += 1
version = sys.version[:n].split(".")
if len(version) == 2:
    version.append("0")
def q(value):
    if value is None:
        return "null"
    if not isinstance(value, str):
        import json
        return json.dumps(value)
    out = []
    for c in value:
        o = ord(c)
        if c in "\\\\\\"":
            out.append("\\\\" + c)
        elif 0x20 <= o < 0x7f:
            out.append(c)
        elif o < 0x10000:
            out.append("\\\\u%04x" % o)
        else:
            o -= 0x10000
            out.append("\\\\u%04x\\\\u%04x" % (0xd800 | o >> 10, 0xdc00 | o & 0x3ff))
    return '"' + "".join(out) + '"'
print('{"version": %s, "Py_DEBUG": %d, "Py_GIL_DISABLED": %d, "abiflags": %s, '
      '"CONFIG_ARGS": %s}' % (q(".".join(version)), int(debug or 0), int(ft or 0),
                              q(abiflags), q(v("CONFIG_ARGS"))))
"""

_PGO = re.compile(r"(?:^|[\s'\"])--enable-optimizations(?:=yes)?(?=$|[\s'\"])")
_LTO = re.compile(r"(?:^|[\s'\"])--with-lto(?:=(?!no\b)[\w-]+)?(?=$|[\s'\"])")


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without variables that redirect an interpreter's stdlib."""
    base = dict(os.environ if env is None else env)
    for key in _SCRUB:
        base.pop(key, None)
    return base


def parse_config_args(config_args: str | None) -> tuple[bool, bool]:
    """(PGO, LTO) as told by CONFIG_ARGS: --enable-optimizations and --with-lto."""
    if not config_args:
        return False, False
    return bool(_PGO.search(config_args)), bool(_LTO.search(config_args))


def _flag(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return 0


def parse_probe_output(stdout: str) -> dict[str, Any]:
    """The probe dict from the interpreter's output (last JSON object line)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("version"), str):
            config = data.get("CONFIG_ARGS")
            config = config if isinstance(config, str) else None
            pgo, lto = parse_config_args(config)
            return {
                "version": data["version"],
                "Py_DEBUG": _flag(data.get("Py_DEBUG")),
                "Py_GIL_DISABLED": _flag(data.get("Py_GIL_DISABLED")),
                "abiflags": str(data.get("abiflags") or ""),
                "CONFIG_ARGS": config,
                "PGO": pgo,
                "LTO": lto,
            }
    raise InstallError("the installed interpreter did not answer the probe with JSON")


def run_probe(
    executable: Path, *, timeout: float = PROBE_TIMEOUT, cancel: threading.Event | None = None
) -> dict[str, Any]:
    """Run `executable` with the probe script; return version, flags, abiflags, PGO, LTO."""
    try:
        proc = subprocess.Popen(
            [os.fspath(executable), "-I", "-c", PROBE_SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
            cwd=os.fspath(Path(executable).parent),
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise InstallError(
            f"cannot run the installed interpreter {executable}: {exc.strerror or exc}"
        ) from None
    deadline = time.monotonic() + timeout
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            try:
                stdout, stderr = proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    raise InstallError(
                        f"the installed interpreter did not answer within {timeout:g} s"
                    ) from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        last = (stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise InstallError(f"the installed interpreter failed to start: {last.strip()}")
    return parse_probe_output(stdout)


@dataclass(frozen=True)
class ProbeCheck:
    """One probed fact next to what the catalog promised.

    `ok` is None when nothing was promised. A promise read from the archive's name is
    `binding`: breaking it fails the install. An inferred one (the optimisations of an
    install_only archive) is checked and shown, but only warns; so does abiflags, which only
    restates Py_DEBUG and Py_GIL_DISABLED.
    """

    flag: str  # version, Py_DEBUG, Py_GIL_DISABLED, abiflags, PGO, LTO
    promised: str | None
    found: str
    ok: bool | None
    source: str = "name"
    problem: str = ""  # one line when not ok: 'archive sold as debug but Py_DEBUG=0'

    @property
    def binding(self) -> bool:
        return self.source == "name" and self.flag != "abiflags"

    @property
    def failed(self) -> bool:
        return self.ok is False and self.binding

    def to_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "promised": self.promised,
            "found": self.found,
            "ok": self.ok,
            "source": self.source,
        }


class ProbeMismatch(InstallError):
    """The interpreter contradicts what its archive was sold as; `checks` says where."""

    def __init__(self, checks: list[ProbeCheck]) -> None:
        self.checks = checks
        super().__init__("probe mismatch: " + "; ".join(c.problem for c in checks if c.failed))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


_FLAG_OPTION = {"PGO": ("pgo", "--enable-optimizations"), "LTO": ("lto", "--with-lto")}


def probe_checks(
    build: Build, probe: dict[str, Any], inferred: dict[str, tuple[bool | None, str]] | None = None
) -> list[ProbeCheck]:
    """Version, Py_DEBUG, Py_GIL_DISABLED, abiflags, PGO and LTO as probed, each checked against
    the archive: its name, or for PGO/LTO of an install_only archive `inferred` ({flag: (value,
    source)}, see catalog.flags)."""
    version = str(probe.get("version", "?"))
    debug = _flag(probe.get("Py_DEBUG"))
    ft = _flag(probe.get("Py_GIL_DISABLED"))
    abiflags = str(probe.get("abiflags") or "")
    want_abi = ("t" if build.gil_disabled else "") + ("d" if build.py_debug else "")
    checks = []
    if build.version is None:
        checks.append(ProbeCheck("version", None, version, None))
    else:
        ok = version == str(build.version)
        problem = f"archive sold as {build.version} but the interpreter is {version}"
        checks.append(
            ProbeCheck("version", str(build.version), version, ok, problem="" if ok else problem)
        )
    for flag, promised, found, words in (
        ("Py_DEBUG", build.py_debug, debug, ("debug", "non-debug")),
        ("Py_GIL_DISABLED", build.gil_disabled, ft, ("freethreaded", "with the GIL")),
    ):
        ok = bool(found) == promised
        sold = words[0] if promised else words[1]
        how = "sold as" if not sold.startswith("with") else "sold"
        problem = "" if ok else f"archive {how} {sold} but {flag}={found}"
        checks.append(ProbeCheck(flag, str(int(promised)), str(found), ok, problem=problem))
    abi_ok = ("d" in abiflags, "t" in abiflags) == (build.py_debug, build.gil_disabled)
    checks.append(
        ProbeCheck(
            "abiflags",
            repr(want_abi),
            repr(abiflags),
            abi_ok,
            problem="" if abi_ok else f"abiflags are {abiflags!r}",
        )
    )
    config = probe.get("CONFIG_ARGS")
    pgo, lto = parse_config_args(config if isinstance(config, str) else None)
    for flag, found in (("PGO", pgo), ("LTO", lto)):
        option, configure = _FLAG_OPTION[flag]
        if not isinstance(config, str):
            checks.append(ProbeCheck(flag, None, "?", None))
            continue
        if build.flavor == "full":
            promised, source = option in build.options, "name"
            if not promised:  # a name does not promise the absence of the rest
                checks.append(ProbeCheck(flag, None, _yes(found), None))
                continue
        else:
            value, source = (inferred or {}).get(flag, (None, ""))
            if value is None:
                checks.append(ProbeCheck(flag, None, _yes(found), None, source or "name"))
                continue
            promised = value
        ok = found == promised
        how = "sold as" if source == "name" else "inferred as"
        problem = (
            ""
            if ok
            else (
                f"archive {how} {option} but CONFIG_ARGS lacks {configure}"
                if promised
                else f"archive {how} without {option} but CONFIG_ARGS has {configure}"
            )
        )
        checks.append(ProbeCheck(flag, _yes(promised), _yes(found), ok, source, problem))
    return checks
