"""Inventory of installed interpreters: pybs-tui's own (from receipts) plus a READ-ONLY look at
those of uv, pdm, rye, hatch, mise and pyenv; and what uses each one (venvs, uv tools, pipx
apps, links, .python-version pins).

Nothing here writes (but the disk-use cache), and nothing imports textual. Every root is
injectable through `Roots` (an env mapping, a home dir, a working dir) so tests build fake
trees.
"""

from __future__ import annotations

import configparser
import datetime as dt
import os
import re
import stat
import sys
import time
import tomllib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog.group import ARCH_ALIASES
from ..catalog.models import Version
from ..catalog.names import parse_name, parse_version
from ..fileops import read_bounded, read_json_file
from ..settings import Settings
from .receipts import iter_receipts

OWN = "pybs-tui"
#: Display order of managers.
MANAGERS = (OWN, "uv", "pdm", "rye", "hatch", "mise", "pyenv")
#: Dirs never descended into when looking for venvs.
SKIP_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "site-packages",
        ".cache",
        ".npm",
        ".cargo",
        ".rustup",
        "Library",
        ".Trash",
        "proc",
    }
)
#: Top-level dirs of / never searched: kernel and device trees, runtime state, and mount points
#: (a stale network mount can block a directory listing for minutes).
SYSTEM_DIRS = frozenset(
    {"proc", "sys", "dev", "run", "lost+found", "mnt", "media", "net", "afs", "Volumes", "System"}
)
PIN_FILE = ".python-version"
#: Bytes read at most from a pyvenv.cfg and from a pin file.
CFG_LIMIT = 65536
PIN_LIMIT = 4096
CONFIG_LIMIT = 65536  # other tools' small config and metadata files: read this far at most


