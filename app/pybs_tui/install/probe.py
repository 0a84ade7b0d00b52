"""Run a freshly extracted interpreter and prove it has the flags its archive was sold with.

The interpreter prints one JSON object (keys: version, Py_DEBUG, Py_GIL_DISABLED, abiflags,
CONFIG_ARGS); `probe_checks` sets each fact beside what the catalog promised (the name, or for
install_only archives the inferred optimisations). A broken promise of the name fails the
install (ProbeMismatch, which carries the checks); an inferred one only warns.

The interpreter is code from outside, and the probe proves no more than the sha256 does (a
three-line shell script printing the expected JSON passes). So `run_probe` runs it contained:
in its own session and process group (killed as a whole at the deadline, on cancel, on any
exception, and once it has answered, so a background child cannot hold the pipes), with a
clean environment (no tokens, proxies or anything else of the user's; HOME and TMPDIR in a
scratch folder removed afterwards; a minimal PATH; the C.UTF-8 locale), stdout and stderr each
capped (`ProbeLimits.output`; more is an error), and resource limits set before it starts
(RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from ..catalog import jsonsafe
from ..catalog.models import Build
from ..progress import InstallError, check_cancel
from ..units import format_size, printable

PROBE_TIMEOUT = 20.0
#: Bytes the probe may write to stdout, and again to stderr (its answer is ~200 bytes).
PROBE_OUTPUT_CAP = 1 << 20
#: What the output cap's error says a real CPython writes.
PROBE_OUTPUT_HINT = "a real CPython answers the probe in one short line"
#: The probe's PATH: where the system's own tools are, nothing of the user's.
PROBE_PATH = "/usr/bin:/bin"
#: How often the probe's state (exit, cancel, deadline) is looked at while it runs.
POLL = 0.05
#: The first nap when the probe has closed its pipes but not exited yet (it doubles up to
#: POLL); only where no exit watch (pidfd) is available.
NAP = 0.001
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


@dataclass(frozen=True)
class ProbeLimits:
    """The bounds of one probe run; None leaves a resource limit as it is.

    The defaults leave a real CPython (debug and free-threaded builds too: mimalloc reserves
    1 GiB of address space) far from every bound; the probe starts no process or thread, and
    writes nothing but the bytecode of the few modules it imports.
    """

    timeout: float = PROBE_TIMEOUT  # seconds until the whole group is killed
    output: int = PROBE_OUTPUT_CAP  # bytes of stdout, and of stderr
    address_space: int | None = 4 << 30  # RLIMIT_AS
    file_size: int | None = 64 << 20  # RLIMIT_FSIZE: no file written grows past this
    processes: int | None = 128  # RLIMIT_NPROC (counts all of the user's processes)
    core: int | None = 0  # RLIMIT_CORE: no core dumps

    def rlimits(self) -> tuple[tuple[str, int], ...]:
        """(resource name, value) pairs to set as both soft and hard limit."""
        wanted = (
            ("RLIMIT_AS", self.address_space),
            ("RLIMIT_FSIZE", self.file_size),
            ("RLIMIT_NPROC", self.processes),
            ("RLIMIT_CORE", self.core),
        )
        return tuple((name, value) for name, value in wanted if value is not None)


#: The start of both limiters below: lower the limits (soft and hard: the probe cannot raise
#: them again); `%r` is `ProbeLimits.rlimits()`.
_LOWER_LIMITS = """\
import os, resource, sys
for name, value in %r:
    which = getattr(resource, name, None)
    if which is None:
        continue
    try:
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    except (OSError, ValueError):
        pass
"""

#: Run (by this very Python, isolated and without site) between fork and the probe: lower the
#: limits, then become the interpreter. Thread-safe where preexec_fn is not, and the new
#: interpreter inherits the limits.
_LIMITER = (
    _LOWER_LIMITS
    + """\
try:
    os.execv(sys.argv[1], sys.argv[1:])
except OSError as exc:
    sys.stderr.write("%s" + (exc.strerror or str(exc)) + "\\n")
    sys.stderr.flush()
    os._exit(127)
