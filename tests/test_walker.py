"""The walk: no symlink loops, special files skipped, pruned dirs, excludes, errors counted, budget/stop."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import walk as walker
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.model import ScanResult

TEST_RULES = Path(__file__).parent / "data" / "engine_rules"


def _scan(*roots: Path, **options: object) -> ScanResult:
    should_stop = options.pop("should_stop", None)
    return scan(ScanOptions(roots=roots, rules=load_rules(TEST_RULES), **options),  # type: ignore[arg-type]
                Fingerprinter(b"k" * 32, "test"), should_stop=should_stop)  # type: ignore[arg-type]


def _token_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"token = {specimen.make('github', 'ghp_')}\n")


def _names(result: ScanResult, root: Path) -> list[str]:
    return sorted(Path(f.path).relative_to(root).as_posix() for f in result.findings)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks")
def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    _token_file(tmp_path / "real" / "a.txt")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "link.txt").symlink_to(tmp_path / "real" / "a.txt")
    result = _scan(tmp_path)
    assert _names(result, tmp_path) == ["real/a.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.timeout(30)
def test_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    _token_file(tmp_path / "a.txt")
    os.mkfifo(tmp_path / "pipe")
    result = _scan(tmp_path)
    assert _names(result, tmp_path) == ["a.txt"]
    assert result.stats.files_skipped == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.timeout(30)
def test_a_fifo_swapped_in_after_the_walk_is_not_read(tmp_path: Path) -> None:
    from secret_scanner.engine.detector import Engine
    from secret_scanner.engine.scan import _scan_entry

    os.mkfifo(tmp_path / "was-a-file.txt")
    engine = Engine(load_rules(TEST_RULES), Fingerprinter(b"k" * 32, "test"), "python")
    outcome = _scan_entry(engine, walker.FileEntry(str(tmp_path / "was-a-file.txt"), 100), lambda: True)
    assert outcome.binary and not outcome.findings


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks")
def test_a_symlink_swapped_in_after_the_walk_is_not_followed(tmp_path: Path) -> None:
    from secret_scanner.engine.detector import Engine
    from secret_scanner.engine.scan import _scan_entry

    _token_file(tmp_path / "target.txt")
    (tmp_path / "link.txt").symlink_to(tmp_path / "target.txt")
    engine = Engine(load_rules(TEST_RULES), Fingerprinter(b"k" * 32, "test"), "python")
    outcome = _scan_entry(engine, walker.FileEntry(str(tmp_path / "link.txt"), 100), lambda: True)
    assert outcome.unreadable and not outcome.findings
    assert len(_scan(tmp_path / "link.txt").findings) == 1  # a link given as the root is read (as its target)


def test_noise_dirs_are_pruned_but_git_config_is_scanned(tmp_path: Path) -> None:
    for name in ("node_modules/pkg/test/fixture.txt", ".git/objects/ab/cdef", "venv/lib/site-packages/x/t.py",
                 ".git/modules/sub/objects/pack/p.pack", ".git/modules/sub/config", "proj/objects/o.txt",
                 "proj/__pycache__/m.txt", ".cache/pip/http/x", ".git/config", "proj/app.env"):
        _token_file(tmp_path / name)
    assert _names(_scan(tmp_path), tmp_path) == [".git/config", ".git/modules/sub/config", "proj/app.env",
                                                  "proj/objects/o.txt"]


def test_exclude_globs(tmp_path: Path) -> None:
    for name in ("keep.txt", "debug.log", "build/out.txt", "src/build/gen.txt", "src/main.txt"):
        _token_file(tmp_path / name)
    result = _scan(tmp_path, exclude=("*.log", "*/build"))
    assert _names(result, tmp_path) == ["keep.txt", "src/main.txt"]


def test_nested_roots_scan_each_file_once(tmp_path: Path) -> None:
    _token_file(tmp_path / "sub" / "a.txt")
    result = _scan(tmp_path, tmp_path / "sub", tmp_path / "sub" / "a.txt")
    assert len(result.findings) == 1
    assert result.stats.files_scanned == 1


def test_a_file_root(tmp_path: Path) -> None:
    _token_file(tmp_path / "a.txt")
    assert len(_scan(tmp_path / "a.txt").findings) == 1


def test_unreadable_root_makes_the_scan_incomplete(tmp_path: Path, mocker: object) -> None:
    _token_file(tmp_path / "ok" / "a.txt")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    mocker.patch("secret_scanner.engine.walk.os.scandir", side_effect=scandir)  # type: ignore[attr-defined]
    result = _scan(tmp_path / "ok", locked)
    assert len(result.findings) == 1
    assert not result.complete
    assert any(str(locked) in reason for reason in result.incomplete_reasons)


def test_unreadable_file_and_dir_count_as_read_errors(tmp_path: Path, mocker: object) -> None:
    _token_file(tmp_path / "a.txt")
    _token_file(tmp_path / "secret.txt")
    _token_file(tmp_path / "private" / "b.txt")
    real_open = os.open
    real_scandir = os.scandir

    def fake_open(path: str, *args: int) -> int:
        if str(path).endswith("secret.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args)

    def scandir(path: str) -> object:
        if os.fspath(path).endswith("private"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    mocker.patch("secret_scanner.engine.detector.os.open", side_effect=fake_open)  # type: ignore[attr-defined]
    mocker.patch("secret_scanner.engine.walk.os.scandir", side_effect=scandir)  # type: ignore[attr-defined]
    result = _scan(tmp_path)
    assert _names(result, tmp_path) == ["a.txt"]
    assert result.stats.read_errors == 2
    assert result.complete


def test_time_budget_and_stop_request_end_the_scan(tmp_path: Path) -> None:
    for n in range(5):
        _token_file(tmp_path / f"f{n}.txt")
    spent = _scan(tmp_path, time_budget_seconds=1e-9)
    assert not spent.complete
    assert spent.incomplete_reasons[0].startswith("time budget of 1e-09 s exhausted after 0 files")
    calls = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    stopped = _scan(tmp_path, should_stop=stop_after_two)
    assert not stopped.complete
    assert stopped.incomplete_reasons == ("stopped by signal",)
    assert len(stopped.findings) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux roots")
def test_default_roots_on_linux() -> None:
    roots = walker.default_roots()
    assert Path("/etc") in roots
    assert all(root.is_absolute() and os.path.lexists(root) for root in roots)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux pseudo file systems")
def test_pseudo_filesystem_root_is_not_walked() -> None:
    result = _scan(Path("/proc/self"))
    assert result.stats.files_scanned == 0
    assert result.stats.files_skipped == 1


def test_language_runtime_installs_are_pruned_like_package_folders(tmp_path: Path) -> None:
    from secret_scanner.engine.walk import iter_files

    kept = tmp_path / "home" / "dev" / "project" / "settings.ini"
    pruned = [
        tmp_path / "home" / "dev" / ".pyenv" / "versions" / "3.12.1" / "README",
        tmp_path / "usr" / "local" / "lib" / "python3.12" / "test" / "certdata" / "keycert.pem",
        tmp_path / "home" / "dev" / ".nvm" / "versions" / "node" / "v20.0.0" / "x.js",
    ]
    for path in [kept, *pruned]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    # A folder merely named like a runtime elsewhere is still scanned.
    lookalike = tmp_path / "home" / "dev" / "notes" / "python3.12" / "todo.txt"
    lookalike.parent.mkdir(parents=True)
    lookalike.write_text("x\n")
    found = {entry.path for entry in iter_files([tmp_path])}
    assert found == {str(kept), str(lookalike)}