@dataclass(frozen=True)
class Roots:
    """Where other tools keep interpreters and where venvs and pins are looked for.

    `env` stands in for os.environ, `home` for the user's home dir and `cwd` for the working
    dir (None: no walk up from a working dir); nothing else is read.
    """

    env: Mapping[str, str]
    home: Path
    platform: str = sys.platform
    venv_roots: tuple[Path, ...] | None = None  # the deep scan's base: None is (home,)
    scan_depth: int = 4
    scan_seconds: float = 2.0
    cwd: Path | None = None
    project_depth: int = 2  # below the working dir and each of its parents

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
        cwd: Path | None = None,
        **overrides: Any,
    ) -> Roots:
        """The real environment (or `env`); the real working dir only with the real env."""
        real = env is None
        env = dict(os.environ if env is None else env)
        if home is None:
            home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        if cwd is None and real:
            try:
                cwd = Path.cwd()
            except OSError:  # the working dir was deleted
                cwd = None
        return cls(env=env, home=home, cwd=cwd, **overrides)

    # -- helpers ---------------------------------------------------------------------------
    def _path(self, var: str) -> Path | None:
        value = self.env.get(var)
        return Path(value).expanduser() if value else None

    @property
    def data_home(self) -> Path:
        return self._path("XDG_DATA_HOME") or self.home / ".local" / "share"

    def _user_data_dir(self, app: str) -> Path:
        """platformdirs' user_data_dir, computed from our env and home."""
        if self.platform == "darwin":
            return self.home / "Library" / "Application Support" / app
        if self.platform == "win32":
            base = self._path("LOCALAPPDATA") or self.home / "AppData" / "Local"
            return base / app
        return self.data_home / app

    def _user_config_dir(self, app: str) -> Path:
        if self.platform == "darwin":
            return self.home / "Library" / "Application Support" / app
        if self.platform == "win32":
            base = self._path("LOCALAPPDATA") or self.home / "AppData" / "Local"
            return base / app
        return (self._path("XDG_CONFIG_HOME") or self.home / ".config") / app

    # -- managers' roots -------------------------------------------------------------------
    def uv_python(self) -> Path:
        return self._path("UV_PYTHON_INSTALL_DIR") or self.data_home / "uv" / "python"

    def uv_tools(self) -> Path:
        return self._path("UV_TOOL_DIR") or self.data_home / "uv" / "tools"

    def pdm_python(self) -> Path:
        config = self._path("PDM_CONFIG_FILE") or self._user_config_dir("pdm") / "config.toml"
        try:
            raw = read_bounded(config, CONFIG_LIMIT)
            data = tomllib.loads((raw or b"").decode("utf-8", "replace"))
            value = data.get("python", {}).get("install_root")
            if isinstance(value, str) and value:
                return Path(value).expanduser()
        except (OSError, ValueError, AttributeError):
            pass
        return self._user_data_dir("pdm") / "python"

    def rye_py(self) -> Path:
        return (self._path("RYE_HOME") or self.home / ".rye") / "py"

    def hatch_pythons(self) -> Path:
        return (self._path("HATCH_DATA_DIR") or self._user_data_dir("hatch")) / "pythons"

    def mise_python(self) -> Path:
        base = self._path("MISE_DATA_DIR") or self.data_home / "mise"
        return base / "installs" / "python"

    def pyenv_versions(self) -> Path:
        return (self._path("PYENV_ROOT") or self.home / ".pyenv") / "versions"

    def manager_roots(self) -> dict[str, Path]:
        return {
            "uv": self.uv_python(),
            "pdm": self.pdm_python(),
            "rye": self.rye_py(),
            "hatch": self.hatch_pythons(),
            "mise": self.mise_python(),
            "pyenv": self.pyenv_versions(),
        }

    def bin_dirs(self) -> list[Path]:
        """Dirs where uv (and others) put links to interpreters: ~/.local/bin and friends."""
        dirs = [
            self._path("UV_PYTHON_BIN_DIR"),
            self._path("UV_TOOL_BIN_DIR"),
            self._path("XDG_BIN_HOME"),
            self.home / ".local" / "bin",
        ]
        out: list[Path] = []
        for d in dirs:
            if d is not None and d not in out:
                out.append(d)
        return out

    def extra_venv_roots(self) -> list[Path]:
        """PYBS_TUI_VENV_ROOTS: more folders to search for venvs (os.pathsep-separated)."""
        value = self.env.get("PYBS_TUI_VENV_ROOTS", "")
        return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]

    def scan_roots(self) -> list[Path]:
        """Folders searched `scan_depth` deep: PYBS_TUI_VENV_ROOTS, then the home dir."""
        base = list(self.venv_roots) if self.venv_roots is not None else [self.home]
        out: list[Path] = []
        for root in [*self.extra_venv_roots(), *base]:
            if root not in out:
                out.append(root)
        return out

    def project_dirs(self) -> list[Path]:
        """The working dir and its parents, up to the home dir (when under it) or /."""
        if self.cwd is None:
            return []
        current = Path(os.path.abspath(self.cwd))
        home = Path(os.path.abspath(self.home))
        out = [current]
        while current != home and current.parent != current:
            current = current.parent
            out.append(current)
        return out

    def pipx_venvs(self) -> list[Path]:
        """Where pipx keeps one venv per app: PIPX_HOME/venvs, else its default places."""
        dirs = [
            (self._path("PIPX_HOME") or self._user_data_dir("pipx")) / "venvs",
            self.home / ".local" / "share" / "pipx" / "venvs",
            self.home / ".local" / "pipx" / "venvs",
        ]
        return list(dict.fromkeys(dirs))

    def global_pins(self) -> list[Path]:
        """Version files that pin an interpreter for every folder: pyenv's (first: it names
        pyenv's own interpreters) and uv's."""
        config = self._path("XDG_CONFIG_HOME") or self.home / ".config"
        return [
            (self._path("PYENV_ROOT") or self.home / ".pyenv") / "version",
            (self._path("UV_CONFIG_DIR") or config / "uv") / PIN_FILE,
        ]


