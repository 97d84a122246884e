"""Encodings: UTF-8 (with and without BOM), UTF-16 LE/BE (with and without BOM), CRLF, JSON-escaped PEM,
binary files; line and column in characters of the decoded text."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import decoding as decoder
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.model import Finding

TEST_RULES = Path(__file__).parent / "data" / "engine_rules"
ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "utf-16le bom": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
    "utf-16be bom": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    "utf-16le": lambda text: text.encode("utf-16-le"),
    "utf-16be": lambda text: text.encode("utf-16-be"),
}


@pytest.fixture(scope="module", params=["python", "hyperscan"])
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "hyperscan":
        pytest.importorskip("hyperscan")
    return Engine(load_rules(TEST_RULES), Fingerprinter(b"k" * 32, "test"), request.param)


def _expected_position(text: str, secret: str) -> tuple[int, int]:
    offset = text.index(secret)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _github(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule_id == "test.github"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_line_and_column_count_characters(engine: Engine, encoding: str, newline: str) -> None:
    token = specimen.make("github", "ghp_")
    lines = ["# Réglages für café ☕ and 😀 emoji", "", "naïve = 'ü' ; 😀😀 token=" + token + " end", "tail"]
    text = newline.join(lines)
    found = _github(engine.scan_bytes(ENCODINGS[encoding](text), "settings.ps1"))
    assert len(found) == 1
    line, column = _expected_position(text.replace("\r\n", "\n"), token)
    assert (found[0].line, found[0].column) == (line, column) == (3, 24)
    assert found[0].length == len(token)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_crlf_end_anchor_and_no_trailing_cr(engine: Engine, encoding: str) -> None:
    password = specimen.make("password", "16", random.Random("test_encoding-password"))
    text = f"[db]\r\nhost = db1\r\npassword = {password}\r\nport = 5432\r\n"
    found = [f for f in engine.scan_bytes(ENCODINGS[encoding](text), "app.ini")
             if f.rule_id == "test.password"]
    assert [(f.line, f.column, f.length) for f in found] == [(3, 12, len(password))]


def test_same_secret_same_fingerprint_in_every_encoding(engine: Engine) -> None:
    token = specimen.make("github", "ghs_")
    prints = {
        _github(engine.scan_bytes(encode(f"t={token}\n"), "x.txt"))[0].fingerprint
        for encode in ENCODINGS.values()
    }
    assert len(prints) == 1


def test_json_escaped_pem_is_found_and_fingerprinted_like_the_plain_key(engine: Engine) -> None:
    key = specimen.make("pem", "rsa")
    service_account = json.dumps({"type": "service_account", "private_key_id": "abc", "private_key": key})
    escaped = [f for f in engine.scan_bytes(service_account.encode(), "sa.json")
               if f.rule_id == "test.private-key"]
    plain = [f for f in engine.scan_bytes(key.encode(), "id_rsa") if f.rule_id == "test.private-key"]
    crlf = [f for f in engine.scan_bytes(key.replace("\n", "\r\n").encode(), "id_rsa") if f.rule_id ==
            "test.private-key"]
    assert len(escaped) == len(plain) == len(crlf) == 1
    assert escaped[0].fingerprint == plain[0].fingerprint == crlf[0].fingerprint
    assert escaped[0].line == 1 and escaped[0].column == service_account.index("-----BEGIN") + 1


def test_very_long_minified_line(engine: Engine) -> None:
    token = specimen.make("github", "ghp_")
    filler = "".join(f'"k{i}":"v{i}",' for i in range(40000))
    text = "{" + filler + f'"token":"{token}",' + filler + "}"
    found = _github(engine.scan_bytes(text.encode(), "bundle.min.js"))
    assert [(f.line, f.column) for f in found] == [(1, text.index(token) + 1)]


def test_sniff_decides_encodings_and_binary() -> None:
    assert decoder.sniff(b"plain ascii\n") == decoder.UTF8
    assert decoder.sniff("grüße".encode()) == decoder.UTF8
    assert decoder.sniff(b"\xef\xbb\xbfx") == decoder.UTF8_BOM
    assert decoder.sniff("hello world".encode("utf-16-le")) == decoder.UTF16_LE
    assert decoder.sniff("hello world".encode("utf-16-be")) == decoder.UTF16_BE
    assert decoder.sniff(b"\xff\xfe" + "hi".encode("utf-16-le")) == decoder.UTF16_LE_BOM
    assert decoder.sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00").is_binary
    assert decoder.sniff(b"PK\x03\x04\x14\x00\x00\x00\x08\x00").is_binary
    assert decoder.sniff(bytes(range(1, 32)) * 10).is_binary  # control bytes, no NUL
    assert not decoder.sniff(b"\x1b[31mred\x1b[0m log line\n").is_binary


def test_binary_files_are_skipped_and_counted(tmp_path: Path) -> None:
    token = specimen.make("github", "ghp_")
    (tmp_path / "a.so").write_bytes(b"\x7fELF\x00\x00\x00" + token.encode() + b"\x00" * 64)
    (tmp_path / "b.txt").write_text(f"t={token}\n")
    result = scan(ScanOptions(roots=(tmp_path,), rules=load_rules(TEST_RULES)), Fingerprinter(b"k" * 32, "t"))
    assert [Path(f.path).name for f in result.findings] == ["b.txt"]
    assert result.stats.files_skipped == 1
    assert result.stats.files_scanned == 1


def test_binary_credential_container_is_scanned_by_its_path_rule(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "store.toml").write_text('''
[[rules]]
id = "test.pkcs12"
title = "PKCS#12 key store"
severity = "low"
confidence = "medium"
placeholder_filter = false
pattern = \'\'\'\\A(\\x30\\x82[\\x00-\\xff]{2}\\x02\\x01\\x03)\'\'\'
keywords = ["p12"]
path_patterns = [\'\'\'\\.(p12|pfx)$\'\'\']
example_path = "a.p12"
description = "A key store that holds a private key and its certificate."
examples = ["unused"]
''')
    tree = tmp_path / "tree"
    tree.mkdir()
    blob = b"\x30\x82\x0a\x1c\x02\x01\x03\x30\x82\x09\xe2\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
    blob += b"\x00" * 200
    (tree / "client.pfx").write_bytes(blob)
    (tree / "client.bin").write_bytes(blob)
    result = scan(ScanOptions(roots=(tree,), rules=load_rules(rules_dir)), Fingerprinter(b"k" * 32, "t"))
    assert [(Path(f.path).name, f.rule_id, f.line, f.column) for f in result.findings] == [
        ("client.pfx", "test.pkcs12", 1, 1)]
    assert result.stats.files_skipped == 1


def test_count_chars_counts_code_points() -> None:
    text = "aé☕😀"
    assert decoder.count_chars(text.encode()) == len(text) == 4
