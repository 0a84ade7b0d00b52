"""Issue 13, holes 2, 3 and 11: the file verified is the file used; the probe runs the new
interpreter in its own process group with a clean environment, bounded output, a deadline that
kills the whole group, and resource limits; Ctrl-C and SIGTERM during the probe clean up.

The stand-in interpreters are shell scripts (or a Python script for the environment record)
packed PBS-style; what they record goes to a folder outside the test's home, and every test
checks the outside/ sentinel, staging, the other installs and that no process it started is
left running.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pybs_tui.fileops import HASH_CHUNK
from pybs_tui.install import probe as probe_module
from pybs_tui.install.probe import run_probe
from pybs_tui.install.receipts import install_dir_name, iter_receipts
from pybs_tui.progress import InstallError, Progress
from pybs_tui.service import install as service_install
from tests.install.helpers import (
    TAG,
    World,
    build_for,
    host_triple,
    make_world,
    pbs_archive,
    staging_left,
    tree_state,
)
from tests.install.test_cli import api_catalog
from tests.support.archives import Archive, Member, asset_name, make_archive, pbs_members
from tests.support.cli import cli_env

posix_only = pytest.mark.skipif(os.name != "posix", reason="process groups and signals")
pytestmark = posix_only

VERSION = "3.12.3"
GOOD_JSON = (
    '{"version": "3.12.3", "Py_DEBUG": 0, "Py_GIL_DISABLED": 0, "abiflags": "", '
    "\"CONFIG_ARGS\": \"'--enable-optimizations' '--with-lto'\"}"
)
#: How long a test lets a stuck install run before calling it hung (never a timing assert:
#: a working install ends in well under a second, a hung one never does).
HUNG = 30.0


# -- the rig ------------------------------------------------------------------------------------


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, server: object, shared_client: object) -> World:
    return make_world(tmp_path, server, shared_client)


@pytest.fixture(name="record")
def record_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the stand-in interpreters write what they saw (outside the world's tree)."""
    return tmp_path_factory.mktemp("record")


@pytest.fixture(name="reaper")
def reaper_fixture() -> Iterator[list[int]]:
    """Pids a test saw; any still running at the end are killed (a failing run leaves none)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if not gone(pid):
            with_pid(pid, signal.SIGKILL)


@pytest.fixture(name="forks_allowed")
def forks_allowed_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe's RLIMIT_NPROC counts every process of the user (root is exempt): lift it so
    the stand-in can leave its background child on any machine."""
    limits = getattr(probe_module, "ProbeLimits", None)  # (absent before issue 13)
    if limits is not None:
        monkeypatch.setattr(probe_module, "ProbeLimits", functools.partial(limits, processes=None))


def with_pid(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its reaper counts as ended)."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except (OSError, IndexError):
            return True
    out = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return out.returncode != 0 or out.stdout.strip().startswith("Z")


