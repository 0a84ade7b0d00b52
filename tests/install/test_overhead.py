"""An install's fixed overhead (issue 14): what was made cheaper still does all it did.

- the probe reads the build's variables from the `_sysconfigdata` module itself, not through
  sysconfig: every real interpreter here answers exactly what sysconfig says, and the
  fallback to sysconfig (no such module, not POSIX) answers the same;
- the probe's end is seen through an exit watch (pidfd) or short naps: a probe that closes
  its pipes before it exits is still answered, one that never exits still meets its deadline;
- the prefix fix-up's scan replaces exactly what the whole-path rule (the regular expression
  it replaced) does;
- the HTTP client made in advance works, is closed, and a failure to make it is left to the
  install;
- the program (no argv given) moves its objects out of the collector's reach before the
  process ends; a call with arguments (tests, embedding) does not.
"""

from __future__ import annotations

import gc
import glob
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pybs_tui.install import probe as probe_module
from pybs_tui.install.fixups import replace_prefix
from pybs_tui.install.probe import (
    PROBE_SCRIPT,
    ProbeLimits,
    parse_probe_output,
    run_contained,
    run_probe,
)
from pybs_tui.progress import InstallError

posix_only = pytest.mark.skipif(os.name != "posix", reason="process groups, pidfd")

#: What the probe answered before it skipped sysconfig: every fact through
#: sysconfig.get_config_var (the reference the faster script is held to).
SYSCONFIG_PROBE = """\
import json, platform, sys, sysconfig
v = sysconfig.get_config_var
debug = v("Py_DEBUG")
if debug is None:
    debug = int(hasattr(sys, "gettotalrefcount"))
abiflags = getattr(sys, "abiflags", None)
if abiflags is None:
    abiflags = v("ABIFLAGS") or ""
print(json.dumps({"version": platform.python_version(), "Py_DEBUG": int(debug or 0),
                  "Py_GIL_DISABLED": int(v("Py_GIL_DISABLED") or 0), "abiflags": abiflags,
                  "CONFIG_ARGS": v("CONFIG_ARGS")}))
"""

GOOD_JSON = (
    '{"version": "3.12.3", "Py_DEBUG": 0, "Py_GIL_DISABLED": 0, "abiflags": "", '
    "\"CONFIG_ARGS\": \"'--enable-optimizations' '--with-lto'\"}"
)


def real_interpreters() -> list[Path]:
    """The runner's own CPython and every pyenv CPython 3.8+ on this machine."""
    found = {Path(getattr(sys, "_base_executable", sys.executable)).resolve()}
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for minor in range(8, 16):
        for exe in glob.glob(str(root / "versions" / f"3.{minor}*" / "bin" / f"python3.{minor}")):
            found.add(Path(exe).resolve())
    return sorted(found)


def contained_answer(exe: Path, script: str) -> dict[str, object]:
    """`script` run like the probe (contained, isolated), its answer parsed like the probe's."""
    ran = run_contained(exe, ["-I", "-c", script], limits=ProbeLimits())
    assert ran.returncode == 0, ran.stderr.decode()[-2000:]
    return parse_probe_output(ran.stdout.decode())


# -- the probe's facts ----------------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("exe", real_interpreters(), ids=lambda p: p.name)
def test_the_probe_answers_what_sysconfig_says(exe: Path) -> None:
    """Version, Py_DEBUG, Py_GIL_DISABLED, abiflags, CONFIG_ARGS (and PGO/LTO read from it):
    the same values as sysconfig.get_config_var gives in that interpreter."""
    assert run_probe(exe) == contained_answer(exe, SYSCONFIG_PROBE)


@posix_only
@pytest.mark.parametrize("exe", real_interpreters()[:1], ids=lambda p: p.name)
def test_the_probe_without_the_sysconfigdata_module_asks_sysconfig(exe: Path) -> None:
    """Where the shortcut does not apply (not POSIX; here: the interpreter made to look so),
    the script asks sysconfig, with the same answer."""
    assert "posix" in sys.builtin_module_names
    not_posix = "import sys\nsys.builtin_module_names = ()\n" + PROBE_SCRIPT
    assert contained_answer(exe, not_posix) == contained_answer(exe, SYSCONFIG_PROBE)


