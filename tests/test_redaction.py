"""Redaction and identity: previews reveal little, fingerprints are keyed and stable, and no object that
leaves the engine holds a raw secret."""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.identity import Fingerprinter, redact
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.errors import StateError
from secret_scanner.output import jsonreport
from secret_scanner.output import text as text_report
from secret_scanner.output.sarif import render_sarif
from secret_scanner.state.keys import load_fingerprinter

TEST_RULES = Path(__file__).parent / "data" / "engine_rules"


def test_redact_reveals_at_most_a_prefix_and_the_length() -> None:
    assert redact("ghp_" + "a1B2" * 9) == "ghp_...(40 chars)"
    assert redact("abcdefghijkl") == "ab...(12 chars)"
    assert redact("short") == "...(5 chars)"


def test_fingerprints_are_keyed_and_stable(tmp_path: Path) -> None:
    one = Fingerprinter(b"a" * 32, "install")
    assert one.fingerprint("s3cret") == one.fingerprint("s3cret")
    assert one.fingerprint("s3cret") != Fingerprinter(b"b" * 32, "install").fingerprint("s3cret")
    assert len(one.fingerprint("x")) == 32
    assert "s3cret" not in repr(one)
    with pytest.raises(StateError):
        Fingerprinter(b"short", "install")
    first = load_fingerprinter(tmp_path, None)
    assert load_fingerprinter(tmp_path, None).fingerprint("v") == first.fingerprint("v")
    org = load_fingerprinter(tmp_path, "o" * 40)
    assert org.scope == "organization"
    assert org.fingerprint("v") == load_fingerprinter(tmp_path / "elsewhere", "o" * 40).fingerprint("v")


def test_no_secret_leaves_the_engine(tmp_path: Path) -> None:
    secrets = {
        "t.txt": specimen.make("github", "ghp_"),
        "db.ini": specimen.make("password", "20", random.Random("test_redaction-password")),
        "id_rsa": specimen.make("pem", "rsa"),
    }
    (tmp_path / "t.txt").write_text(f"token={secrets['t.txt']}\n")
    (tmp_path / "db.ini").write_text(f"password = {secrets['db.ini']}\n")
    (tmp_path / "id_rsa").write_text(secrets["id_rsa"])
    rules = load_rules(TEST_RULES)
    result = scan(ScanOptions(roots=(tmp_path,), rules=rules), Fingerprinter(b"k" * 32, "test"))
    assert len(result.findings) == 3
    outputs = [
        repr(result), str(result), pickle.dumps(result).decode("latin-1"),
        jsonreport.render_json(jsonreport.build_report(result, "run", "test")), text_report.render_text(result),
        render_sarif(result, rules), json.dumps([dataclasses.asdict(f) for f in result.findings]),
    ]
    for secret in secrets.values():
        probe = secret if len(secret) < 100 else secret.splitlines()[2]
        for text in outputs:
            assert probe not in text
    for finding in result.findings:
        assert finding.length == len(secrets[Path(finding.path).name].strip())