"""
)
_EXEC_FAILED = "pybs-tui-probe: cannot start: "

#: The same limiter started ahead of the probe (see `ProbeLauncher`): limits lowered at once,
#: then it waits on stdin for what to become (argv, env, cwd in marshal's format, which this
#: same Python writes: json would import re and compile its patterns first), reads /dev/null
#: as its stdin from then on, and becomes it. Nothing on stdin (the install ended first): it
#: exits.
_WAITING_LIMITER = (
    _LOWER_LIMITS
    + """\
data = sys.stdin.buffer.read(%d)
if not data:
    os._exit(0)
import marshal
order = marshal.loads(data)
try:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.chdir(order["cwd"])
    os.execve(order["argv"][0], order["argv"], order["env"])
except OSError as exc:
    sys.stderr.write("%s" + (exc.strerror or str(exc)) + "\\n")
    sys.stderr.flush()
    os._exit(127)
"""
)
#: Bytes of the order a waiting limiter reads (the probe's script and environment: ~3 KiB).
_ORDER_CAP = 1 << 20
#: The waiting limiter's own environment (the probe's is handed over with the order).
_LAUNCHER_ENV = {"PATH": PROBE_PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

#: The probe imports as little as it can: a fresh install has no bytecode (PBS deletes every
#: __pycache__ before it packs), so each module imported is compiled first. json and
#: platform would pull in re (~0.1 s); sysconfig pulls in threading, functools and
#: collections (~60 ms on 3.12). So on POSIX it imports the one module sysconfig reads the
#: build's variables from, `_sysconfigdata_<abiflags>_<platform>_<multiarch>` (the name
#: sysconfig gives it since 3.6; the probe's environment sets no _PYTHON_SYSCONFIGDATA_NAME),
#: and takes `build_time_vars`, which is where sysconfig.get_config_var finds Py_DEBUG,
#: Py_GIL_DISABLED, ABIFLAGS and CONFIG_ARGS there; elsewhere, or when that module is not
#: found, it asks sysconfig itself. The output is what json.dumps would print (any JSON with
#: the same values); "version" is platform.python_version(): the leading [\w.+]+ of
#: sys.version, ".0" added when it has no patch level.
PROBE_SCRIPT = """\
import sys
def config_vars():
    if "posix" in sys.builtin_module_names:
        name = "_sysconfigdata_%s_%s_%s" % (
            sys.abiflags, sys.platform, getattr(sys.implementation, "_multiarch", ""))
        try:
            return __import__(name).build_time_vars
        except ImportError:
            pass
    import sysconfig
    return sysconfig.get_config_vars()
v = config_vars().get
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


def json_objects_from_end(stdout: str) -> Iterator[dict[str, Any]]:
    """The JSON objects printed one per line by an interpreter we ran, last first (lines that
    are not a JSON object are skipped)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = jsonsafe.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            yield data


def parse_probe_output(stdout: str) -> dict[str, Any]:
    """The probe dict from the interpreter's output (last JSON object line)."""
    for data in json_objects_from_end(stdout):
        if isinstance(data.get("version"), str):
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


