"""Large files are scanned in blocks with overlap: no match lost or duplicated at a block border, positions
right, context before a border respected; files over max_file_bytes are skipped and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import blocks as scanner
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.model import ScanResult

TEST_RULES = Path(__file__).parent / "data" / "engine_rules"
CHUNK = 64 * 1024


def _scan(root: Path, engine: str = "python", **options: object) -> ScanResult:
    return scan(ScanOptions(roots=(root,), rules=load_rules(TEST_RULES), engine=engine, **options),  # type: ignore[arg-type]
                Fingerprinter(b"k" * 32, "test"))


def _plant(size: int, plants: dict[int, bytes]) -> bytes:
    """Filler text of `size` bytes with each value written so that it starts exactly at its offset."""
    data = bytearray(b"lorem ipsum dolor sit amet\n" * (size // 27 + 1))[:size]
    for offset, value in plants.items():
        data[offset - 3:offset] = b"\nt="
        data[offset:offset + len(value)] = value
        data[offset + len(value)] = ord("\n")
    return bytes(data)


def _positions(data: bytes, offset: int) -> tuple[int, int]:
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


@pytest.mark.parametrize("engine", ["python", "hyperscan"])
def test_secrets_at_every_border_found_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           engine: str) -> None:
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    monkeypatch.setattr(scanner, "CHUNK_BYTES", CHUNK)
    deltas = (-4000, -39, -20, -1, 0, 1, 37, scanner.LEFT_CONTEXT - 5, scanner.LEFT_CONTEXT + 3)
    tokens = {(n + 1) * CHUNK + delta: specimen.make("github", "ghp_").encode()
              for n, delta in enumerate(deltas)}
    key_at = (len(deltas) + 1) * CHUNK - 700  # a 1.7 KB multi-line match across a border
    tokens[key_at] = specimen.make("pem", "rsa").encode()
    data = _plant((len(deltas) + 2) * CHUNK + 12345, tokens)
    (tmp_path / "big.log").write_bytes(data)
    result = _scan(tmp_path, engine)
    got = sorted((f.line, f.column, f.rule_id) for f in result.findings)
    want = sorted((*_positions(data, offset), "test.private-key" if offset == key_at else "test.github")
                  for offset in tokens)
    assert got == want


def test_chunked_equals_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = {offset: specimen.make("github", "gho_").encode() for offset in range(1000, 300_000, 7919)}
    (tmp_path / "f.txt").write_bytes(_plant(310_000, tokens))
    whole = _scan(tmp_path)
    monkeypatch.setattr(scanner, "CHUNK_BYTES", 32 * 1024)
    chunked = _scan(tmp_path)
    assert len(whole.findings) == len(tokens)
    assert chunked.findings == whole.findings


def test_context_before_a_border_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A token glued to a word is no token, even when the block starts between the word and the token."""
    monkeypatch.setattr(scanner, "CHUNK_BYTES", CHUNK)
    token = specimen.make("github", "ghp_").encode()
    data = bytearray(_plant(3 * CHUNK, {}))
    data[CHUNK - 1:CHUNK + len(token)] = b"X" + token
    (tmp_path / "f.txt").write_bytes(bytes(data))
    assert _scan(tmp_path).findings == ()


def test_big_utf16_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner, "CHUNK_BYTES", CHUNK)
    token = specimen.make("github", "ghp_")
    lines = [f"line {n} ünïcödé filler text" for n in range(9000)]
    lines[4321] = f"$token = '{token}'"
    text = "\r\n".join(lines)
    (tmp_path / "script.ps1").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    found = _scan(tmp_path).findings
    assert [(f.line, f.column) for f in found] == [(4322, 11)]


def test_files_over_the_limit_are_skipped_and_counted(tmp_path: Path) -> None:
    token = specimen.make("github", "ghp_")
    (tmp_path / "small.txt").write_text(f"t={token}\n")
    (tmp_path / "large.txt").write_text(f"t={token}\n" + "x" * 5000)
    result = _scan(tmp_path, max_file_bytes=1000)
    assert [Path(f.path).name for f in result.findings] == ["small.txt"]
    assert result.stats.files_skipped == 1
    assert result.stats.files_scanned == 1
