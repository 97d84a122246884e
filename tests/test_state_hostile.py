"""Attacks on the state directory (issue #11, item 1 and 3): planted, linked, empty or foreign state files are
never trusted and never end the run."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import gate as gate_module
from secret_scanner.engine.gate_cache import locate
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.state.blobs import AuthenticatedBlobStore
from secret_scanner.state.files import UntrustedFileError, read_private_file, write_private_file
from secret_scanner.state.keys import KEY_FILE, derive_state_key, load_install_key

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX ownership and modes")


def _state(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    return state


def test_empty_fingerprint_key_left_by_a_full_disk_is_replaced(tmp_path: Path) -> None:
    state = _state(tmp_path)
    (state / KEY_FILE).write_bytes(b"")
    os.chmod(state / KEY_FILE, 0o600)
    key = load_install_key(state)
    assert len(key) == 32
    assert load_install_key(state) == key  # the new key is kept


@posix_only
def test_planted_fingerprint_key_that_others_can_write_is_not_used(tmp_path: Path) -> None:
    state = _state(tmp_path)
    planted = b"p" * 32
    (state / KEY_FILE).write_bytes(planted)
    os.chmod(state / KEY_FILE, 0o666)  # noqa: S103 - the attack: a key file others may write
    assert load_install_key(state) != planted
    assert any(p.name.endswith(KEY_FILE) for p in (state / "quarantine").iterdir())


@posix_only
def test_fingerprint_key_symlink_is_never_followed(tmp_path: Path) -> None:
    state = _state(tmp_path)
    secret_file = tmp_path / "root-only"
    secret_file.write_bytes(b"s" * 32)
    os.chmod(secret_file, 0o600)
    (state / KEY_FILE).symlink_to(secret_file)
    key = load_install_key(state)
    assert key != b"s" * 32
    assert secret_file.read_bytes() == b"s" * 32  # the link target was neither used nor overwritten


@posix_only
def test_fifo_in_state_directory_does_not_hang(tmp_path: Path) -> None:
    state = _state(tmp_path)
    os.mkfifo(state / "blob")
    with pytest.raises(UntrustedFileError):
        read_private_file(state / "blob", 1024)


def test_oversized_state_file_is_refused(tmp_path: Path) -> None:
    state = _state(tmp_path)
    write_private_file(state / "big", b"x" * 2048)
    with pytest.raises(UntrustedFileError):
        read_private_file(state / "big", 1024)
    assert read_private_file(state / "big", 4096) == b"x" * 2048


def test_planted_hyperscan_cache_that_matches_nothing_is_rejected(tmp_path: Path) -> None:
    hyperscan = pytest.importorskip("hyperscan")
    state = _state(tmp_path)
    rules = load_rules()
    name, key = locate(rules, hyperscan)
    # An attacker computes the name from public data and plants a database of one rule that never fires.
    empty_db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    empty_db.compile(expressions=[b"never-ever-matches-zz9"], ids=[0], flags=[0])
    header = json.dumps({"key": key, "modes": {rule.id: "exact" for rule in rules}}).encode()
    planted = header + b"\n" + hyperscan.dumpb(empty_db)
    (state / name).write_bytes(planted)
    os.chmod(state / name, 0o600)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".env").write_text(f"GITHUB_TOKEN={specimen.make('github', 'ghp_')}\n")
    gate_module._CACHE.clear()
    store = AuthenticatedBlobStore(state, derive_state_key(state))
    result = scan(ScanOptions(roots=(tree,), rules=rules, cache=store), Fingerprinter(b"f" * 32, "install"))
    assert [f.rule_id for f in result.findings] == ["github.pat"]
    assert not (state / name).exists() or (state / name).read_bytes() != planted
    assert stat.S_IMODE((state / name).stat().st_mode) == 0o600  # our own database replaced it
    gate_module._CACHE.clear()
