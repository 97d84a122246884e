"""A rescan with nothing changed (issue #10 item 8): no engine is built, no rule file is parsed, the state is not
rewritten, and still every secret in a name stays masked and every corrupt archive is still counted unreadable."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from secret_scanner.catalog import loader, specimen
from secret_scanner.cli import scanner as cli
from secret_scanner.engine import detector
from secret_scanner.engine.sources import SourceScanner
from secret_scanner.state.scanstate import STATE_FILE

CORRUPT = "corrupt or unreadable archive"


def _scan(monkeypatch: pytest.MonkeyPatch, root: Path, state: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    import threading

    monkeypatch.setattr(cli, "_lower_priority", lambda: None)
    monkeypatch.setattr(cli, "_install_stop_handlers", threading.Event)
    monkeypatch.delenv("KEEPER_JOB_ID", raising=False)
    monkeypatch.delenv("SECRET_SCANNER_CONFIG", raising=False)
    report = state.parent / "report.json"
    code = int(cli.main(["--scan", str(root), "--state-dir", str(state), "--quiet", "--report", str(report),
                         *extra]))
    text = report.read_text(encoding="utf-8")
    return code, json.loads(text), text


def _forbid_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the engine or the catalog was built on a quiet rescan")

    monkeypatch.setattr(detector.Engine, "__init__", refuse)
    monkeypatch.setattr(loader, "load_rules", refuse)
    monkeypatch.setattr(SourceScanner, "scan_entry", refuse)


@pytest.fixture
def hostile_tree(tmp_path: Path) -> tuple[Path, str, str]:
    """A root and a folder whose names hold secrets, a finding under each, and a corrupt zip."""
    root_token, folder_token = specimen.make("github", "ghp_"), specimen.make("github", "ghp_")
    root = tmp_path / f"root-{root_token}"
    folder = root / f"backup-{folder_token}"
    folder.mkdir(parents=True)
    (folder / "deploy.env").write_text(f"GITHUB_TOKEN={specimen.make('github', 'ghp_')}\n", encoding="utf-8")
    (root / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40 + b"not a zip at all")
    (root / "plain.txt").write_text("nothing here\n", encoding="utf-8")
    return root, root_token, folder_token


def test_a_quiet_rescan_builds_no_engine_and_keeps_names_masked(
        hostile_tree: tuple[Path, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, root_token, folder_token = hostile_tree
    state = tmp_path / "state"
    first_code, first, first_text = _scan(monkeypatch, root, state)
    assert first["stats"]["files_scanned"] == 2 and first["stats"]["read_errors"] == 1
    assert dict(first["stats"]["skip_reasons"])[CORRUPT] == 1
    _forbid_engine(monkeypatch)
    second_code, second, second_text = _scan(monkeypatch, root, state)
    assert first_code == second_code == 1
    assert second["stats"]["files_unchanged"] == 2 and second["stats"]["files_scanned"] == 0
    # The corrupt archive is not read again, and still not silently clean.
    assert second["stats"]["read_errors"] == 1 and dict(second["stats"]["skip_reasons"])[CORRUPT] == 1
    assert second["findings"] == first["findings"] and len(second["findings"]) == 1
    assert second["stats"]["roots"] == first["stats"]["roots"]
    assert second["stats"]["engine"] == first["stats"]["engine"]
    for text in (first_text, second_text):
        assert root_token not in text and folder_token not in text
        assert "ghp_...(40 chars)" in text
    # What the state adds for names is masked: the memo and each finding's name (the file table is keyed
    # by the file's own path, as it always was: an owner-only file of the state directory).
    document = json.loads(zlib.decompress((state / STATE_FILE).read_bytes()[32:]))
    kept = json.dumps(document["names"]) + json.dumps([record[5] for record in document["files"].values()])
    assert "ghp_...(40 chars)" in kept and root_token not in kept and folder_token not in kept


def test_the_state_is_rewritten_only_when_something_changed(
        hostile_tree: tuple[Path, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _, _ = hostile_tree
    state = tmp_path / "state"
    _scan(monkeypatch, root, state)
    written = (state / STATE_FILE).stat().st_mtime_ns, (state / STATE_FILE).read_bytes()
    _scan(monkeypatch, root, state)
    assert ((state / STATE_FILE).stat().st_mtime_ns, (state / STATE_FILE).read_bytes()) == written
    (root / "plain.txt").write_text(f"TOKEN={specimen.make('github', 'ghp_')}\n", encoding="utf-8")
    _, changed, _ = _scan(monkeypatch, root, state)
    assert changed["stats"]["files_scanned"] == 1 and len(changed["findings"]) == 2
    assert (state / STATE_FILE).read_bytes() != written[1]
    _forbid_engine(monkeypatch)
    _, again, _ = _scan(monkeypatch, root, state)
    assert again["findings"] == changed["findings"] and again["stats"]["files_unchanged"] == 2


def test_a_repaired_archive_is_read_again(hostile_tree: tuple[Path, str, str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    root, _, _ = hostile_tree
    state = tmp_path / "state"
    _scan(monkeypatch, root, state)
    (root / "broken.zip").unlink()
    with zipfile.ZipFile(root / "broken.zip", "w") as archive:
        archive.writestr("app/.env", f"GITHUB_TOKEN={specimen.make('github', 'ghp_')}\n")
    _, repaired, _ = _scan(monkeypatch, root, state)
    assert repaired["stats"]["read_errors"] == 0 and CORRUPT not in dict(repaired["stats"]["skip_reasons"])
    assert any("broken.zip!" in f["path"] for f in repaired["findings"])
