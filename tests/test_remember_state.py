"""The scan state (issue #10): unchanged files are not read again, and damaged state is never trusted.

Every test runs the real CLI in-process on a real tree with a real state directory; damage is done to the
file on disk (truncation, garbage, a future version signed with the right key, a foreign key), and the write
failures are real OSErrors raised at the os level (we run as root, so permissions cannot refuse us).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.cli import scanner as cli
from secret_scanner.state.keys import derive_state_key
from secret_scanner.state.scanstate import STATE_FILE


def scan(monkeypatch: pytest.MonkeyPatch, root: Path, state: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    import threading

    monkeypatch.setattr(cli, "_lower_priority", lambda: None)
    monkeypatch.setattr(cli, "_install_stop_handlers", threading.Event)
    monkeypatch.delenv("KEEPER_JOB_ID", raising=False)
    monkeypatch.delenv("SECRET_SCANNER_CONFIG", raising=False)
    report = state.parent / "report.json"
    code = int(cli.main(["--scan", str(root), "--state-dir", str(state), "--quiet", "--report", str(report),
                         *extra]))
    return code, json.loads(report.read_text(encoding="utf-8"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "deploy.env").write_text(f"GITHUB_TOKEN={specimen.make('github', 'ghp_')}\n", encoding="utf-8")
    for index in range(5):
        (root / f"plain-{index}.txt").write_text(f"nothing {index}\n", encoding="utf-8")
    return root


def test_an_unchanged_file_is_not_read_again_and_its_findings_still_appear(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    first_code, first = scan(monkeypatch, tree, state)
    second_code, second = scan(monkeypatch, tree, state)
    assert first_code == second_code == 1
    assert first["stats"]["files_scanned"] == 6 and first["stats"]["files_unchanged"] == 0
    assert second["stats"]["files_scanned"] == 0 and second["stats"]["files_unchanged"] == 6
    assert second["findings"] == first["findings"]
    assert (state / STATE_FILE).stat().st_mode & 0o777 == 0o600
    token = (tree / "deploy.env").read_text(encoding="utf-8").split("=", 1)[1].strip()
    assert token.encode() not in zlib.decompress((state / STATE_FILE).read_bytes()[32:])  # no raw value kept
    _, full = scan(monkeypatch, tree, state, "--full")
    assert full["stats"]["files_scanned"] == 6 and full["findings"] == first["findings"]


def test_a_file_changed_without_a_size_or_mtime_change_is_read_again(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    target = tree / "plain-0.txt"
    filler = "x" * 60
    target.write_text(f"key: {filler}\n", encoding="utf-8")
    before = target.stat()
    scan(monkeypatch, tree, state)
    token = specimen.make("github", "ghp_")
    changed = f"key: GITHUB_TOKEN={token}\n"
    changed = changed + " " * (len(filler) + 6 - len(changed))
    assert len(changed) == before.st_size
    target.write_text(changed, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    _, report = scan(monkeypatch, tree, state)
    assert report["stats"]["files_scanned"] == 1
    assert [f["path"] for f in report["findings"]].count(str(target)) == 1


def _body(state: Path) -> dict[str, Any]:
    return json.loads(zlib.decompress((state / STATE_FILE).read_bytes()[32:]))  # type: ignore[no-any-return]


def _sign(state: Path, body: bytes, key: bytes | None = None) -> None:
    key = key if key is not None else derive_state_key(state)
    tag = hmac.new(key, STATE_FILE.encode() + b"\0" + body, hashlib.sha256).digest()
    (state / STATE_FILE).write_bytes(tag + body)


def _damage(kind: str, state: Path) -> None:
    path = state / STATE_FILE
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "future-version":
        document = _body(state)
        document["version"] = 99
        _sign(state, zlib.compress(json.dumps(document).encode()))
    elif kind == "signed-garbage":
        _sign(state, b"not zlib at all")
    elif kind == "foreign-key":
        # A planted state that says the leaking file is unchanged and clean, signed with a key we never had.
        document = _body(state)
        for record in document["files"].values():
            record[5] = []
        _sign(state, zlib.compress(json.dumps(document).encode()), key=b"k" * 32)
    elif kind == "group-writable":
        path.chmod(0o666)
    elif kind == "symlink":
        path.unlink()
        path.symlink_to(state.parent / "elsewhere")
        (state.parent / "elsewhere").write_bytes(data)
    os.utime(path, follow_symlinks=False)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "empty", "future-version", "signed-garbage",
                                  "foreign-key", "group-writable", "symlink"])
def test_damaged_state_is_discarded_with_a_warning_and_a_full_scan(
        kind: str, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    _, first = scan(monkeypatch, tree, state)
    _damage(kind, state)
    capsys.readouterr()
    code, report = scan(monkeypatch, tree, state)
    err = capsys.readouterr().err
    assert code == 1
    assert report["stats"]["files_scanned"] == 6 and report["stats"]["files_unchanged"] == 0
    assert report["findings"] == first["findings"]
    assert "scan state" in err and "warning" in err
    _, third = scan(monkeypatch, tree, state)  # the rebuilt state is trusted again
    assert third["stats"]["files_unchanged"] == 6


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_state_that_cannot_be_written_warns_and_the_scan_still_reports(
        failure: int, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from secret_scanner.state import files

    state = tmp_path / "state"
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if STATE_FILE in os.fspath(path) and flags & os.O_CREAT:
            raise OSError(failure, os.strerror(failure))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refusing_open)
    code, report = scan(monkeypatch, tree, state)
    err = capsys.readouterr().err
    assert code == 1 and len(report["findings"]) == 1
    assert "scan state not saved" in err and os.strerror(failure) in err
    assert not (state / STATE_FILE).exists()
    assert not list(state.glob(f".{STATE_FILE}*"))  # no temp file left behind


def test_a_disk_that_fills_during_the_write_keeps_the_old_state(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from secret_scanner.state import files

    state = tmp_path / "state"
    scan(monkeypatch, tree, state)
    old = (state / STATE_FILE).read_bytes()
    (tree / "new.txt").write_text("new\n", encoding="utf-8")

    def full_disk(descriptor: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "write", full_disk)
    code, _ = scan(monkeypatch, tree, state)
    assert code == 1 and "No space left on device" in capsys.readouterr().err
    assert (state / STATE_FILE).read_bytes() == old
    assert not list(state.glob(f".{STATE_FILE}*"))


_KILLED_WHILE_SAVING = """
import os, signal, sys
from secret_scanner.cli import scanner
real_replace = os.replace
def dying_replace(source, target, **kwargs):
    if str(target).endswith("scan-state"):
        os.kill(os.getpid(), signal.SIGKILL)  # dies after the fsync of the temp file, before the rename
    real_replace(source, target, **kwargs)