def probe_env(scratch: Path) -> dict[str, str]:
    """The probe's whole environment: nothing of the user's (no tokens, no proxies, no
    PYTHON* variables); HOME and TMPDIR inside `scratch`; a minimal PATH; the C.UTF-8 locale."""
    env = {
        "PATH": PROBE_PATH,
        "HOME": os.fspath(scratch / "home"),
        "TMPDIR": os.fspath(scratch / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    if os.name == "nt" and "SYSTEMROOT" in os.environ:  # Windows' CPython needs it to start
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    return env


def run_probe(
    executable: Path,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    limits: ProbeLimits | None = None,
    scratch_in: Path | None = None,
    launcher: ProbeLauncher | None = None,
) -> dict[str, Any]:
    """Run `executable` with the probe script, contained (see the module's docstring); return
    version, flags, abiflags, PGO, LTO. `timeout` overrides `limits.timeout`. InstallError
    (one line) or Cancelled; either way the probe's whole process group is dead and its
    scratch folder gone when this returns or raises (KeyboardInterrupt included). The scratch
    folder is made in `scratch_in` (the install's staging, which the stale sweep removes if
    the process is killed) or else in the system's temp folder. `launcher`: a limiter started
    ahead with the same limits (used if it is still waiting)."""
    limits = limits or ProbeLimits()
    if timeout is not None:
        limits = replace(limits, timeout=timeout)
    ran = run_contained(
        Path(executable), ["-I", "-c", PROBE_SCRIPT], limits=limits, cancel=cancel,
        scratch_in=scratch_in, launcher=launcher,
    )  # fmt: skip
    return _answer(Path(executable), ran.returncode, ran.stdout, ran.stderr)


@dataclass(frozen=True)
class Ran:
    """How a contained run ended: its exit status (negative: killed by that signal) and its
    output, each at most the limit's bytes."""

    returncode: int | None
    stdout: bytes
    stderr: bytes


def run_contained(
    executable: Path,
    arguments: Sequence[str],
    *,
    limits: ProbeLimits,
    cancel: threading.Event | None = None,
    scratch_in: Path | None = None,
    too_much: str = PROBE_OUTPUT_HINT,
    launcher: ProbeLauncher | None = None,
) -> Ran:
    """Run `executable arguments...` contained like the probe (own session and process group,
    the probe's clean environment with HOME and TMPDIR in a scratch folder, rlimits, output
    capped at `limits.output`, killed as a group at `limits.timeout`, on cancel and once it
    has exited). InstallError past the deadline or the cap (`too_much` says what a real
    CPython writes), Cancelled on cancel; the group is dead and the scratch folder gone when
    this returns or raises."""
    check_cancel(cancel)
    scratch = Path(tempfile.mkdtemp(prefix="pybs-tui-probe-", dir=scratch_in))
    try:
        env = probe_env(scratch)
        for folder in (env["HOME"], env["TMPDIR"]):
            os.mkdir(folder, 0o700)
        proc = None
        if launcher is not None and launcher.limits.rlimits() == limits.rlimits():
            proc = launcher.launch(Path(executable), list(arguments), env)
        if proc is None:
            proc = _start(Path(executable), list(arguments), env, limits)
        try:
            stdout, stderr = _collect(proc, limits, cancel, too_much)
        finally:
            _end(proc)
    finally:
        _remove(scratch)
    return Ran(proc.returncode, stdout, stderr)


def _start(
    executable: Path, arguments: list[str], env: dict[str, str], limits: ProbeLimits
) -> subprocess.Popen[bytes]:
    """The probe, started in a session (and process group) of its own, limits set first."""
    probe = [os.fspath(executable), *arguments]
    posix = os.name == "posix"
    argv = (
        [sys.executable, "-I", "-S", "-c", _LIMITER % (limits.rlimits(), _EXEC_FAILED), *probe]
        if posix
        else probe
    )
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=env["HOME"],
            start_new_session=posix,
            creationflags=0 if posix else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        )
    except OSError as exc:
        raise InstallError(
            f"cannot run the installed interpreter {executable}: {exc.strerror or exc}"
        ) from None


class ProbeLauncher:
    """The limiter of a probe, started ahead (while the archive downloads): this Python, in a
    session and process group of its own, with the probe's limits already set, waiting on a
    pipe. At the probe it only has to become the new interpreter, so the probe costs one
    interpreter start instead of two (the limiter's start, ~12 ms, is paid while the bytes
    arrive). Same containment as `_start`: the process that becomes the probe is the session
    and group leader, its environment and folder are the probe's (handed over with the
    order), its stdin /dev/null, and `run_contained` bounds it as any probe.

    Use as a context manager, and `start` it when the time is right (an install: once the
    server has answered, so the request does not share the CPU with its start); a launcher
    not used by the end of the block is killed (its group) and reaped. POSIX only; elsewhere,
    if never started, or if it cannot start, the probe starts its own limiter as before.
    """

    def __init__(self, limits: ProbeLimits | None = None) -> None:
        self.limits = limits or ProbeLimits()
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.started = False
        self.ended = False

    def __enter__(self) -> ProbeLauncher:
        return self

    def start(self) -> None:
        """Start the waiting limiter (once; nothing after the block's end, or off POSIX)."""
        with self.lock:
            if self.started or self.ended or os.name != "posix":
                return
            self.started = True
            script = _WAITING_LIMITER % (self.limits.rlimits(), _ORDER_CAP, _EXEC_FAILED)
            with contextlib.suppress(OSError):
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", script],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=dict(_LAUNCHER_ENV),
                    cwd="/",
                    start_new_session=True,
                )

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.ended = True
            proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            _end(proc)

    def launch(
        self, executable: Path, arguments: list[str], env: dict[str, str]
    ) -> subprocess.Popen[bytes] | None:
        """Hand the waiting limiter its order: it becomes `executable arguments...` in `env`,
        in the folder env["HOME"]. The process (this launcher's no more), or None if there
        is none waiting (not started, used already, or dead: the caller starts one)."""
        with self.lock:
            proc, self.proc = self.proc, None
        if proc is None:
            return None
        order = {"argv": [os.fspath(executable), *arguments], "env": env, "cwd": env["HOME"]}
        data = marshal.dumps(order)
        try:
            # _exited does not reap it: its pid, and so its group id, stay its own for _end
            if _exited(proc) or proc.stdin is None or len(data) > _ORDER_CAP:
                raise OSError("the launcher is gone")
            proc.stdin.write(data)
            proc.stdin.close()
        except OSError:
            if proc.returncode is None:
                _end(proc)
            else:  # reaped by someone else already: its group id may name another group
                for pipe in (proc.stdin, proc.stdout, proc.stderr):
                    with contextlib.suppress(OSError):
                        if pipe is not None:
                            pipe.close()
            return None
        return proc