def test_the_probe_script_imports_neither_sysconfig_nor_json_on_posix(tmp_path: Path) -> None:
    """What makes it cheap: on POSIX it loads only the _sysconfigdata module (a fresh install
    compiles every module it imports)."""
    exe = Path(getattr(sys, "_base_executable", sys.executable)).resolve()

    def loaded(script: str) -> set[str]:
        listed = script + "\nimport sys as _s\n_s.stderr.write(' '.join(sorted(_s.modules)))\n"
        ran = run_contained(exe, ["-I", "-c", listed], limits=ProbeLimits())
        return set(ran.stderr.decode().split())

    added = loaded(PROBE_SCRIPT) - loaded("pass")  # beyond what start-up (site) loads
    assert any(m.startswith("_sysconfigdata_") for m in added), sorted(added)
    assert not {"sysconfig", "json", "platform", "re", "threading"} & added, sorted(added)


# -- the probe's end --------------------------------------------------------------------------


def stand_in(tmp_path: Path, body: str) -> Path:
    """A shell script standing in for the new interpreter."""
    exe = tmp_path / "python3.12"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return exe


def without_exit_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "pidfd_open", raising=False)


@posix_only
@pytest.mark.parametrize("watch", [True, False], ids=["exit-watch", "naps"])
def test_a_probe_that_closes_its_pipes_before_it_exits_is_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watch: bool
) -> None:
    if not watch:
        without_exit_watch(monkeypatch)
    exe = stand_in(tmp_path, f"echo '{GOOD_JSON}'\nexec >&- 2>&-\nsleep 0.3\n")
    probe = run_probe(exe, timeout=30)
    assert probe["version"] == "3.12.3" and probe["PGO"] and probe["LTO"]


@posix_only
@pytest.mark.parametrize("watch", [True, False], ids=["exit-watch", "naps"])
def test_a_probe_with_closed_pipes_that_never_exits_meets_its_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watch: bool
) -> None:
    if not watch:
        without_exit_watch(monkeypatch)
    exe = stand_in(tmp_path, "exec >&- 2>&-\nexec sleep 300\n")
    with pytest.raises(InstallError, match="did not answer within 1 s"):
        run_probe(exe, timeout=1)


@posix_only
def test_the_exit_watch_is_a_descriptor_closed_afterwards(tmp_path: Path) -> None:
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd on this system: the naps are used (tested above)")
    proc = subprocess.Popen(["/bin/sh", "-c", "exit 0"])
    try:
        with probe_module._exit_watch(proc) as fd:  # type: ignore[attr-defined]
            assert fd is not None
            os.fstat(fd)
        with pytest.raises(OSError):
            os.fstat(fd)
    finally:
        proc.wait()


# -- the prefix fix-up ------------------------------------------------------------------------


def by_the_old_rule(text: str, old: str, new: str) -> str:
    """The regular expression the scan replaced: `old` as a whole path."""
    old = old.rstrip("/") or "/"
    pattern = re.compile(
        r"(?:^|(?<=[\s'\"=,:])|(?<=-I)|(?<=-L)|(?<=-R))" + re.escape(old) + r"(?=$|[/\s'\",:;)])",
        re.MULTILINE,
    )
    return pattern.sub(lambda _m: new, text)


PIECES = [
    "/install", "/install/", "/installer", "/usr/bin/install", "/ins", "tall", "-I", "-L", "-R",
    "-X", " ", "\n", "\t", "\u00a0", "\x1c", "'", '"', "=", ",", ":", ";", ")", "/", "x", "I",
    "/a", "a", "/opt/build", "é",
]  # fmt: skip


@pytest.mark.parametrize("old", ["/install", "/install/", "/", "/a/a", "/opt/build"])
def test_the_prefix_scan_replaces_exactly_what_the_whole_path_rule_does(old: str) -> None:
    rnd = random.Random(old)
    for _ in range(3000):
        text = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 14)))
        assert replace_prefix(text, old, "<new>") == by_the_old_rule(text, old, "<new>"), text


