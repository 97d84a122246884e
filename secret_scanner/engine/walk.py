"""Which files to scan: the per-OS default roots and a safe directory walk.

The walk uses os.scandir, never follows symbolic links (or Windows reparse points), so it cannot loop; skips
special files (a FIFO would block the read forever, devices and sockets are not files); stays on the file
system of each root; never enters pseudo file systems; prunes directories that only hold third-party or cache
content (SKIP_DIR_NAMES, SKIP_DIR_SUFFIXES); and applies the user's exclude globs.
"""

from __future__ import annotations

import errno
import fnmatch
import operator
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

_REPARSE_POINT = 0x400
LONG_PATH_REASON = "path longer than the operating system allows (PATH_MAX); not scanned"
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev", "/run", "/private/var/vm", "/System/Volumes/VM")

# Directory names pruned wherever they appear: package stores and tool caches whose content is third-party
# code (test fixtures of packages are a classic source of false positives) or regenerated on demand.
SKIP_DIR_NAMES = frozenset({
    "node_modules", "bower_components", "jspm_packages", "site-packages", "dist-packages", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".gradle", ".terraform",
    ".next", ".nuxt", ".parcel-cache", ".yarn-cache", "GPUCache", "Code Cache", "CacheStorage", "ShaderCache",
    "INetCache", "$Recycle.Bin", "System Volume Information", "lost+found",
})
# Path endings (case-insensitive, '/'-separated) pruned: VCS object stores (compressed, and the working tree
# is scanned anyway; .git/config itself IS scanned), package-manager caches, browser caches.
SKIP_DIR_SUFFIXES = (
    ".git/objects", ".git/lfs", ".hg/store", ".svn/pristine", ".bzr/repository",
    ".cache/pip", ".cache/pypoetry", ".cache/go-build", ".cache/yarn", ".cache/mozilla",
    ".cache/google-chrome", ".cache/chromium", ".cache/thumbnails", ".cache/jetbrains", ".npm/_cacache",
    ".yarn/cache", ".pnpm-store",
    ".cargo/registry", ".cargo/git", ".rustup/toolchains", "go/pkg/mod", ".m2/repository", ".ivy2/cache",
    ".nuget/packages", ".vscode/extensions", ".vscode-server/extensions",
    ".conda/pkgs", "anaconda3/pkgs", "miniconda3/pkgs", "library/caches", "appdata/local/temp",
    "appdata/local/microsoft/windows/inetcache",
    "var/lib/docker/overlay2", "var/cache/apt", "var/lib/apt/lists", "etc/ssl/certs",
    # Language runtimes installed by version managers: their standard libraries ship public test keys
    # (CPython's test/certdata) that would be reported on every developer machine of a fleet.
    ".pyenv/versions", ".nvm/versions", ".rbenv/versions", ".sdkman/candidates", ".local/share/uv/python",
)
# A Python standard library (lib/python3.12), wherever the interpreter is installed: third-party code too.
_PYTHON_STDLIB = re.compile(r"python\d(?:\.\d+)?")

_LINUX_ROOTS = ("/home", "/root", "/etc", "/opt", "/srv", "/var/www", "/usr/local/etc", "/var/spool/cron",
                "/var/lib/jenkins")
_MACOS_ROOTS = ("/Users", "/private/etc", "/private/var/root", "/usr/local/etc", "/opt/homebrew/etc",
                "/Library/LaunchDaemons", "/Library/LaunchAgents", "/Library/Preferences")
_WINDOWS_ROOTS = ("Users", "ProgramData\\ssh", "ProgramData\\Amazon", "ProgramData\\Jenkins",
                  "ProgramData\\Docker\\config", "ProgramData\\chocolatey\\config",
                  "ProgramData\\GitLab-Runner",
                  "GitLab-Runner", "inetpub", "Windows\\Panther", "Windows\\System32\\sysprep",
                  "Windows\\System32\\inetsrv\\config", "unattend.xml", "autounattend.xml")


def default_roots() -> tuple[Path, ...]:
    """The machine's usual places for credentials on this OS (docs/engine.md lists them), those that exist."""
    if sys.platform == "win32":
        drive = os.environ.get("SYSTEMDRIVE", "C:") + "\\"
        candidates = [Path(drive) / name for name in _WINDOWS_ROOTS]
    elif sys.platform == "darwin":
        candidates = [Path(p) for p in _MACOS_ROOTS]
    else:
        candidates = [Path(p) for p in _LINUX_ROOTS]
    return tuple(p for p in candidates if os.path.lexists(p))


@dataclass
class WalkReport:
    """What the walk met besides files to scan (a mutable tally, filled while iterating)."""

    read_errors: int = 0
    skipped: int = 0
    ignored: int = 0
    unreadable_roots: list[str] = field(default_factory=list)
    # (path, reason) of what the walk could not enter or list, e.g. paths longer than the OS allows.
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    # The change stamp the scan state compares (st_ctime_ns is the inode change time on POSIX).
    mtime_ns: int = 0
    ctime_ns: int = 0
    inode: int = 0
    device: int = 0