@dataclass
class Interpreter:
    """One installed CPython, own or another tool's."""

    manager: str
    name: str  # the directory name: what its manager calls it
    path: Path  # the install dir (what disk use counts and what removal would delete)
    version: Version | None
    release: str = ""  # PBS release tag, "" when unknown
    variant: str = "default"  # default, freethreaded, debug, freethreaded+debug
    flags: tuple[str, ...] = ()
    platform: tuple[str, str, str] | None = None  # (os, arch, libc) when known
    flavor: str = ""  # full, install_only, install_only_stripped; "" when unknown
    options: tuple[str, ...] | None = None  # build options in PBS order; None when unknown
    triple: str = ""  # the archive's target triple, e.g. x86_64_v3-unknown-linux-gnu
    executable: Path | None = None
    modified: float = 0.0
    receipt: dict[str, Any] | None = None
    size: int | None = None  # filled by fill_sizes
    used_by: list[str] = field(default_factory=list)  # filled by attach_usage
    newer: str = ""  # filled by mark_newer: "3.12.8" or "3.12.3+20250115"

    @property
    def own(self) -> bool:
        return self.manager == OWN

    @property
    def version_str(self) -> str:
        return str(self.version) if self.version else "?"

    @property
    def label(self) -> str:
        """'3.13.0t', '3.12.3+debug': the version with uv's variant spelling."""
        suffix = {
            "default": "",
            "freethreaded": "t",
            "debug": "+debug",
            "freethreaded+debug": "t+debug",
        }.get(self.variant, "")
        return self.version_str + suffix

    @property
    def options_label(self) -> str:
        """Build options other than the variant's ('pgo+lto'); '-' for none, '?' unknown."""
        if self.options is None:
            return "?"
        rest = [o for o in self.options if o not in ("freethreaded", "debug")]
        return "+".join(rest) or "-"

    @property
    def remove_command(self) -> str:
        """The command that removes this install with the tool that owns it."""
        if self.manager == "uv":
            target = str(self.version) if self.version and self.variant == "default" else self.name
            return f"uv python uninstall {target}"
        return {
            OWN: f"pybs-tui uninstall {self.name}",
            "pyenv": f"pyenv uninstall {self.name}",
            "rye": f"rye toolchain remove {self.name}",
            "mise": f"mise uninstall python@{self.name}",
            "pdm": f"pdm python remove {self.name}",
            "hatch": f"hatch python remove {self.name}",
        }.get(self.manager, f"remove it with {self.manager}")

    def to_json(self) -> dict[str, Any]:
        return {
            "manager": self.manager,
            "name": self.name,
            "path": str(self.path),
            "executable": str(self.executable) if self.executable else None,
            "version": self.version_str,
            "variant": self.variant,
            "release": self.release or None,
            "flags": list(self.flags),
            "platform": "-".join(self.platform) if self.platform else None,
            "flavor": self.flavor or None,
            "options": list(self.options) if self.options is not None else None,
            "triple": self.triple or None,
            "size": self.size,
            "modified": dt.datetime.fromtimestamp(self.modified, dt.UTC).isoformat()
            if self.modified
            else None,
            "newer_available": self.newer or None,
            "used_by": list(self.used_by),
            "own": self.own,
            "remove_command": self.remove_command,
        }


# ---------------------------------------------------------------------------------------------
# reading trees
_PY_VERSION = re.compile(rb'#define\s+PY_VERSION\s+"([^"]+)"')
_INCLUDE = re.compile(r"^python(\d+)\.(\d+)([a-z]*)\Z")
_UV_DIR = re.compile(
    r"^cpython-(?P<ver>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?P<t>t)?(?:\+(?P<variant>[a-z+]+))?"
    r"-(?P<os>[a-z0-9]+)-(?P<arch>[a-z0-9_]+)-(?P<libc>[a-z0-9]+)\Z"
)
_AT_DIR = re.compile(
    r"^cpython(?:-(?P<arch>[a-z0-9_]+))?@(?P<ver>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?P<t>t)?\Z"
)
_PLAIN_DIR = re.compile(
    r"^(?P<ver>\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?)(?P<t>t)?(?P<rest>(?:[-+][A-Za-z0-9.+-]*)?)\Z"
)
_UV_OS = {"macos": "darwin"}


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def _is_real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _subdirs(root: Path) -> list[Path]:
    """Real (not symlinked) subdirectories of a manager root, sorted; [] if unreadable."""
    try:
        return sorted(p for p in root.iterdir() if _is_real_dir(p))
    except OSError:
        return []


def _tree_root(path: Path) -> Path:
    """Where bin/ lib/ include/ live: the dir itself, or python/ or python/install/ in it."""
    for candidate in (path, path / "python", path / "python" / "install", path / "install"):
        if (
            (candidate / "bin").is_dir()
            or (candidate / "include").is_dir()
            or (candidate / "python.exe").is_file()
        ):
            return candidate
    return path


def find_executable(path: Path) -> Path | None:
    tree = _tree_root(path)
    for rel in ("bin/python3", "bin/python", "python.exe"):
        candidate = tree / rel
        if candidate.exists():
            return candidate
    return None


def patchlevel_version(path: Path) -> Version | None:
    """PY_VERSION from include/python3.X*/patchlevel.h, e.g. '3.12.3' or '3.13.0rc3'."""
    include = _tree_root(path) / "include"
    try:
        candidates = sorted(include.glob("python*/patchlevel.h"))
    except OSError:
        return None
    for header in candidates:
        try:
            m = _PY_VERSION.search(read_bounded(header, 65536) or b"")
        except OSError:
            continue
        if m:
            version = parse_version(m.group(1).decode("ascii", "replace").rstrip("+"))
            if version is not None:
                return version
    return None


