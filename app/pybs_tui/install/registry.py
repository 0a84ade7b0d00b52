"""Inventory of installed interpreters: pybs-tui's own (from receipts) plus a READ-ONLY look at
those of uv, pdm, rye, hatch, mise and pyenv; what uses each one; what the catalog has newer.

Nothing here writes outside pybs-tui's own directories, and nothing imports textual. Every
root is injectable through `Roots` (an env mapping plus a home dir) so tests build fake trees.
"""

from __future__ import annotations

import configparser
import datetime as dt
import json
import os
import re
import sys
import time
import tomllib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog.group import ARCH_ALIASES, Host
from ..catalog.models import Catalog, Version
from ..catalog.names import parse_name, parse_version
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


@dataclass(frozen=True)
class Roots:
    """Where other tools keep interpreters and where venvs are looked for.

    `env` stands in for os.environ and `home` for the user's home dir; nothing else is read.
    """

    env: Mapping[str, str]
    home: Path
    platform: str = sys.platform
    venv_roots: tuple[Path, ...] | None = None  # None: (home,), or PYBS_TUI_VENV_ROOTS
    scan_depth: int = 4
    scan_seconds: float = 2.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, home: Path | None = None, **overrides: Any
    ) -> Roots:
        env = dict(os.environ if env is None else env)
        if home is None:
            home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        return cls(env=env, home=home, **overrides)

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
            data = tomllib.loads(config.read_text())
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

    def scan_roots(self) -> list[Path]:
        if self.venv_roots is not None:
            return list(self.venv_roots)
        value = self.env.get("PYBS_TUI_VENV_ROOTS")
        if value:
            return [Path(p).expanduser() for p in value.split(os.pathsep) if p]
        return [self.home]


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
    flavor: str = ""
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
_INCLUDE = re.compile(r"^python(\d+)\.(\d+)([a-z]*)$")
_UV_DIR = re.compile(
    r"^cpython-(?P<ver>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?P<t>t)?(?:\+(?P<variant>[a-z+]+))?"
    r"-(?P<os>[a-z0-9]+)-(?P<arch>[a-z0-9_]+)-(?P<libc>[a-z0-9]+)$"
)
_AT_DIR = re.compile(
    r"^cpython(?:-(?P<arch>[a-z0-9_]+))?@(?P<ver>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?P<t>t)?$"
)
_PLAIN_DIR = re.compile(
    r"^(?P<ver>\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?)(?P<t>t)?(?P<rest>(?:[-+][A-Za-z0-9.+-]*)?)$"
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
            m = _PY_VERSION.search(header.read_bytes()[:65536])
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
        probe = receipt.get("probe") if isinstance(receipt.get("probe"), dict) else {}
        version = parse_version(str(receipt.get("version") or probe.get("version") or ""))
        if version is None and build is not None:
            version = build.version
        listed = receipt.get("build_options")
        options = {str(o) for o in listed} if isinstance(listed, list) else set()
        if build is not None:
            options |= build.options
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
            text = (path / "BUILD").read_text(errors="replace").strip()
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
        try:
            meta = json.loads((path / "hatch-dist.json").read_bytes())
        except (OSError, ValueError):
            continue
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
# newer available
def newer_available(interp: Interpreter, catalog: Catalog | None, host: Host | None = None) -> str:
    """'3.12.8' if the catalog has a newer patch of the same minor and variant for this
    interpreter's platform; '3.12.3+20250115' if only a newer build of the same patch; ''."""
    v = interp.version
    if catalog is None or v is None:
        return ""
    if interp.platform is not None:
        os_name, arch, libc = interp.platform
    elif host is not None:
        os_name, arch, libc = host.os, host.arch, host.libc
    else:
        return ""
    best: tuple[Version, str] | None = None
    for b in catalog.builds:
        bv = b.version
        if bv is None or (bv.major, bv.minor) != (v.major, v.minor):
            continue
        if b.variant != interp.variant or (b.os, b.arch, b.libc) != (os_name, arch, libc):
            continue
        if bv.is_prerelease and not v.is_prerelease:
            continue
        if best is None or (bv, b.release) > best:
            best = (bv, b.release)
    if best is None:
        return ""
    if best[0] > v:
        return str(best[0])
    if best[0] == v and interp.release and best[1] > interp.release:
        return f"{v}+{best[1]}"
    return ""


def mark_newer(
    interps: Iterable[Interpreter], catalog: Catalog | None, host: Host | None = None
) -> None:
    for interp in interps:
        interp.newer = newer_available(interp, catalog, host)


# ---------------------------------------------------------------------------------------------
# used by
@dataclass
class Usage:
    """Venvs, uv tools and links found, and whether the bounded venv scan finished."""

    venvs: list[tuple[Path, list[str]]] = field(default_factory=list)  # (venv, homes)
    tools: list[tuple[str, list[str]]] = field(default_factory=list)  # (tool name, homes)
    links: list[tuple[Path, str]] = field(default_factory=list)  # (link, resolved target)
    complete: bool = True

    def users_of(self, path: Path) -> list[str]:
        """Who points into `path`: 'venv /x/.venv', 'uv tool ruff', 'link ~/.local/bin/py'."""
        prefixes = _path_forms(path)
        out = []
        for venv, homes in self.venvs:
            if any(_inside(h, prefixes) for h in homes):
                out.append(f"venv {venv}")
        for tool, homes in self.tools:
            if any(_inside(h, prefixes) for h in homes):
                out.append(f"uv tool {tool}")
        for link, target in self.links:
            if _inside(target, prefixes):
                out.append(f"link {link}")
        return out


def _path_forms(path: Path | str) -> list[str]:
    forms = [os.path.abspath(path)]
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        real = forms[0]
    if real not in forms:
        forms.append(real)
    return forms


def _inside(candidate: str, prefixes: Sequence[str]) -> bool:
    for form in _path_forms(candidate):
        for prefix in prefixes:
            if form == prefix or form.startswith(prefix.rstrip(os.sep) + os.sep):
                return True
    return False


def read_pyvenv_homes(cfg: Path) -> list[str]:
    """home / executable / base-executable values of a pyvenv.cfg (absolute paths only)."""
    try:
        text = cfg.read_text(errors="replace")[:65536]
    except OSError:
        return []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string("[venv]\n" + text)
    except configparser.Error:
        return []
    out = []
    for key in ("home", "executable", "base-executable"):
        value = parser.get("venv", key, fallback="").strip()
        if value and os.path.isabs(value):
            out.append(value)
    return out


def scan_venvs(
    roots: Roots, interpreter_dirs: Iterable[Path] = ()
) -> tuple[list[tuple[Path, list[str]]], bool]:
    """Venvs (dirs holding pyvenv.cfg) under the scan roots, breadth first, bounded in depth
    and time, never through symlinks. Returns (venvs, complete)."""
    start = time.monotonic()
    skip = {os.path.abspath(p) for p in interpreter_dirs}
    found: dict[str, list[str]] = {}
    for root in roots.scan_roots():
        queue: deque[tuple[str, int]] = deque([(os.path.abspath(root), 0)])
        while queue:
            if time.monotonic() - start > roots.scan_seconds:
                return [(Path(p), h) for p, h in found.items()], False
            current, depth = queue.popleft()
            cfg = os.path.join(current, "pyvenv.cfg")
            if os.path.isfile(cfg):
                found.setdefault(current, read_pyvenv_homes(Path(cfg)))
                continue
            if depth >= roots.scan_depth:
                continue
            try:
                with os.scandir(current) as it:
                    entries = sorted(
                        e.path
                        for e in it
                        if e.name not in SKIP_DIRS and e.is_dir(follow_symlinks=False)
                    )
            except OSError:
                continue
            queue.extend((p, depth + 1) for p in entries if p not in skip)
    return [(Path(p), h) for p, h in found.items()], True


def scan_uv_tools(roots: Roots) -> list[tuple[str, list[str]]]:
    out = []
    for tool in _subdirs(roots.uv_tools()):
        cfg = tool / "pyvenv.cfg"
        if cfg.is_file():
            out.append((tool.name, read_pyvenv_homes(cfg)))
    return out


def scan_links(roots: Roots) -> list[tuple[Path, str]]:
    """Symlinks in ~/.local/bin (and uv's bin dirs) with what they finally resolve to."""
    out = []
    for d in roots.bin_dirs():
        try:
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                try:
                    out.append((entry, os.path.realpath(entry)))
                except (OSError, ValueError):
                    continue
    return out


def find_usage(roots: Roots, interpreter_dirs: Iterable[Path] = ()) -> Usage:
    """Everything that may use an interpreter: venvs, uv tools, links."""
    venvs, complete = scan_venvs(roots, interpreter_dirs)
    return Usage(
        venvs=venvs, tools=scan_uv_tools(roots), links=scan_links(roots), complete=complete
    )


def attach_usage(interps: Iterable[Interpreter], usage: Usage) -> None:
    for interp in interps:
        interp.used_by = usage.users_of(interp.path)


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