def survivors(pids: list[int], bound: float = 10.0) -> list[int]:
    """Those of `pids` still running once they had `bound` seconds to die (SIGKILL is sent
    before the install returns; the kernel finishes the job a moment later)."""
    deadline = time.monotonic() + bound
    while True:
        alive = [pid for pid in pids if not gone(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def wait_for(predicate: Callable[[], bool], what: str, bound: float = HUNG) -> None:
    deadline = time.monotonic() + bound
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def read_pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()]


def archive_with(script: bytes, version: str = VERSION) -> tuple[str, Archive]:
    """A PBS-shaped install_only archive whose bin/python3.X is `script`."""
    minor = ".".join(version.split(".")[:2])
    members = pbs_members("python", version)
    for member in members:
        if member.name == f"python/bin/python{minor}":
            member.data = script
    name = asset_name(version, TAG, host_triple(), "", "install_only")
    return name, make_archive(members)


def hanging_python(pids: Path) -> bytes:
    """An interpreter that leaves a background child holding the pipes, then hangs itself.
    It writes '<its pid> <the child's pid>' to `pids` first (one rename: never half read)."""
    return (
        "#!/bin/sh\n"
        "sleep 300 &\n"
        f"echo \"$$ $!\" > '{pids}.tmp' && mv '{pids}.tmp' '{pids}'\n"
        "exec sleep 300\n"
    ).encode()


def run_in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def one_line(message: str) -> None:
    assert "\n" not in message and len(message) < 400, message
    assert "Traceback" not in message, message


# -- hole 2: the file that was verified is the file that is used -------------------------------


def test_local_archive_swapped_after_the_hash_installs_what_was_verified(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another archive renamed over the file between its hash and its extraction: the archive
    that was hashed is the one installed (its receipt, its files); the other never runs."""
    name, good = pbs_archive(version=VERSION)
    pwned = world.outside / "pwned"
    evil_script = f"#!/bin/sh\necho owned > '{pwned}'\necho '{GOOD_JSON}'\n".encode()
    _, evil = archive_with(evil_script)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    local = incoming / name
    local.write_bytes(good.data)
    (incoming / "evil").write_bytes(evil.data)
    build = build_for(name, good, f"https://example.invalid/{name}")
    outside_before = tree_state(world.outside)
    real_install_archive = service_install.install_archive
    swapped: list[Path] = []

    def swap_then_install(*args: Any, **kwargs: Any) -> Any:
        os.replace(incoming / "evil", local)  # the attacker's rename, right after the hash
        swapped.append(local)
        return real_install_archive(*args, **kwargs)

    monkeypatch.setattr(service_install, "install_archive", swap_then_install)

    result = world.install(build, source=str(local))

    assert swapped and local.read_bytes() == evil.data  # the swap did happen
    assert result.receipt["sha256"] == good.sha256 and result.receipt["verified"] is True
    installed = (result.path / "bin" / "python3.12").read_bytes()
    assert b"owned" not in installed and b"canned values" in installed
    assert tree_state(world.outside) == outside_before and not pwned.exists()
    assert staging_left(world.settings.install_dir) == []
    names = sorted(p.name for p, _ in iter_receipts(world.settings))
    assert names == sorted([*world.installed, install_dir_name(name)])
    assert local.exists()  # the user's file is theirs: never moved or deleted


def test_local_archive_rewritten_in_place_after_the_hash_installs_what_was_verified(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same file (same inode) rewritten with other bytes between hash and extraction: the
    bytes installed are the bytes hashed; the other archive's interpreter never runs."""
    name, good = pbs_archive(version=VERSION)
    _, evil = archive_with(f"#!/bin/sh\necho owned > '{world.outside}/pwned'\n".encode())
    local = tmp_path / name
    local.write_bytes(good.data)
    build = build_for(name, good, f"https://example.invalid/{name}")
    real_install_archive = service_install.install_archive

    def rewrite_then_install(*args: Any, **kwargs: Any) -> Any:
        local.write_bytes(evil.data)  # same inode, new bytes
        return real_install_archive(*args, **kwargs)

    monkeypatch.setattr(service_install, "install_archive", rewrite_then_install)
    result = world.install(build, source=str(local))
    assert local.read_bytes() == evil.data
    assert result.receipt["sha256"] == good.sha256
    assert not (world.outside / "pwned").exists()
    assert staging_left(world.settings.install_dir) == []


def test_local_archive_rewritten_while_it_is_read_is_refused(world: World, record: Path) -> None:
    """Bytes changed in the middle of the copy: the hash covers exactly the bytes copied, so
    the mismatch is caught, nothing is installed and nothing is left."""
    blob = Member("python/lib/blob.bin", os.urandom(3 * HASH_CHUNK))
    name, good = pbs_archive(version=VERSION, extra=[blob])
    local = record / name  # outside the world's tree (which must not change)
    local.write_bytes(good.data)
    build = build_for(name, good, f"https://example.invalid/{name}")
    rewritten: list[int] = []

    def progress(p: Progress) -> None:
        if p.phase == "verify" and p.done and not rewritten:
            with local.open("r+b") as fh:  # after the first chunk: flip the rest
                fh.seek(p.done)
                fh.write(bytes(b ^ 0xFF for b in good.data[p.done :]))
            rewritten.append(p.done)

    world.refused(build, "sha256 mismatch", source=str(local), progress=progress)
    assert rewritten and rewritten[0] < good.size


def test_local_archive_replaced_by_a_fifo_is_refused_at_once(world: World, record: Path) -> None:
    """A FIFO put where the archive was: refused with one line, never a read that waits for
    a writer forever."""
    name, good = pbs_archive(version=VERSION)
    local = record / name
    os.mkfifo(local)
    build = build_for(name, good, f"https://example.invalid/{name}")
    thread, box = run_in_thread(
        lambda: world.refused(build, "not a regular file", source=str(local))
    )
    thread.join(HUNG)
    if thread.is_alive():  # unblock the reader so the test run can end
        with open(os.open(local, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
    assert not thread.is_alive(), "the install waits on the FIFO"
    if "error" in box:
        raise box["error"]
    one_line(box["result"])


# -- hole 3: a probe that leaves a child behind, or hangs ---------------------------------------


@pytest.mark.usefixtures("forks_allowed")
def test_probe_deadline_kills_the_whole_group(
    world: World, record: Path, reaper: list[int]
) -> None:
    """`sleep 300 & exec sleep 300`: at the deadline the interpreter and its background child
    are killed, the install fails with one line, nothing is left."""
    pids = record / "pids"
    name, archive = archive_with(hanging_python(pids))
    build = world.serve(name, archive)
    thread, box = run_in_thread(lambda: world.refused(build, "did not answer", probe_timeout=2))
    thread.join(HUNG)
    if pids.exists():
        reaper.extend(read_pids(pids))
    assert not thread.is_alive(), f"the install still runs {HUNG:g} s after a 2 s deadline"
    if "error" in box:
        raise box["error"]
    one_line(box["result"])
    assert len(read_pids(pids)) == 2  # it did start, and left its child
    assert survivors(read_pids(pids)) == []


@pytest.mark.usefixtures("forks_allowed")
def test_probe_cancel_kills_the_whole_group(world: World, record: Path, reaper: list[int]) -> None:
    """Cancel while the probe hangs: Cancelled at once, the group killed, staging gone."""
    from pybs_tui.progress import Cancelled

    pids = record / "pids"
    name, archive = archive_with(hanging_python(pids))
    build = world.serve(name, archive)
    cancel = threading.Event()
    thread, box = run_in_thread(lambda: world.install(build, cancel=cancel, probe_timeout=300))
    wait_for(pids.exists, "the probe started")
    reaper.extend(read_pids(pids))
    cancel.set()
    thread.join(HUNG)
    assert not thread.is_alive(), "the install did not stop after cancel"
    assert isinstance(box.get("error"), Cancelled), box
    assert survivors(read_pids(pids)) == []
    world.check()


# -- hole 11: a clean environment, bounded output, resource limits ------------------------------

ENV_RECORDER = """\
#!{python} -I
import json, os, resource, sys
names = ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE")
seen = {{
    "env": dict(os.environ),
    "cwd": os.getcwd(),
    "home_is_dir": os.path.isdir(os.environ.get("HOME", "/nonexistent")),
    "tmp_is_dir": os.path.isdir(os.environ.get("TMPDIR", "/nonexistent")),
    "limits": {{n: resource.getrlimit(getattr(resource, n)) for n in names}},
    "pgid": os.getpgid(0),
    "sid": os.getsid(0),
    "pid": os.getpid(),
}}
with open({record!r}, "w") as fh:
    json.dump(seen, fh)
print({answer!r})
"""

SECRETS = {
    "GITHUB_TOKEN": "ghp_secret",
    "GH_TOKEN": "gho_secret",
    "HTTPS_PROXY": "http://proxy.invalid:3128",
    "http_proxy": "http://proxy.invalid:3128",
    "ALL_PROXY": "socks5://proxy.invalid:1080",
    "AWS_SECRET_ACCESS_KEY": "aws_secret",
    "SSH_AUTH_SOCK": "/tmp/agent.sock",
    "PYTHONPATH": "/tmp/elsewhere",
}


def test_probe_runs_with_a_clean_environment_and_resource_limits(
    world: World, record: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No token, proxy or other secret reaches the new interpreter; HOME and TMPDIR are a
    scratch folder removed afterwards; PATH is minimal, the locale C.UTF-8; it runs in its
    own session with RLIMIT_AS/FSIZE/NPROC/CORE set."""
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    seen_file = record / "seen.json"
    script = ENV_RECORDER.format(python=sys.executable, record=str(seen_file), answer=GOOD_JSON)
    name, archive = archive_with(script.encode())
    result = world.install(world.serve(name, archive))
    assert result.path.is_dir()

    seen = json.loads(seen_file.read_text())
    env = seen["env"]
    leaked = sorted(k for k in env if k in SECRETS or k.lower().endswith("_proxy"))
    assert leaked == [], leaked
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE"}, sorted(env)
    assert env["LANG"] == env["LC_ALL"] == "C.UTF-8"
    assert env["PATH"] == "/usr/bin:/bin"
    home, tmp = Path(env["HOME"]), Path(env["TMPDIR"])
    assert seen["home_is_dir"] and seen["tmp_is_dir"]
    assert home.parent == tmp.parent  # one scratch folder holds both
    assert not home.parent.exists(), "the scratch folder outlived the probe"
    # inside the install's staging, so the stale sweep removes it if we are killed
    assert home.parent.parent.name.startswith(".staging-"), home
    assert home.parent.parent.parent == world.settings.install_dir, home
    assert Path(seen["cwd"]) == home
    assert seen["pgid"] == seen["pid"] == seen["sid"]  # its own session and process group
    limits = {k: tuple(v) for k, v in seen["limits"].items()}
    defaults = probe_module.ProbeLimits()
    assert limits["RLIMIT_CORE"] == (0, 0)
    assert limits["RLIMIT_FSIZE"] == (defaults.file_size, defaults.file_size)
    assert limits["RLIMIT_AS"] == (defaults.address_space, defaults.address_space)
    assert limits["RLIMIT_NPROC"] == (defaults.processes, defaults.processes)
    assert staging_left(world.settings.install_dir) == []


def test_probe_output_over_the_cap_is_refused(world: World) -> None:
    """8 MiB on stdout before the answer: refused with one line (the output is not kept)."""
    script = f"#!/bin/sh\nhead -c 8388608 /dev/zero | tr '\\0' x\necho\necho '{GOOD_JSON}'\n"
    name, archive = archive_with(script.encode())
    message = world.refused(world.serve(name, archive), "more than")
    assert "stdout" in message


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_probe_endless_output_is_cut_off_and_its_writer_killed(
    world: World, record: Path, reaper: list[int], stream: str
) -> None:
    """`yes` forever on either stream: cut off at the cap, the writer killed, one line."""
    pids = record / "pids"
    redirect = ">&2" if stream == "stderr" else ""
    script = (
        f"#!/bin/sh\necho \"$$\" > '{pids}.tmp' && mv '{pids}.tmp' '{pids}'\nexec yes {redirect}\n"
    )
    name, archive = archive_with(script.encode())
    build = world.serve(name, archive)
    thread, box = run_in_thread(lambda: world.refused(build, "more than", probe_timeout=HUNG))
    thread.join(HUNG + 10)
    assert not thread.is_alive()
    if "error" in box:
        raise box["error"]
    assert stream in box["result"]
    reaper.extend(read_pids(pids))
    assert survivors(read_pids(pids)) == []


def real_interpreters() -> list[Path]:
    """The runner's own CPython and every pyenv CPython 3.11+ on this machine (real binaries,
    not shims)."""
    found = {Path(getattr(sys, "_base_executable", sys.executable)).resolve()}
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for minor in range(11, 16):
        for exe in glob.glob(str(root / "versions" / f"3.{minor}*" / "bin" / f"python3.{minor}")):
            found.add(Path(exe).resolve())
    return sorted(found)


@pytest.mark.parametrize("exe", real_interpreters(), ids=lambda p: p.name)
def test_real_interpreters_pass_the_bounded_probe(exe: Path) -> None:
    """Every real CPython here answers the probe under its limits and clean environment."""
    version = subprocess.run(
        [str(exe), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    probe = run_probe(exe)
    assert probe["version"] == version
    assert probe["Py_DEBUG"] in (0, 1) and isinstance(probe["abiflags"], str)


def test_run_probe_refuses_more_output_than_its_limit(tmp_path: Path) -> None:
    """The cap is the probe's own: a small one trips on the real probe's answer."""
    exe = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    with pytest.raises(InstallError, match="more than"):
        run_probe(exe, limits=probe_module.ProbeLimits(output=16))


# -- KeyboardInterrupt and SIGTERM during the probe (the real CLI) ------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_signal_during_the_probe_cleans_up(
    tmp_path: Path, record: Path, reaper: list[int], sig: int
) -> None:
    """`pybs-tui install ./archive` stopped by Ctrl-C or SIGTERM while the probe hangs: the
    probe's group is killed, staging and the private copy removed, one line, exit 130."""
    pids = record / "pids"
    name, archive = archive_with(hanging_python(pids))
    local = tmp_path / "incoming" / name
    local.parent.mkdir()
    local.write_bytes(archive.data)
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, f"https://x.invalid/{name}")])
    home = tmp_path / "home"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_bytes(b"sentinel\n")
    before = tree_state(outside)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pybs_tui", "install", str(local), "--catalog", catalog],
        env=cli_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: pids.exists() or proc.poll() is not None, "the probe started")
        assert proc.poll() is None, proc.communicate()
        reaper.extend(read_pids(pids))
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=HUNG)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # 130 and "interrupted" (128 + SIGTERM and its own word, should the CLI tell them apart)
    assert proc.returncode in (130, 128 + signal.SIGTERM), stderr
    errors = [line for line in stderr.splitlines() if line.startswith("pybs-tui:")]
    assert len(errors) == 1 and len(errors[0]) < 400, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert survivors(read_pids(pids)) == []
    install_dir = home / "data" / "pythons"
    assert staging_left(install_dir) == []
    assert not list(iter_receipts_in(install_dir))
    downloads = home / "cache" / "downloads"
    assert not downloads.exists() or list(downloads.iterdir()) == []
    assert tree_state(outside) == before
    assert local.read_bytes() == archive.data