os.replace = dying_replace
sys.exit(scanner.main(sys.argv[1:]))
"""


def test_a_run_killed_while_writing_the_state_leaves_the_old_state_in_use(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    scan(monkeypatch, tree, state)
    old = (state / STATE_FILE).read_bytes()
    (tree / "plain-0.txt").write_text("changed content\n", encoding="utf-8")
    child = subprocess.run([sys.executable, "-c", _KILLED_WHILE_SAVING, "--scan", str(tree), "--state-dir",
                            str(state), "--quiet"], capture_output=True, timeout=120)
    assert child.returncode == -9
    assert list(state.glob(f".{STATE_FILE}.*.tmp")), "the kill must land while the temp file exists"
    assert (state / STATE_FILE).read_bytes() == old
    _, report = scan(monkeypatch, tree, state)
    assert report["stats"]["files_scanned"] == 1 and report["stats"]["files_unchanged"] == 5
    assert not list(state.glob(f".{STATE_FILE}.*.tmp"))


def test_another_rule_catalog_invalidates_the_state(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    scan(monkeypatch, tree, state)
    _, other_options = scan(monkeypatch, tree, state, "--max-file-size", "1000000")
    assert other_options["stats"]["files_scanned"] == 6
    from secret_scanner.catalog.loader import load_rules
    from secret_scanner.cli import session
    from secret_scanner.config import Config
    from secret_scanner.engine.scan import ScanOptions
    from secret_scanner.state.keys import load_fingerprinter

    fingerprinter = load_fingerprinter(state, None)
    shipped = load_rules()

    def remembering(rules: tuple[Any, ...]) -> Any:
        options = ScanOptions(roots=(tree,), rules=rules)
        return session.scan_remembering(options, fingerprinter, lambda: False, state, False, Config(), None)

    assert remembering(shipped).stats.files_scanned == 6
    assert remembering(shipped).stats.files_unchanged == 6
    fewer = remembering(shipped[:-1])
    assert fewer.stats.files_scanned == 6 and fewer.stats.files_unchanged == 0
