"""Fix-ups (links, sysconfig prefix) and the probe, on small trees built in the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pybs_tui.catalog.names import parse_name
from pybs_tui.install.fixups import (
    ensure_python_links,
    make_receipt,
    patch_sysconfig,
    replace_prefix,
)
from pybs_tui.install.probe import (
    ProbeMismatch,
    parse_config_args,
    parse_probe_output,
    probe_checks,
)
from pybs_tui.progress import InstallError

SYSCONFIGDATA = """\
# system configuration generated and used by the sysconfig module
build_time_vars = {'ABIFLAGS': '',
 'BINDIR': '/install/bin',
 'CONFIG_ARGS': "'--build=x86_64-unknown-linux-gnu' '--prefix=/install' '--with-lto'",
 'CFLAGS': '-O3 -I/install/include -I/tools/deps/include',
 'INCLUDEPY': '/install/include/python3.12',
 'INSTALL': '/usr/bin/install -c',
 'LDFLAGS': '-L/install/lib -Wl,-rpath,/install/lib -L/tools/deps/lib',
 'LIBDIR': '/install/lib',
 'OTHER': '/installer/lib /install2 x/install',
 'prefix': '/install'}
"""


def test_replace_prefix_whole_paths_only() -> None:
    out = replace_prefix(SYSCONFIGDATA, "/install", "/opt/py")
    assert "'prefix': '/opt/py'" in out
    assert "'BINDIR': '/opt/py/bin'" in out
    assert "'INSTALL': '/usr/bin/install -c'" in out  # not a prefix: left alone
    assert "-O3 -I/opt/py/include -I/tools/deps/include" in out
    assert "-L/opt/py/lib -Wl,-rpath,/opt/py/lib -L/tools/deps/lib" in out
    assert "'--prefix=/opt/py'" in out
    assert "'/installer/lib /install2 x/install'" in out


def _tree(root: Path) -> None:
    lib = root / "lib" / "python3.12"
    (lib / "__pycache__").mkdir(parents=True)
    (lib / "_sysconfigdata__linux_x86_64-linux-gnu.py").write_text(SYSCONFIGDATA)
    (lib / "__pycache__" / "_sysconfigdata__linux_x86_64-linux-gnu.cpython-312.pyc").write_bytes(
        b"stale"
    )
    (lib / "config-3.12-x86_64-linux-gnu").mkdir()
    (lib / "config-3.12-x86_64-linux-gnu" / "Makefile").write_text(
        "prefix=\t\t/install\nINSTALL=\t/usr/bin/install -c\n"
    )
    (root / "lib" / "pkgconfig").mkdir()
    (root / "lib" / "pkgconfig" / "python-3.12.pc").write_text(
        "prefix=/install\nexec_prefix=${prefix}\nlibdir=${exec_prefix}/lib\n"
    )
    (root / "bin").mkdir()
    (root / "bin" / "python3.12").write_bytes(b"\x7fELF\x00\x00/install/lib\x00")
    (root / "bin" / "python3.12").chmod(0o755)
    config = root / "bin" / "python3.12-config"
    config.write_text('#!/bin/sh\nprefix="/install"\nexec_prefix_build="/install"\n')
    config.chmod(0o755)


def test_patch_sysconfig(tmp_path: Path) -> None:
    root = tmp_path / "py"
    _tree(root)
    final = tmp_path / "final place"
    changed = patch_sysconfig(root, final)
    assert len(changed) == 4
    lib = root / "lib" / "python3.12"
    data = (lib / "_sysconfigdata__linux_x86_64-linux-gnu.py").read_text()
    assert f"'prefix': '{final}'" in data and f"'INCLUDEPY': '{final}/include/python3.12'" in data
    namespace: dict = {}
    exec(data, namespace)  # still valid Python
    assert namespace["build_time_vars"]["LIBDIR"] == f"{final}/lib"
    assert not list((lib / "__pycache__").iterdir())  # stale bytecode dropped
    assert (
        lib / "config-3.12-x86_64-linux-gnu" / "Makefile"
    ).read_text() == f"prefix=\t\t{final}\nINSTALL=\t/usr/bin/install -c\n"
    assert (
        (root / "lib" / "pkgconfig" / "python-3.12.pc").read_text().startswith(f"prefix={final}\n")
    )
    assert f'prefix="{final}"' in (root / "bin" / "python3.12-config").read_text()
    assert os.access(root / "bin" / "python3.12-config", os.X_OK)
    assert b"/install/lib" in (root / "bin" / "python3.12").read_bytes()  # binaries untouched
    assert patch_sysconfig(root, final) == []  # idempotent


def test_patch_sysconfig_uses_the_recorded_prefix(tmp_path: Path) -> None:
    root = tmp_path / "py"
    _tree(root)
    data = root / "lib" / "python3.12" / "_sysconfigdata__linux_x86_64-linux-gnu.py"
    data.write_text(SYSCONFIGDATA.replace("/install", "/opt/build"))
    patch_sysconfig(root, tmp_path / "new")
    assert f"'LIBDIR': '{tmp_path}/new/lib'" in data.read_text()


def test_ensure_python_links(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("python3.12", "python3.12-config", "pydoc3.12"):
        (bindir / name).write_text("x")
    build = parse_name("cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz")
    assert ensure_python_links(tmp_path, build) == ["python3", "python"]
    assert os.readlink(bindir / "python3") == "python3.12"
    assert os.readlink(bindir / "python") == "python3.12"
    assert ensure_python_links(tmp_path, build) == []
    (bindir / "python").unlink()
    (bindir / "python").write_text("mine")
    assert ensure_python_links(tmp_path, build) == []
    assert (bindir / "python").read_text() == "mine"


def test_receipt_fields() -> None:
    build = parse_name(
        "cpython-3.13.1+20241206-aarch64-apple-darwin-freethreaded+pgo+lto-full.tar.zst"
    )
    assert build is not None
    receipt = make_receipt(
        build,
        url="u",
        origin="o",
        sha256="s",
        size=3,
        source="mirror",
        verified=True,
        probe={"version": "3.13.1"},
        executable="bin/python3",
        installed_at=0.0,
        layout="full",
    )
    assert receipt["installed_at"] == "1970-01-01T00:00:00+00:00"
    assert receipt["build_options"] == ["freethreaded", "lto", "pgo"]
    assert receipt["triple"] == "aarch64-apple-darwin" and receipt["release"] == "20241206"
    assert {
        "schema",
        "name",
        "url",
        "sha256",
        "size",
        "release",
        "version",
        "flavor",
        "build_options",
        "triple",
        "installed_at",
        "source",
        "verified",
        "probe",
        "prefix",
    } <= set(receipt)


# -- probe ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config, expected",
    [
        ("'--enable-optimizations' '--with-lto'", (True, True)),
        ("--enable-optimizations --with-lto=full", (True, True)),
        ("'--with-lto=thin' '--prefix=/install'", (False, True)),
        ("'--with-lto=no' '--enable-shared'", (False, False)),
        ("--enable-optimizations-not", (False, False)),
        ("", (False, False)),
        (None, (False, False)),
    ],
)
def test_parse_config_args(config: str | None, expected: tuple[bool, bool]) -> None:
    assert parse_config_args(config) == expected


def test_parse_probe_output_skips_noise() -> None:
    out = (
        'warning: something\n{"version": "3.12.3", "Py_DEBUG": 1, "Py_GIL_DISABLED": null,'
        ' "abiflags": "d", "CONFIG_ARGS": "--with-lto"}\n'
    )
    probe = parse_probe_output(out)
    assert probe == {
        "version": "3.12.3",
        "Py_DEBUG": 1,
        "Py_GIL_DISABLED": 0,
        "abiflags": "d",
        "CONFIG_ARGS": "--with-lto",
        "PGO": False,
        "LTO": True,
    }
    with pytest.raises(InstallError, match="did not answer the probe"):
        parse_probe_output("Segmentation fault\n")


def failed(build, probe, inferred=None) -> list[str]:
    return [c.flag for c in probe_checks(build, probe, inferred) if c.failed]


def test_probe_checks_pgo_lto_of_full_names_and_warns_on_inferred_ones() -> None:
    base = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu"
    probe = {"version": "3.12.3", "Py_DEBUG": 0, "Py_GIL_DISABLED": 0, "CONFIG_ARGS": ""}
    install_only = parse_name(f"{base}-install_only.tar.gz")
    full = parse_name(f"{base}-pgo+lto-full.tar.zst")
    noopt = parse_name(f"{base}-noopt-full.tar.zst")
    assert failed(install_only, probe) == []
    assert failed(full, probe) == ["PGO", "LTO"]
    assert failed(noopt, probe) == []
    assert failed(full, {**probe, "CONFIG_ARGS": None}) == []
    # an install_only archive's optimisations are inferred: checked, shown, never fatal
    inferred = {"PGO": (True, "inferred: cut from this release's pgo+lto full build")}
    checks = {c.flag: c for c in probe_checks(install_only, probe, inferred)}
    assert checks["PGO"].ok is False and not checks["PGO"].failed
    assert "inferred as pgo" in checks["PGO"].problem
    confirmed = {**probe, "CONFIG_ARGS": "'--enable-optimizations' '--with-lto'"}
    assert {c.flag: c.ok for c in probe_checks(install_only, confirmed, inferred)}["PGO"] is True


def test_probe_mismatch_carries_the_checks() -> None:
    build = parse_name("cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-debug-full.tar.zst")
    probe = {"version": "3.12.3", "Py_DEBUG": 0, "Py_GIL_DISABLED": 0, "abiflags": ""}
    error = ProbeMismatch(probe_checks(build, probe))
    assert str(error) == "probe mismatch: archive sold as debug but Py_DEBUG=0"
    assert [(c.flag, c.promised, c.found) for c in error.checks if c.failed] == [
        ("Py_DEBUG", "1", "0")
    ]