def tree_variant(path: Path) -> str | None:
    """The variant the include/ and lib/ dirs tell ('python3.13t' -> freethreaded), if any."""
    tree = _tree_root(path)
    flags: set[str] = set()
    seen = False
    for sub in ("include", "lib"):
        try:
            names = [p.name for p in (tree / sub).iterdir()]
        except OSError:
            continue
        for name in names:
            m = _INCLUDE.match(name)
            if m:
                seen = True
                flags.update(m.group(3))
    if not seen:
        return None
    return _variant("t" in flags, "d" in flags)


def _variant(freethreaded: bool, debug: bool) -> str:
    return (
        "+".join(w for w, on in (("freethreaded", freethreaded), ("debug", debug)) if on)
        or "default"
    )


def _merge_variant(from_tree: str | None, freethreaded: bool, debug: bool) -> str:
    """The variant a dir name says, widened by what its include/ and lib/ dirs say."""
    tree = from_tree or ""
    return _variant(freethreaded or "freethreaded" in tree, debug or "debug" in tree)


def _variant_flags(variant: str) -> tuple[str, ...]:
    return tuple(f for f, w in (("Py_DEBUG", "debug"), ("no-GIL", "freethreaded")) if w in variant)


def _version_or_patchlevel(text: str, path: Path) -> Version | None:
    """A full version from a dir name, else from patchlevel.h (for '3.12' or '3.13-dev')."""
    version = parse_version(text)
    if version is None or text.count(".") < 2:
        return patchlevel_version(path) or version
    return version


# ---------------------------------------------------------------------------------------------
# managers
def own_installs(settings: Settings) -> list[Interpreter]:
    """pybs-tui's installs, from their receipts."""
    out = []
    for path, receipt in iter_receipts(settings):
        build = parse_name(str(receipt.get("name", "")))
        raw_probe = receipt.get("probe")
        probe: dict[str, Any] = raw_probe if isinstance(raw_probe, dict) else {}
        version = parse_version(str(receipt.get("version") or probe.get("version") or ""))
        if version is None and build is not None:
            version = build.version
        listed = receipt.get("build_options")
        options = {str(o) for o in listed} if isinstance(listed, list) else set()
        if build is not None:
            options |= build.options
        named = build.options_label.split("+") if build is not None and build.options else []
        ordered = tuple(dict.fromkeys([*named, *sorted(options)]))
        variant = _variant(
            "freethreaded" in options or bool(probe.get("Py_GIL_DISABLED")),
            "debug" in options or bool(probe.get("Py_DEBUG")),
        )
        flags = build.flags if build is not None and build.known else _variant_flags(variant)
        platform = (build.os, build.arch, build.libc) if build is not None and build.known else None
        out.append(
            Interpreter(
                manager=OWN,
                name=path.name,
                path=path,
                version=version,
                release=str(receipt.get("release") or (build.release if build else "") or ""),
                variant=variant,
                flags=tuple(flags),
                platform=platform,
                flavor=str(receipt.get("flavor") or (build.flavor if build else "") or ""),
                options=ordered,
                triple=str(receipt.get("triple") or (build.triple if build else "") or ""),
                executable=find_executable(path),
                modified=_mtime(path),
                receipt=receipt,
            )
        )
    return out


def discover_uv(root: Path) -> list[Interpreter]:
    """uv: <root>/cpython-3.12.3[+freethreaded]-linux-x86_64-gnu, release in BUILD (newer uv)."""
    out = []
    for path in _subdirs(root):
        m = _UV_DIR.match(path.name)
        if not m:
            continue
        words = set((m["variant"] or "").split("+")) - {""}
        variant = _variant(bool(m["t"]) or "freethreaded" in words, "debug" in words)
        release = ""
        try:
            text = (read_bounded(path / "BUILD", 64) or b"").decode("ascii", "replace").strip()
            if re.fullmatch(r"\d{8}", text):
                release = text
        except OSError:
            pass
        arch = (
            "x86_64" if m["arch"].startswith("x86_64") else ARCH_ALIASES.get(m["arch"], m["arch"])
        )
        os_name = _UV_OS.get(m["os"], m["os"])
        libc = "msvc" if os_name == "windows" else m["libc"]
        out.append(
            Interpreter(
                manager="uv",
                name=path.name,
                path=path,
                version=parse_version(m["ver"]),
                release=release,
                variant=variant,
                flags=_variant_flags(variant),
                platform=(os_name, arch, libc),
                executable=find_executable(path),
                modified=_mtime(path),
            )
        )
    return out


