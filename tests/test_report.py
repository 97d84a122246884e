"""The JSON report matches its documented schema; the text report is readable and leak-free."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from secret_scanner.catalog import specimen
from secret_scanner.cli import scanner as cli


@pytest.fixture
def planted_tree(tmp_path: Path) -> tuple[Path, list[str]]:
    secrets = [specimen.make("github", "ghp_"), specimen.make("aws-key-id", "AKIA"), specimen.make("npm")]
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    (root / "app" / ".env").write_text(f"GITHUB_TOKEN={secrets[0]}\nAWS_ACCESS_KEY_ID={secrets[1]}\n")
    (root / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken={secrets[2]}\n")
    return root, secrets


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(cli, "_lower_priority", lambda: None)
    monkeypatch.delenv("KEEPER_JOB_ID", raising=False)
    return int(cli.main(list(args)))


def test_json_report_validates_against_the_shipped_schema(
    planted_tree: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, secrets = planted_tree
    report = tmp_path / "out.json"
    assert _run(monkeypatch, "--scan", "--path", str(root), "--report", str(report),
                "--state-dir", str(tmp_path / "state"), "--quiet") == 1
    data = json.loads(report.read_text(encoding="utf-8"))
    schema = json.loads(resources.files("secret_scanner").joinpath("schema/report.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert data["complete"] is True
    assert data["stats"]["findings"] == len(data["findings"]) >= 3
    assert {f["rule_id"] for f in data["findings"]} >= {"github.pat", "aws.access-key-id", "npm.access-token"}
    text = report.read_text(encoding="utf-8")
    assert not [s for s in secrets if s in text]


def test_text_report_lists_each_finding_with_location_and_preview(
    planted_tree: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, secrets = planted_tree
    report = tmp_path / "out.txt"
    _run(monkeypatch, "--scan", "--path", str(root), "--report", str(report), "--format", "text",
         "--state-dir", str(tmp_path / "state"))
    text = report.read_text(encoding="utf-8")
    assert f"{root / 'app' / '.env'}:1:14" in text
    assert "ghp_...(40 chars)" in text
    assert text.strip().splitlines()[-1].startswith("Secret scan complete: ")
    assert capsys.readouterr().out == text  # the same table is printed locally
    assert not [s for s in secrets if s in text]