def iter_receipts_in(install_dir: Path) -> Iterator[Path]:
    if install_dir.exists():
        yield from install_dir.glob("*/.pybs-receipt.json")


def test_probe_answer_nested_too_deep_is_one_line(world: World) -> None:
    """A line of 200,000 '[' where the probe's JSON should be: no RecursionError, one line."""
    script = "#!/bin/sh\nprintf '{\"a\": '\nhead -c 200000 /dev/zero | tr '\\0' '['\necho\n"
    name, archive = archive_with(script.encode())
    world.refused(world.serve(name, archive), "probe")


def test_outside_json_files_nested_or_huge_are_ignored(world: World, tmp_path: Path) -> None:
    """A receipt or another tool's metadata that is a nesting bomb, too large or a FIFO is
    read as 'not ours' (no RecursionError, no hang, no unbounded read)."""
    from pybs_tui.fileops import read_json_file
    from pybs_tui.install.receipts import read_receipt

    bomb = tmp_path / "bomb"
    bomb.mkdir()
    (bomb / ".pybs-receipt.json").write_bytes(b"[" * 200_000)
    assert read_receipt(bomb) is None
    huge = tmp_path / "huge.json"
    huge.write_bytes(b'{"a": "' + b"x" * (2 << 20) + b'"}')
    assert read_json_file(huge, 1 << 20) is None
    assert read_json_file(huge, 4 << 20) == {"a": "x" * (2 << 20)}
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert read_json_file(fifo, 1024) is None  # returns at once: never opened for a blocking read