def _discover_at_style(manager: str, root: Path) -> list[Interpreter]:
    """pdm and rye: <root>/cpython@3.12.3 (rye: cpython-<arch>@... for a foreign arch)."""
    out = []
    for path in _subdirs(root):
        m = _AT_DIR.match(path.name)
        if not m:
            continue
        variant = _merge_variant(tree_variant(path), bool(m["t"]), False)
        out.append(
            Interpreter(
                manager=manager,
                name=path.name,
                path=path,
                version=_version_or_patchlevel(m["ver"], path),
                variant=variant,
                flags=_variant_flags(variant),
                executable=find_executable(path),
                modified=_mtime(path),
            )
        )
    return out


def discover_pdm(root: Path) -> list[Interpreter]:
    return _discover_at_style("pdm", root)


def discover_rye(root: Path) -> list[Interpreter]:
    return _discover_at_style("rye", root)


def discover_hatch(root: Path) -> list[Interpreter]:
    """hatch: <root>/3.12/hatch-dist.json {"source": <PBS url>, "python_path": ...}."""
    out = []
    for path in _subdirs(root):
        meta = read_json_file(path / "hatch-dist.json", CONFIG_LIMIT)
        if not isinstance(meta, dict):
            continue
        source = str(meta.get("source") or "")
        build = parse_name(source.rsplit("/", 1)[-1]) if source else None
        if source and build is None:
            continue  # pypy and friends
        python_path = meta.get("python_path")
        executable = None
        if isinstance(python_path, str) and ".." not in Path(python_path).parts:
            candidate = path / python_path
            executable = candidate if candidate.exists() else None
        version = build.version if build is not None else None
        version = version or _version_or_patchlevel(path.name.rstrip("t"), path)
        variant = (
            build.variant
            if build is not None
            else (tree_variant(path) or _variant(path.name.endswith("t"), False))
        )
        out.append(
            Interpreter(
                manager="hatch",
                name=path.name,
                path=path,
                version=version,
                release=build.release if build is not None else "",
                variant=variant,
                flags=build.flags if build is not None and build.known else _variant_flags(variant),
                platform=(build.os, build.arch, build.libc)
                if build is not None and build.known
                else None,
                flavor=build.flavor if build is not None else "",
                options=tuple(o for o in build.options_label.split("+") if o != "-")
                if build is not None
                else None,
                triple=build.triple if build is not None else "",
                executable=executable or find_executable(path),
                modified=_mtime(path),
            )
        )
    return out


def _discover_plain(manager: str, root: Path) -> list[Interpreter]:
    """mise and pyenv: <root>/3.12.3, 3.13.0t, 3.12-dev, 3.12.3-debug (venvs skipped)."""
    out = []
    for path in _subdirs(root):
        m = _PLAIN_DIR.match(path.name)
        if not m or (path / "pyvenv.cfg").exists():
            continue  # pypy, conda, pyenv-virtualenv envs: not CPython installs
        rest = m["rest"] or ""
        variant = _merge_variant(tree_variant(path), bool(m["t"]), "debug" in rest)
        version = _version_or_patchlevel(m["ver"], path)
        if rest and "debug" not in rest:  # '3.12-dev', '3.12.3+': the header knows better
            version = patchlevel_version(path) or version
        out.append(
            Interpreter(
                manager=manager,
                name=path.name,
                path=path,
                version=version,
                variant=variant,
                flags=_variant_flags(variant),
                executable=find_executable(path),
                modified=_mtime(path),
            )
        )
    return out


def discover_mise(root: Path) -> list[Interpreter]:
    return _discover_plain("mise", root)


def discover_pyenv(root: Path) -> list[Interpreter]:
    return _discover_plain("pyenv", root)


DISCOVERERS = {
    "uv": discover_uv,
    "pdm": discover_pdm,
    "rye": discover_rye,
    "hatch": discover_hatch,
    "mise": discover_mise,
    "pyenv": discover_pyenv,
}


def discover(
    settings: Settings,
    roots: Roots | None = None,
    *,
    others: bool = True,
    managers: Iterable[str] | None = None,
) -> list[Interpreter]:
    """Own installs, then (if `others`) every other manager's, newest version first each."""
    wanted = set(managers) if managers is not None else set(MANAGERS)
    out: list[Interpreter] = own_installs(settings) if OWN in wanted else []
    if others:
        roots = roots or Roots.from_env()
        for manager, root in roots.manager_roots().items():
            if manager in wanted:
                try:
                    out.extend(DISCOVERERS[manager](root))
                except OSError:
                    continue  # a tree we cannot read is left out, never a crash
    return sort_interpreters(out)


