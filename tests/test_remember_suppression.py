"""Suppression that is visible (issue #10): every path accepts a finding and counts it, none hides it silently.

Inline markers, `.secretscannerignore`, the config's `exclude` patterns (gitignore semantics), the fleet's
`ignore_fingerprints`, and `--baseline`. The real CLI runs in-process; reports are read back as JSON.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.cli import scanner as cli


def scan(monkeypatch: pytest.MonkeyPatch, root: Path, tmp_path: Path, *extra: str,
         config: str | None = None) -> tuple[int, dict[str, Any]]:
    monkeypatch.setattr(cli, "_lower_priority", lambda: None)
    monkeypatch.setattr(cli, "_install_stop_handlers", threading.Event)
    monkeypatch.delenv("KEEPER_JOB_ID", raising=False)
    monkeypatch.delenv("SECRET_SCANNER_CONFIG", raising=False)
    args = ["--scan", str(root), "--state-dir", str(tmp_path / "state"), "--quiet"]
    if config is not None:
        path = tmp_path / "fleet.toml"
        path.write_text(config, encoding="utf-8")
        args += ["--config", str(path)]
    report = tmp_path / "report.json"
    code = int(cli.main([*args, "--report", str(report), "--full", *extra]))
    return code, json.loads(report.read_text(encoding="utf-8"))


def token() -> str:
    return specimen.make("github", "ghp_")


@pytest.mark.parametrize("marker", ["# secretscanner:allow", "# gitleaks:allow", "# pragma: allowlist secret",
                                    "// kingfisher:ignore", "# GITLEAKS:ALLOW"])
def test_an_inline_marker_suppresses_only_its_line_and_is_counted(
        marker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.env").write_text(f"GITHUB_TOKEN={token()} {marker}\nOTHER_TOKEN={token()}\n", encoding="utf-8")
    code, report = scan(monkeypatch, root, tmp_path)
    assert code == 1
    assert [f["line"] for f in report["findings"]] == [2]
    assert [(s["line"], s["suppressed"]) for s in report["suppressed"]] == [(1, "inline")]
    assert report["stats"]["suppressed"] == 1
    assert "1 suppressed" in capsys.readouterr().out


def test_only_suppressed_findings_exit_clean_and_say_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.env").write_text(f"GITHUB_TOKEN={token()}  # secretscanner:allow\n", encoding="utf-8")
    code, report = scan(monkeypatch, root, tmp_path)
    assert code == 0 and report["findings"] == [] and len(report["suppressed"]) == 1
    assert "0 secret(s) found, 1 suppressed" in capsys.readouterr().out


def test_the_ignore_file_at_a_root_has_gitignore_semantics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    (root / "fixtures" / "keep").mkdir(parents=True)
    (root / "fixtures" / "a.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    (root / "fixtures" / "keep" / "b.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    (root / "c.log").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    (root / "d.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    ignore = root / ".secretscannerignore"
    ignore.write_text("# test data\nfixtures/*\n!fixtures/keep/\n*.log\n", encoding="utf-8")
    ignore.chmod(0o644)
    code, report = scan(monkeypatch, root, tmp_path)
    assert code == 1
    assert sorted(Path(f["path"]).name for f in report["findings"]) == ["b.env", "d.env"]
    assert report["stats"]["paths_ignored"] == 2


def test_an_ignore_file_others_may_write_is_not_honoured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    ignore = root / ".secretscannerignore"
    ignore.write_text("*\n", encoding="utf-8")
    ignore.chmod(0o666)
    code, report = scan(monkeypatch, root, tmp_path)
    assert code == 1 and len(report["findings"]) == 1 and report["stats"]["paths_ignored"] == 0
    assert "writable by group or others" in capsys.readouterr().err


def test_config_exclude_patterns_are_gitignore_patterns_per_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    (root / "vendor" / "deep").mkdir(parents=True)
    (root / "vendor" / "deep" / "a.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    (root / "b.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    code, report = scan(monkeypatch, root, tmp_path, config='exclude = ["vendor/"]\n')
    assert code == 1
    assert [Path(f["path"]).name for f in report["findings"]] == ["b.env"]
    assert report["stats"]["paths_ignored"] == 1


def test_fleet_ignore_fingerprints_with_the_org_key_serve_every_machine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    (root / "b.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    org = 'fingerprint_key = "' + "o" * 40 + '"\n'
    machine_a = tmp_path / "a"
    machine_a.mkdir()
    _, first = scan(monkeypatch, root, machine_a, config=org)
    accepted = next(f["fingerprint"] for f in first["findings"] if f["path"].endswith("a.env"))
    machine_b = tmp_path / "b"  # another state directory: another install key, same org key
    machine_b.mkdir()
    code, second = scan(monkeypatch, root, machine_b, config=org + f'ignore_fingerprints = ["{accepted}"]\n')
    assert code == 1
    assert [Path(f["path"]).name for f in second["findings"]] == ["b.env"]
    assert [(s["fingerprint"], s["suppressed"]) for s in second["suppressed"]] == [(accepted, "fingerprint")]


def test_a_baseline_reports_only_new_fingerprints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    _, first = scan(monkeypatch, root, tmp_path)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(first), encoding="utf-8")
    code, same = scan(monkeypatch, root, tmp_path, "--baseline", str(baseline))
    assert code == 0 and same["findings"] == [] and same["stats"]["suppressed"] == 1
    assert same["suppressed"][0]["suppressed"] == "baseline"
    (root / "b.env").write_text(f"GITHUB_TOKEN={token()}\n", encoding="utf-8")
    code, grown = scan(monkeypatch, root, tmp_path, "--baseline", str(baseline))
    assert code == 1 and [Path(f["path"]).name for f in grown["findings"]] == ["b.env"]


def test_a_baseline_that_is_not_a_report_is_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.txt").write_text("x\n", encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    monkeypatch.setattr(cli, "_lower_priority", lambda: None)
    monkeypatch.setattr(cli, "_install_stop_handlers", threading.Event)
    assert cli.main(["--scan", str(root), "--state-dir", str(tmp_path / "s"), "--baseline", str(bad)]) == 2
    assert "not a SecretScanner JSON report" in capsys.readouterr().err