# -- the client made in advance ---------------------------------------------------------------


def test_the_client_made_in_advance_is_a_working_client_and_is_closed(tmp_path: Path) -> None:
    from pybs_tui.service.install import ClientInAdvance
    from pybs_tui.settings import Settings
    from tests.support.server import LoopbackServer

    settings = Settings.from_env({"PYBS_TUI_HOME": str(tmp_path)})
    with LoopbackServer() as server:
        url = server.add("/hello", b"hi")
        early = ClientInAdvance(settings)
        client = early.get()
        assert client is not None
        assert client.get(url).content == b"hi"
        early.close()
        assert client.is_closed
        early.close()  # twice is harmless


def test_a_client_that_cannot_be_made_in_advance_is_left_to_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pybs_tui.service import install as service_install
    from pybs_tui.settings import Settings

    def broken(settings: object) -> object:
        raise OSError("no CA bundle")

    monkeypatch.setattr(service_install, "make_client", broken)
    early = service_install.ClientInAdvance(Settings.from_env({"PYBS_TUI_HOME": str(tmp_path)}))
    assert early.get() is None
    early.close()


# -- the end of the process -------------------------------------------------------------------


def test_the_program_freezes_its_objects_before_it_ends_a_call_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pybs_tui import __main__ as entry
    from tests.support.cli import cli_env

    for key, value in cli_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    assert entry.main(["list", "--offline", "--json"]) == 0
    assert frozen == []
    monkeypatch.setattr(sys, "argv", ["pybs-tui", "list", "--offline", "--json"])
    assert entry.main() == 0
    assert frozen == [True]
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 2 and all(json.loads(r) for r in rows)  # it did list, twice


# -- the terminal's progress bar --------------------------------------------------------------

LAZY_BAR = """
import io, json, sys
class Terminal(io.StringIO):
    def isatty(self):
        return True
sys.stderr = Terminal()
from pybs_tui.cli.install import InstallProgress
from pybs_tui.progress import Progress
progress = InstallProgress(enabled=True)
seen = ["rich.progress" in sys.modules]
progress(Progress("download", 0, 100))
seen += ["rich.progress" in sys.modules, progress.bar is not None]
progress(Progress("download", 60, 100, message="half"))
progress.close()
progress(Progress("probe", message="after the end"))
seen += [progress.bar is None, "download" in sys.stderr.getvalue()]
sys.__stdout__.write(json.dumps(seen))
"""