def sort_interpreters(interps: Iterable[Interpreter]) -> list[Interpreter]:
    def key(i: Interpreter) -> tuple:
        v = i.version or Version(0, 0, 0)
        return (
            MANAGERS.index(i.manager) if i.manager in MANAGERS else 99,
            -v.major,
            -v.minor,
            -v.patch,
            -v.pre_rank,
            -v.pre_num,
            i.variant,
            tuple(-ord(c) for c in i.release),
            i.name,
        )

    return sorted(interps, key=key)


# ---------------------------------------------------------------------------------------------
# used by
@dataclass
class Usage:
    """What may use an interpreter, and whether the bounded venv scan finished.

    venvs: (venv dir, homes its pyvenv.cfg names); tools and pipx: (app, homes); links:
    (link, what it finally resolves to); pins: (version file, one version it requests).
    """

    venvs: list[tuple[Path, list[str]]] = field(default_factory=list)
    tools: list[tuple[str, list[str]]] = field(default_factory=list)
    links: list[tuple[Path, str]] = field(default_factory=list)
    complete: bool = True
    pipx: list[tuple[str, list[str]]] = field(default_factory=list)
    pins: list[tuple[Path, str]] = field(default_factory=list)
    pyenv_pins: frozenset[Path] = frozenset()  # pin files only pyenv reads (its global one)
    _forms: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def users_of(
        self,
        path: Path,
        version: Version | None = None,
        variant: str = "default",
        manager: str = "",
    ) -> list[str]:
        """Who relies on the install at `path`: 'venv /x/.venv', 'uv tool ruff', 'pipx black',
        'link /home/u/.local/bin/python3.12', 'pin /x/.python-version (3.12)'. A pin counts
        when it names this install's version (a pin on 3.12 counts for every 3.12.x) or a
        path inside it."""
        prefixes = self.forms(path)
        out = []
        for venv, homes in self.venvs:
            if any(self.inside(h, prefixes) for h in homes):
                out.append(f"venv {venv}")
        for tool, homes in self.tools:
            if any(self.inside(h, prefixes) for h in homes):
                out.append(f"uv tool {tool}")
        for app, homes in self.pipx:
            if any(self.inside(h, prefixes) for h in homes):
                out.append(f"pipx {app}")
        for link, target in self.links:
            if self.inside(target, prefixes):
                out.append(f"link {link}")
        for pin, request in self.pins:
            if pin in self.pyenv_pins and manager != "pyenv":
                continue  # pyenv's global version names pyenv's own interpreters only
            if os.path.isabs(request):
                hit = self.inside(request, prefixes)
            else:
                hit = pin_matches(request, version, variant)
            if hit:
                out.append(f"pin {pin} ({request})")
        return out

    def forms(self, path: Path | str) -> list[str]:
        """The absolute and the resolved spelling of a path (computed once per Usage)."""
        key = os.fspath(path)
        if key not in self._forms:
            self._forms[key] = _path_forms(key)
        return self._forms[key]

    def inside(self, candidate: str, prefixes: Sequence[str]) -> bool:
        return any(_under(form, prefix) for form in self.forms(candidate) for prefix in prefixes)


def _path_forms(path: Path | str) -> list[str]:
    forms = [os.path.abspath(path)]
    try:
        real = os.path.realpath(path)  # a symlink loop ends the resolution, never hangs
    except (OSError, ValueError):
        real = forms[0]
    if real not in forms:
        forms.append(real)
    return forms


def _under(form: str, prefix: str) -> bool:
    return form == prefix or form.startswith(prefix.rstrip(os.sep) + os.sep)


_PIN = re.compile(
    r"^(?:cpython[-@]?|python)?(?P<major>\d+)(?:\.(?P<minor>\d+)(?:\.(?P<patch>\d+)"
    r"(?P<pre>(?:a|b|rc)\d+)?)?)?(?P<t>t)?(?:\+(?P<words>[a-z+]+))?(?:$|[-@+_])",
    re.IGNORECASE,
)