def _collect(
    proc: subprocess.Popen[bytes],
    limits: ProbeLimits,
    cancel: threading.Event | None,
    too_much: str = PROBE_OUTPUT_HINT,
) -> tuple[bytes, bytes]:
    """stdout and stderr of the probe until it exits; InstallError at the deadline or past the
    output cap, Cancelled on cancel. Never waits for a pipe's end: a child the probe left
    behind may hold it (it is killed with the group once the probe has exited)."""
    assert proc.stdout is not None and proc.stderr is not None
    outputs = [
        _Output("stdout", proc.stdout, limits.output, too_much),
        _Output("stderr", proc.stderr, limits.output, too_much),
    ]
    deadline = time.monotonic() + limits.timeout
    if os.name != "posix":
        return _collect_threads(proc, outputs, deadline, limits, cancel)
    nap = NAP
    with selectors.DefaultSelector() as selector, _exit_watch(proc) as exit_fd:
        for output in outputs:
            os.set_blocking(output.fd, False)
            selector.register(output.fd, selectors.EVENT_READ, output)
        if exit_fd is not None:  # readable once the probe has exited: no wait past its end
            selector.register(exit_fd, selectors.EVENT_READ, None)
        while not _exited(proc):
            check_cancel(cancel)
            left = deadline - time.monotonic()
            if left <= 0:
                raise _too_slow(limits)
            if not selector.get_map():  # both pipes closed, the probe still running
                time.sleep(min(nap, left))  # it is most likely exiting: look again soon
                nap = min(2 * nap, POLL)
                continue
            for key, _ in selector.select(min(POLL, left)):
                # a pipe at its end, or the exit watch fired (looked at once, then not again)
                if key.data is None or not key.data.read():
                    selector.unregister(key.fd)
    _kill_group(proc)  # whatever it left behind stops writing
    for output in outputs:
        output.drain()
    return bytes(outputs[0].data), bytes(outputs[1].data)


class _Output:
    """One of the probe's pipes, read without blocking into a buffer of at most `cap` bytes."""

    def __init__(self, name: str, pipe: IO[bytes], cap: int, hint: str) -> None:
        self.name, self.pipe, self.fd, self.cap = name, pipe, pipe.fileno(), cap
        self.hint = hint
        self.data = bytearray()

    def read(self) -> bool:
        """Take what is there; False at the end of the pipe (or nothing more to wait for)."""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return self.add(chunk)

    def add(self, chunk: bytes) -> bool:
        if not chunk:
            return False
        self.data += chunk
        if len(self.data) > self.cap:
            raise InstallError(
                f"the installed interpreter wrote more than {format_size(self.cap)} to "
                f"{self.name} ({self.hint})"
            )
        return True

    def drain(self) -> None:
        """What is in the pipe now, without waiting for more."""
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:  # BlockingIOError: nothing more for now
                return
            if not self.add(chunk):
                return