def test_the_terminal_bar_and_rich_come_with_the_first_report(tmp_path: Path) -> None:
    """On a terminal, rich is imported and the bar drawn at the first report (a download's
    first report comes once the server has answered), not when the install starts; after
    close, reports draw nothing."""
    from tests.support.cli import cli_env

    run = subprocess.run(
        [sys.executable, "-c", LAZY_BAR],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == [False, True, True, True, True]


# -- the probe's limiter started ahead --------------------------------------------------------

RECORDER = """\
#!{python} -I
import json, os, resource, sys
names = ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE")
null = os.stat(os.devnull)
stdin = os.fstat(0)
seen = {{
    "env": sorted(os.environ),
    "home_is_cwd": os.getcwd() == os.environ["HOME"],
    "limits": {{n: resource.getrlimit(getattr(resource, n)) for n in names}},
    "leader": os.getpgid(0) == os.getsid(0) == os.getpid(),
    "stdin_is_null": (stdin.st_dev, stdin.st_ino) == (null.st_dev, null.st_ino),
}}
with open({record!r}, "a") as fh:
    fh.write(json.dumps(seen) + "\\n")
print({answer!r})
"""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@posix_only
def test_a_probe_through_the_launcher_is_contained_like_one_started_directly(
    tmp_path: Path,
) -> None:
    """Same environment, folder, session and group, limits and stdin either way."""
    record = tmp_path / "seen.jsonl"
    exe = tmp_path / "python3.12"
    exe.write_text(RECORDER.format(python=sys.executable, record=str(record), answer=GOOD_JSON))
    exe.chmod(0o755)
    with probe_module.ProbeLauncher() as launcher:
        launcher.start()
        assert launcher.proc is not None
        through = run_probe(exe, launcher=launcher)
        assert launcher.proc is None  # used
    direct = run_probe(exe)
    assert through == direct
    first, second = (json.loads(line) for line in record.read_text().splitlines())
    assert first == second
    defaults = ProbeLimits()
    assert first["limits"]["RLIMIT_AS"] == [defaults.address_space] * 2
    assert first["limits"]["RLIMIT_CORE"] == [0, 0]
    assert first["leader"] and first["home_is_cwd"] and first["stdin_is_null"]
    assert set(first["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE"}


@posix_only
def test_an_unused_launcher_is_killed_and_reaped(tmp_path: Path) -> None:
    with probe_module.ProbeLauncher() as launcher:
        assert launcher.proc is None  # started only when told
        launcher.start()
        launcher.start()  # once
        assert launcher.proc is not None
        pid = launcher.proc.pid
        assert pid_alive(pid)
    assert not pid_alive(pid)  # killed and reaped: not even a zombie
    launcher.start()  # after the block: nothing is started
    assert launcher.proc is None


@posix_only
def test_a_dead_launcher_is_replaced_by_a_limiter_of_the_probe_own(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, f"echo '{GOOD_JSON}'\n")
    with probe_module.ProbeLauncher() as launcher:
        launcher.start()
        assert launcher.proc is not None
        launcher.proc.kill()
        launcher.proc.wait()
        assert run_probe(exe)["version"] == "3.12.3"
        assert run_probe(exe, launcher=launcher)["version"] == "3.12.3"


@posix_only
def test_a_launcher_that_died_on_its_own_is_reaped_and_replaced(tmp_path: Path) -> None:
    import signal

    exe = stand_in(tmp_path, f"echo '{GOOD_JSON}'\n")
    with probe_module.ProbeLauncher() as launcher:
        launcher.start()
        assert launcher.proc is not None
        pid = launcher.proc.pid
        os.kill(pid, signal.SIGKILL)
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            pass  # until it is a zombie (not reaped: the launcher's own business)
        assert run_probe(exe, launcher=launcher)["version"] == "3.12.3"
    assert not pid_alive(pid)  # reaped, not left a zombie


@posix_only
def test_a_launcher_with_other_limits_is_not_used(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, f"echo '{GOOD_JSON}'\n")
    other = ProbeLimits(address_space=8 << 30)
    with probe_module.ProbeLauncher() as launcher:
        launcher.start()
        assert run_probe(exe, limits=other, launcher=launcher)["version"] == "3.12.3"
        assert launcher.proc is not None  # still waiting: not handed a probe of other bounds


@posix_only
def test_an_install_starts_the_launcher_once_the_server_answered_and_ends_it(
    tmp_path: Path,
) -> None:
    """The install's first report (the server has answered) starts the limiter; a download
    that then fails ends it: killed and reaped."""
    from pybs_tui.catalog.names import parse_name
    from pybs_tui.service.install import install_build
    from pybs_tui.settings import Settings
    from tests.support.server import LoopbackServer, Route

    started: list[int] = []
    real_start = probe_module.ProbeLauncher.start

    def recording_start(self: probe_module.ProbeLauncher) -> None:
        real_start(self)
        if self.proc is not None and self.proc.pid not in started:
            started.append(self.proc.pid)

    name = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
    build = parse_name(name)
    assert build is not None
    body = b"not the archive"
    build = build.with_source(sha256="0" * 64, size=len(body))
    settings = Settings.from_env({"PYBS_TUI_HOME": str(tmp_path)})
    with LoopbackServer() as server, pytest.MonkeyPatch.context() as patch:
        patch.setattr(probe_module.ProbeLauncher, "start", recording_start)
        url = server.add(f"/{name}", Route(body=body))
        with pytest.raises(InstallError, match="sha256"):
            install_build(settings, build, source=url)
    assert len(started) == 1 and not pid_alive(started[0])