def pin_matches(request: str, version: Version | None, variant: str = "default") -> bool:
    """Whether a pinned request ('3.12', '3.12.3', 'cpython-3.12.3-linux-x86_64-gnu', '3.13t',
    '3.12.3+debug') asks for this version and variant. A request without a patch counts for
    every patch; a 't' or '+debug' only for installs of that variant."""
    m = _PIN.match(request.strip())
    if m is None or version is None:
        return False
    if int(m["major"]) != version.major:
        return False
    if m["minor"] is not None and int(m["minor"]) != version.minor:
        return False
    if m["patch"] is not None and (
        int(m["patch"]) != version.patch or (m["pre"] or "").lower() != version.prerelease
    ):
        return False
    words = set((m["words"] or "").lower().split("+")) - {""}
    if (m["t"] or "freethreaded" in words) and "freethreaded" not in variant:
        return False
    return "debug" not in words or "debug" in variant


def _is_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_pyvenv_homes(cfg: Path) -> list[str]:
    """home / executable / base-executable values of a pyvenv.cfg (absolute paths only)."""
    data = read_bounded(cfg, CFG_LIMIT)
    if data is None:
        return []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string("[venv]\n" + data.decode("utf-8", "replace"))
    except configparser.Error:
        return []
    out = []
    for key in ("home", "executable", "base-executable"):
        value = parser.get("venv", key, fallback="").strip()
        if value and os.path.isabs(value):
            out.append(value)
    return out


def read_pins(pin: Path, home: Path | None = None) -> list[str]:
    """The versions a .python-version file requests, one per line or word (at most 8);
    '~' and relative paths are made absolute."""
    data = read_bounded(pin, PIN_LIMIT)
    if data is None:
        return []
    out: list[str] = []
    for line in data.decode("utf-8", "replace").splitlines():
        for word in line.split("#", 1)[0].split():
            if home is not None and (word == "~" or word.startswith("~/")):
                word = str(home) + word[1:]
            elif os.sep in word and not os.path.isabs(word):
                word = os.path.normpath(os.path.join(os.path.dirname(pin), word))
            out.append(word[:200])
    return out[:8]


class _Scan:
    """One bounded walk for venvs and pin files: a shared deadline, no symlinked dirs, each
    dir listed once (again only when reached with more depth left)."""

    MAX_ENTRIES = 5000  # a dir with more entries is listed only this far

    def __init__(self, roots: Roots, skip: Iterable[Path]) -> None:
        self.deadline = time.monotonic() + roots.scan_seconds
        self.skip = {os.path.abspath(p) for p in skip}
        self.venvs: dict[str, list[str]] = {}
        self.pins: dict[str, list[str]] = {}
        self.listed: dict[str, int] = {}
        self.home = roots.home
        self.complete = True

    def expired(self) -> bool:
        if self.complete and time.monotonic() > self.deadline:
            self.complete = False
        return not self.complete

    def pin(self, path: str) -> None:
        if path not in self.pins:
            self.pins[path] = read_pins(Path(path), self.home)

    def walk(self, root: Path, depth: int) -> None:
        """Breadth first from `root`, `depth` levels down."""
        queue: deque[tuple[str, int]] = deque([(os.path.abspath(root), depth)])
        while queue and not self.expired():
            current, left = queue.popleft()
            if self.listed.get(current, -1) >= left:
                continue
            self.listed[current] = left
            cfg = os.path.join(current, "pyvenv.cfg")
            if _is_file(cfg):
                self.venvs.setdefault(current, read_pyvenv_homes(Path(cfg)))
                continue
            if left <= 0:
                pin = os.path.join(current, PIN_FILE)
                if _is_file(pin):
                    self.pin(pin)
                continue
            subdirs = []
            try:
                with os.scandir(current) as it:
                    for n, entry in enumerate(it):
                        if n >= self.MAX_ENTRIES:
                            self.complete = False
                            break
                        if entry.name == PIN_FILE:
                            self.pin(entry.path)
                        elif (
                            entry.name not in SKIP_DIRS
                            and not (current == os.sep and entry.name in SYSTEM_DIRS)
                            and entry.is_dir(follow_symlinks=False)
                        ):
                            subdirs.append(entry.path)
            except OSError:
                continue
            queue.extend((p, left - 1) for p in sorted(subdirs) if p not in self.skip)


def _scan(roots: Roots, interpreter_dirs: Iterable[Path]) -> _Scan:
    """Venvs and pins in the working dir and its parents' projects (`project_depth` deep),
    then in PYBS_TUI_VENV_ROOTS and the home dir (`scan_depth` deep)."""
    scan = _Scan(roots, interpreter_dirs)
    for project in roots.project_dirs():
        scan.walk(project, roots.project_depth)
    for root in roots.scan_roots():
        scan.walk(root, roots.scan_depth)
    return scan


