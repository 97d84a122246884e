"""Names are data (issue #11, items 7, 10, 11 and 13): hostile file names never crash a report, never forge
rows, never carry a secret out, and arguments that cannot be used are errors with a reason, not exit 70."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SettingsServer

from secret_scanner.catalog import specimen
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.jobmode import messages as message
from secret_scanner.names import show_name, show_url

posix_only = pytest.mark.skipif(sys.platform != "linux", reason="byte file names and PATH_MAX of Linux")
FORGING = ["evil\nHIGH  fake.rule  etc-passwd:1:1  ghp_...", "ansi\x1b[2Jclear", "cr\rover", "bidi\u202etxt.exe"]


def _run(command: list[str], *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", **(env or {})}
    return subprocess.run([*command, *args], capture_output=True, timeout=120, env=environment)


@posix_only
@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_file_name_with_invalid_utf8_does_not_crash_any_report_format(
        scanner_command: list[str], tmp_path: Path, fmt: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    raw_name = b"conf-\xff\xfe.env"
    token = specimen.make("github", "ghp_")
    with open(os.path.join(os.fsencode(tree), raw_name), "w", encoding="utf-8") as handle:
        handle.write(f"GITHUB_TOKEN={token}\n")
    report = tmp_path / f"report.{fmt}"
    result = _run(scanner_command, "--scan", "--path", str(tree), "--state-dir", str(tmp_path / "s"),
                  "--report", str(report), "--format", fmt)
    assert result.returncode == 1, result.stderr
    text = report.read_text(encoding="utf-8")  # valid UTF-8
    if fmt == "json":
        (finding,) = json.loads(text)["findings"]
        assert os.fsencode(finding["path"]).endswith(raw_name), "the JSON path is lossless"
    elif fmt == "sarif":
        uri = json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert uri["uri"].endswith("conf-%FF%FE.env")
    else:
        assert "conf-\\xff\\xfe.env" in text
    assert b"conf-\\xff\\xfe.env" in result.stdout  # stdout under a strict UTF-8 locale
    assert token.encode() not in result.stdout + result.stderr + text.encode()


@posix_only
def test_file_names_with_newline_ansi_cr_and_bidi_do_not_forge_rows(
        scanner_command: list[str], tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in FORGING:
        (tree / name).write_text(f"GITHUB_TOKEN={specimen.make('github', 'ghp_')}\n", encoding="utf-8")
    report = tmp_path / "report.txt"
    result = _run(scanner_command, "--scan", "--path", str(tree), "--state-dir", str(tmp_path / "s"),
                  "--report", str(report), "--format", "text")
    assert result.returncode == 1, result.stderr
    for output in (result.stdout.decode("utf-8"), report.read_text(encoding="utf-8")):
        for bad in ("\x1b", "\r", "\u202e"):
            assert bad not in output
        rows = [line for line in output.splitlines() if line.startswith("CRITICAL") or line.startswith("HIGH")]
        assert len(rows) == len(FORGING), output
        assert "evil\\x0aHIGH" in output and "\\u202etxt.exe" in output


def test_bidi_and_control_characters_reach_keeperlogger_only_as_visible_escapes() -> None:
    from secret_scanner.model import Finding

    finding = Finding("github.pat", "GitHub token", "critical", "high", "/home/a/bidi\u202etxt.exe\x1b[2J", 1, 1,
                      "ab" * 16, "ghp_...(40 chars)", 40)
    document = message.finding_message(finding, "run")
    text = document["MetaData"]["Message"]  # type: ignore[index]
    assert "\u202e" not in text and "\x1b" not in text
    assert "bidi\\u202etxt.exe\\x1b[2J" in text
    assert "\u202e" not in document["MetaData"]["Context"]  # type: ignore[index]


def test_secret_in_a_directory_name_is_masked_in_every_echo(tmp_path: Path) -> None:
    token = specimen.make("github", "ghp_")
    folder = tmp_path / "tree" / f"backup-{token}"
    folder.mkdir(parents=True)
    inner = specimen.make("github", "ghp_")
    (folder / "deploy.env").write_text(f"GITHUB_TOKEN={inner}\n", encoding="utf-8")
    result = scan(ScanOptions(roots=(tmp_path / "tree",), engine="python"), Fingerprinter(b"k" * 32, "t"))
    (finding,) = result.findings
    assert token not in finding.path and token[:12] not in finding.path
    assert finding.path.endswith("/deploy.env") and "ghp_...(40 chars)" in finding.path
    from secret_scanner.output.jsonreport import build_report, render_json
    from secret_scanner.output.text import render_text

    outputs = render_json(build_report(result, "r", "t")) + render_text(result)
    outputs += json.dumps(message.finding_message(finding, "r")) + json.dumps(message.completed_event(
        "j", "r", result)) + json.dumps(message.summary_message(result, "r", 1))
    assert token not in outputs and inner not in outputs


def test_secret_in_a_root_name_is_masked_in_the_stats(tmp_path: Path) -> None:
    token = specimen.make("github", "ghp_")
    root = tmp_path / token
    root.mkdir()
    result = scan(ScanOptions(roots=(root,), engine="python"), Fingerprinter(b"k" * 32, "t"))
    assert all(token not in r for r in result.stats.roots)


def test_keeper_api_base_path_token_is_not_echoed(settings_server: SettingsServer) -> None:
    from secret_scanner.jobmode.plugin_settings import resolve_broker_address

    token = specimen.make("github", "ghp_")
    settings_server.mode = "404"
    address = resolve_broker_address(f"{settings_server.url}/{token}", None, 0.5, 2.0)
    assert address.fallback_reason is not None
    assert token not in address.fallback_reason and settings_server.url in address.fallback_reason
    assert show_url(f"https://user:pw@host:6889/{token}?q=1#f") == "https://host:6889"


@posix_only
def test_path_argument_longer_than_path_max_is_a_usage_error(scanner_command: list[str], tmp_path: Path) -> None:
    result = _run(scanner_command, "--scan", "--path", "/" + "a" * 5000, "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 2, result.stderr
    assert b"longer than the operating system allows" in result.stderr
    assert b"internal error" not in result.stderr


@posix_only
def test_symlink_loop_root_is_reported_as_a_loop(scanner_command: list[str], tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = _run(scanner_command, "--scan", "--path", str(loop), "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 2
    assert b"symbolic links" in result.stderr and b"no such file" not in result.stderr


@posix_only
def test_path_deeper_than_path_max_is_reported_not_silently_skipped(tmp_path: Path) -> None:
    root = tmp_path / "deep"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(24):  # 24 x 200 bytes: deeper than PATH_MAX (4096)
            name = "d" * 199
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        with os.fdopen(os.open("deep.env", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as handle:
            handle.write(f"GITHUB_TOKEN={specimen.make('github', 'ghp_')}\n")
    finally:
        os.close(fd)
    result = scan(ScanOptions(roots=(root,), engine="python"), Fingerprinter(b"k" * 32, "t"))
    assert not result.complete
    assert any("longer than the operating system allows" in r for r in result.incomplete_reasons)
    assert any(p.kind == "skipped" for p in result.problems)


def test_show_name_escapes_only_what_can_forge() -> None:
    assert show_name("C:\\Users\\ana\\é.txt") == "C:\\Users\\ana\\é.txt"
    assert show_name("a\nb\x1b\u202e\udcff") == "a\\x0ab\\x1b\\u202e\\xff"