class _Excluder:
    def __init__(self, globs: Sequence[str]) -> None:
        flags = 0 if sys.platform.startswith("linux") else re.IGNORECASE
        parts = [fnmatch.translate(glob.replace("\\", "/")) for glob in globs if glob]
        self._regex = re.compile("|".join(parts), flags) if parts else None
        self.active = self._regex is not None

    def excluded(self, path: str, is_dir: bool) -> bool:
        if self._regex is None:
            return False
        normal = path.replace("\\", "/")
        name = normal.rsplit("/", 1)[-1]
        return bool(self._regex.match(normal) or self._regex.match(name)
                    or (is_dir and self._regex.match(normal + "/")))


def is_skipped_dir(name: str, path: str) -> bool:
    if name in SKIP_DIR_NAMES:
        return True
    normal = path.replace("\\", "/").lower()
    if _PYTHON_STDLIB.fullmatch(name) and normal.endswith("/lib/" + name):
        return True
    # Object stores of submodules too (.git/modules/NAME/objects); their config files are still scanned.
    return normal.endswith(SKIP_DIR_SUFFIXES) or (name == "objects" and "/.git/" in normal)


def _is_pseudo(path: str) -> bool:
    if sys.platform == "win32":
        return False
    return any(path == p or path.startswith(p + "/") for p in PSEUDO_FILESYSTEMS)


def _dedupe_roots(roots: Iterable[Path]) -> list[str]:
    """Absolute roots in order, without duplicates or roots inside another root (no file scanned twice)."""
    absolute: list[str] = []
    for root in roots:
        path = os.path.abspath(os.fspath(root))
        if path not in absolute:
            absolute.append(path)
    kept = []
    for path in absolute:
        inside = any(other != path and _is_inside(other, path) for other in absolute)
        if not inside:
            kept.append(path)
    return kept


def _is_inside(parent: str, child: str) -> bool:
    parent = parent.rstrip("\\/")
    separators = [os.sep] + ([os.altsep] if os.altsep else [])
    return any(child.startswith(parent + separator) for separator in separators)


class RootIgnorer(Protocol):
    def for_root(self, root: str) -> Callable[[str, bool], bool] | None: ...


def iter_files(roots: Iterable[Path], exclude: Sequence[str] = (), report: WalkReport | None = None,
               ignore: RootIgnorer | None = None) -> Iterator[FileEntry]:
    """Every regular file under the roots that is not pruned, depth-first, in name order."""
    tally = report if report is not None else WalkReport()
    excluder = _Excluder(exclude)
    for root in _dedupe_roots(roots):
        yield from _walk_root(root, excluder, tally, ignore.for_root(root) if ignore is not None else None)


def _walk_root(root: str, excluder: _Excluder, tally: WalkReport,
               ignored: Callable[[str, bool], bool] | None = None) -> Iterator[FileEntry]:
    try:
        info = os.stat(root)  # an explicit root may itself be a symbolic link: follow that one
    except FileNotFoundError:
        return
    except OSError as exc:
        tally.unreadable_roots.append(f"{root}: {exc.strerror or type(exc).__name__}")
        return
    if stat.S_ISREG(info.st_mode):
        if not excluder.excluded(root, is_dir=False):
            # The scanner opens with O_NOFOLLOW: name the real file when the root is a link to one.
            yield FileEntry(os.path.realpath(root) if os.path.islink(root) else root, info.st_size,
                            info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        return
    if not stat.S_ISDIR(info.st_mode) or _is_pseudo(root):
        tally.skipped += 1
        return
    device = info.st_dev
    check_device = sys.platform != "win32"  # DirEntry.stat() has no st_dev on Windows; reparse points instead
    windows = not check_device
    # The common case (no exclude glob, no ignore file) skips two calls per file: the walk is most of a rescan.
    filter_files = ignored is not None or excluder.active
    is_dir, is_reg = stat.S_ISDIR, stat.S_ISREG
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=_by_name, reverse=True)
        except OSError as exc:
            if directory == root:
                tally.unreadable_roots.append(f"{root}: {exc.strerror or type(exc).__name__}")
            else:
                tally.read_errors += 1
                if exc.errno == errno.ENAMETOOLONG:  # never silently: the report names it
                    tally.problems.append((directory, LONG_PATH_REASON))
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                entry_stat = entry.stat(follow_symlinks=False)
                if windows and getattr(entry_stat, "st_file_attributes", 0) & _REPARSE_POINT:
                    continue  # junctions and mount points on Windows: may loop or leave the volume
                mode = entry_stat.st_mode
                if is_reg(mode):
                    if filter_files:
                        if ignored is not None and ignored(entry.path, False):
                            tally.ignored += 1
                            continue
                        if excluder.excluded(entry.path, is_dir=False):
                            continue
                    yield FileEntry(entry.path, entry_stat.st_size, entry_stat.st_mtime_ns,
                                    entry_stat.st_ctime_ns, entry_stat.st_ino, entry_stat.st_dev)
                elif is_dir(mode):
                    path = entry.path
                    if (is_skipped_dir(entry.name, path) or excluder.excluded(path, is_dir=True)
                            or (check_device and entry_stat.st_dev != device) or _is_pseudo(path)):
                        continue
                    if ignored is not None and ignored(path, True):
                        tally.ignored += 1
                        continue
                    stack.append(path)
                else:
                    tally.skipped += 1  # FIFO, socket, device: reading could block or make no sense
            except OSError as exc:
                tally.read_errors += 1
                if exc.errno == errno.ENAMETOOLONG:
                    tally.problems.append((entry.path, LONG_PATH_REASON))


_by_name = operator.attrgetter("name")