def _collect_threads(
    proc: subprocess.Popen[bytes],
    outputs: list[_Output],
    deadline: float,
    limits: ProbeLimits,
    cancel: threading.Event | None,
) -> tuple[bytes, bytes]:
    """Where pipes cannot be selected (Windows): one reader thread per pipe, same bounds."""
    errors: list[InstallError] = []

    def pump(output: _Output) -> None:
        try:
            while output.add(output.pipe.read1(1 << 16)):  # type: ignore[attr-defined]
                pass
        except InstallError as exc:
            errors.append(exc)
        except (OSError, ValueError):
            pass

    readers = [threading.Thread(target=pump, args=(o,), daemon=True) for o in outputs]
    for reader in readers:
        reader.start()
    while proc.poll() is None:
        check_cancel(cancel)
        if errors:
            raise errors[0]
        if time.monotonic() >= deadline:
            raise _too_slow(limits)
        time.sleep(POLL)
    for reader in readers:
        reader.join(1.0)
    if errors:
        raise errors[0]
    return bytes(outputs[0].data), bytes(outputs[1].data)


@contextlib.contextmanager
def _exit_watch(proc: subprocess.Popen[bytes]) -> Iterator[int | None]:
    """A descriptor that becomes readable when the probe exits (Linux's pidfd), so the wait
    for its end is a select, not a poll; None where the system has none (the caller then
    looks again after short, growing naps). The probe is not reaped until `_end`, so its pid
    cannot name another process meanwhile."""
    pidfd_open = getattr(os, "pidfd_open", None)
    fd = None
    if pidfd_open is not None:
        with contextlib.suppress(OSError):  # an older kernel, or a sandbox that forbids it
            fd = pidfd_open(proc.pid)
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def _too_slow(limits: ProbeLimits) -> InstallError:
    return InstallError(f"the installed interpreter did not answer within {limits.timeout:g} s")


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the probe has exited, without reaping it where the system allows (its pid, and
    so its process group id, stay reserved until `_end` kills the group and reaps it)."""
    if proc.returncode is not None:
        return True
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return proc.poll() is not None
    try:
        return waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return proc.poll() is not None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the probe's whole process group (its own session: nothing of ours)."""
    if os.name != "posix":
        with contextlib.suppress(OSError):
            proc.kill()
        return
    with contextlib.suppress(OSError):  # the group is gone already
        os.killpg(proc.pid, signal.SIGKILL)


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill the group, reap the probe, close the pipes: nothing of the probe runs after."""
    _kill_group(proc)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)  # SIGKILLed: only a process stuck in the kernel takes longer
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _remove(scratch: Path) -> None:
    """Delete the scratch folder (links unlinked, never followed; modes fixed first)."""
    from .root import remove_tree

    with contextlib.suppress(OSError):
        remove_tree(scratch)


def why_it_ended(returncode: int | None, stderr: str) -> str:
    """The last line a failed process wrote to stderr, else how it ended (not yet escaped)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if lines:
        return lines[-1]
    if returncode is not None and returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _answer(
    executable: Path, returncode: int | None, stdout: bytes, stderr: bytes
) -> dict[str, Any]:
    """The probe dict, or why there is none (one printable line)."""
    err = stderr.decode("utf-8", "replace")
    if returncode == 127 and err.startswith(_EXEC_FAILED):
        reason = err[len(_EXEC_FAILED) :].strip()
        raise InstallError(f"cannot run the installed interpreter {executable}: {_line(reason)}")
    if returncode != 0:
        last = why_it_ended(returncode, err)
        raise InstallError(f"the installed interpreter failed to start: {_line(last)}")
    return parse_probe_output(stdout.decode("utf-8", "replace"))


def _line(text: str, limit: int = 200) -> str:
    """Text from the probe, safe to show: control characters escaped, one line, bounded."""
    text = printable(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
