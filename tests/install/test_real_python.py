"""Install a really working interpreter: the test runner's own Python, packed PBS-style."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pybs_tui.install.probe import clean_env, probe_checks
from pybs_tui.service.install import install_build
from pybs_tui.settings import Settings
from tests.install.helpers import TAG, host_triple, serve, staging_left
from tests.install.realpython import can_pack, pack_real_python, real_python_version
from tests.support.archives import Archive, asset_name

REPORT = """\
import json, sys, sysconfig
print(json.dumps({"Py_DEBUG": sysconfig.get_config_var("Py_DEBUG"), "prefix": sys.prefix,
                  "executable": sys.executable, "INCLUDEPY": sysconfig.get_config_var("INCLUDEPY"),
                  "LIBDIR": sysconfig.get_config_var("LIBDIR"),
                  "EXT_SUFFIX": sysconfig.get_config_var("EXT_SUFFIX"),
                  "stdlib": sysconfig.get_paths()["stdlib"]}))
"""

EXTENSION = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "spam", NULL, -1, methods};
PyMODINIT_FUNC PyInit_spam(void) { return PyModule_Create(&module); }
"""


@pytest.mark.skipif(can_pack() is not None, reason=str(can_pack()))
def test_install_a_really_working_interpreter(settings: Settings, server, tmp_path: Path) -> None:
    data = pack_real_python()
    archive = Archive(data, hashlib.sha256(data).hexdigest(), len(data))
    version = real_python_version()
    name = asset_name(version, TAG, host_triple(), "", "install_only")
    build = serve(server, name, archive)

    result = install_build(settings, build)

    path = result.path
    assert result.probe["version"] == version
    assert result.probe["Py_DEBUG"] == 0 and result.probe["Py_GIL_DISABLED"] == 0
    assert [c.problem for c in probe_checks(build, result.probe) if c.failed] == []
    assert staging_left(settings.install_dir) == []
    out = subprocess.run(
        [str(path / "bin" / "python3"), "-I", "-c", REPORT],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["Py_DEBUG"] == 0
    assert Path(info["prefix"]) == path  # it runs from where it was installed
    assert Path(info["stdlib"]).is_relative_to(path)
    # the fix-ups pointed the recorded build prefix at the install
    include = Path(info["INCLUDEPY"])
    assert include == path / "include" / f"python{version.rsplit('.', 1)[0]}"
    assert (include / "Python.h").is_file()
    assert Path(info["LIBDIR"]) == path / "lib"

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return
    # build a C extension against the installed interpreter's headers and import it
    work = tmp_path / "ext"
    work.mkdir()
    (work / "spam.c").write_text(EXTENSION)
    target = work / f"spam{info['EXT_SUFFIX']}"
    built = subprocess.run(
        [cc, "-shared", "-fPIC", f"-I{include}", "spam.c", "-o", target.name],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert built.returncode == 0, built.stderr
    run = subprocess.run(
        [str(path / "bin" / "python3"), "-c", "import spam; print(spam.answer())"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean_env(), "PYTHONPATH": str(work)},
    )
    assert run.stdout.strip() == "42", run.stderr
    assert os.access(path / "bin" / "python3", os.X_OK)