def _scan_app_venvs(dirs: Iterable[Path]) -> list[tuple[str, list[str]]]:
    out = []
    for d in dirs:
        for app in _subdirs(d):
            cfg = app / "pyvenv.cfg"
            if _is_file(str(cfg)):
                out.append((app.name, read_pyvenv_homes(cfg)))
    return out


def scan_uv_tools(roots: Roots) -> list[tuple[str, list[str]]]:
    return _scan_app_venvs([roots.uv_tools()])


def scan_pipx(roots: Roots) -> list[tuple[str, list[str]]]:
    """pipx's venvs, one per app (PIPX_HOME/venvs, ~/.local/share/pipx/venvs, ...)."""
    seen: set[str] = set()
    dirs = []
    for d in roots.pipx_venvs():
        real = os.path.realpath(d)
        if real not in seen:
            seen.add(real)
            dirs.append(d)
    return _scan_app_venvs(dirs)


def scan_links(roots: Roots) -> list[tuple[Path, str]]:
    """Symlinks in ~/.local/bin (and uv's bin dirs) with what they finally resolve to."""
    out = []
    for d in roots.bin_dirs():
        try:
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for entry in entries[: _Scan.MAX_ENTRIES]:
            if entry.is_symlink():
                try:
                    out.append((entry, os.path.realpath(entry)))
                except (OSError, ValueError):
                    continue
    return out


def find_usage(roots: Roots, interpreter_dirs: Iterable[Path] = ()) -> Usage:
    """Everything that may use an interpreter: venvs (working dir and its parents'
    projects, PYBS_TUI_VENV_ROOTS, home), uv tools, pipx apps, links, .python-version pins.
    Reads only, bounded in bytes, depth and time."""
    scan = _scan(roots, interpreter_dirs)
    app_dirs = {os.path.abspath(roots.uv_tools())} | {
        os.path.abspath(d) for d in roots.pipx_venvs()
    }
    venvs = [
        (Path(p), homes)
        for p, homes in scan.venvs.items()
        if os.path.dirname(p) not in app_dirs  # those are listed as uv tools and pipx apps
    ]
    for pin in roots.global_pins():
        if str(pin) not in scan.pins and _is_file(str(pin)):
            scan.pin(str(pin))
    pins = [(Path(f), request) for f, requests in scan.pins.items() for request in requests]
    return Usage(
        venvs=venvs,
        tools=scan_uv_tools(roots),
        links=scan_links(roots),
        complete=scan.complete,
        pipx=scan_pipx(roots),
        pins=pins,
        pyenv_pins=frozenset({roots.global_pins()[0]}),
    )


def attach_usage(interps: Iterable[Interpreter], usage: Usage) -> None:
    for interp in interps:
        interp.used_by = usage.users_of(interp.path, interp.version, interp.variant, interp.manager)


def short_path(path: Path | str, home: Path | str) -> str:
    """'~/x/y' for a path under `home`, else the path as it is."""
    text = os.fspath(path)
    prefix = os.fspath(home).rstrip(os.sep)
    if text == prefix:
        return "~"
    if prefix and text.startswith(prefix + os.sep):
        return "~" + text[len(prefix) :]
    return text


def users_summary(users: Sequence[str], home: Path | str) -> str:
    """'-', or the count and the first user: '2: venv ~/proj/.venv'."""
    if not users:
        return "-"
    return f"{len(users)}: {short_user(users[0], home)}"


def short_user(user: str, home: Path | str) -> str:
    """A user as `users_of` writes it, with its path written from ~."""
    kind, _, rest = user.partition(" ")
    if kind in ("venv", "link"):
        return f"{kind} {short_path(rest, home)}"
    if kind == "pin":
        path, sep, request = rest.partition(" (")
        return f"pin {short_path(path, home)}{' (' if sep else ''}{request}"
    return user


# ---------------------------------------------------------------------------------------------
# sizes
def fill_sizes(interps: Iterable[Interpreter], settings: Settings | None = None) -> None:
    """Exact disk use of each interpreter (cached in settings.cache_dir when given)."""
    from .diskuse import DiskUseCache, disk_use

    cache = DiskUseCache(settings.cache_dir) if settings is not None else None
    for interp in interps:
        interp.size = disk_use(interp.path, cache)


def find_other(interps: Iterable[Interpreter], name: str) -> Interpreter | None:
    """Another manager's interpreter matching a dir name, a path or a version label."""
    for interp in interps:
        if interp.own:
            continue
        if name in (interp.name, str(interp.path), interp.label, interp.version_str):
            return interp
    return None
