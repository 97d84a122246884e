"""Attacks on the engine (issue #11, items 2 and 9): one crafted file never ends a scan, and a file that grows
while it is read never eats the time budget."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog import validators as validator
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.model import ScanResult


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def nested_header_jwt(depth: int) -> str:
    """A JWT-shaped token whose header is `{"a":[[[[...]]]]}` nested `depth` deep (the attack file)."""
    header = b"{\"a\":" + b"[" * depth  # never closed: the parser recurses before it sees the end
    payload = _b64url(json.dumps({"sub": "x" * 12}).encode())
    return f"{_b64url(header)}.{payload}.{'s' * 24}"


def _scan(*roots: Path, **options: object) -> ScanResult:
    return scan(ScanOptions(roots=roots, engine="python", **options),  # type: ignore[arg-type]
                Fingerprinter(b"k" * 32, "test"))


def _plant(root: Path) -> str:
    root.mkdir(parents=True, exist_ok=True)
    token = specimen.make("github", "ghp_")
    (root / "deploy.env").write_text(f"GITHUB_TOKEN={token}\n", encoding="utf-8")
    return token


def test_deeply_nested_jwt_header_does_not_raise_in_the_validator() -> None:
    token = nested_header_jwt(1500)
    assert len(token.split(".")[0]) <= 2048 + 3  # still the shape the jwt.token rule captures
    assert validator.validate("jwt", token) is False


def test_deeply_nested_jwt_header_file_does_not_end_the_scan(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    token = _plant(root)
    (root / "evil.txt").write_text(f"token={nested_header_jwt(1500)}\n", encoding="utf-8")
    result = _scan(root)
    assert any(f.path.endswith("deploy.env") for f in result.findings)
    assert result.complete
    assert token not in repr(result)


def test_a_validator_that_raises_is_that_files_error_with_rule_and_stage_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    _plant(root)
    crafted = specimen.make("jwt")
    (root / "evil.txt").write_text(f"token={crafted}\n", encoding="utf-8")

    def explode(secret: str) -> bool:
        raise RecursionError(f"maximum recursion depth exceeded near {secret}")

    monkeypatch.setitem(validator.VALIDATORS, "jwt", explode)
    result = _scan(root)
    assert any(f.path.endswith("deploy.env") for f in result.findings), "other files' findings are kept"
    assert result.stats.file_errors == 1
    (problem,) = [p for p in result.problems if p.kind == "error"]
    assert problem.path.endswith("evil.txt")
    assert "rule jwt.token" in problem.detail and "validator" in problem.detail
    assert "RecursionError" in problem.detail
    assert crafted not in repr(result) and crafted[:20] not in problem.detail


def test_a_decoder_that_raises_is_counted_and_the_scan_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secret_scanner.engine import decoding

    root = tmp_path / "tree"
    _plant(root)
    (root / "utf16.txt").write_bytes(b"\xff\xfe" + "password = hunter2hunter2\n".encode("utf-16-le"))

    real = decoding.make_transcoder

    def broken(encoding: decoding.Encoding) -> object:
        if encoding.name.startswith("utf-16"):
            raise MemoryError
        return real(encoding)

    monkeypatch.setattr(decoding, "make_transcoder", broken)
    result = _scan(root)
    assert any(f.path.endswith("deploy.env") for f in result.findings)
    assert result.stats.file_errors == 1
    assert any(p.path.endswith("utf16.txt") and "MemoryError" in p.detail for p in result.problems)


def test_file_growing_while_read_stops_at_max_file_size_and_is_reported_truncated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secret_scanner.engine import scan as scan_module
    from secret_scanner.engine.walk import FileEntry

    root = tmp_path / "tree"
    _plant(root)
    grower = root / "app.log"
    # What the walk saw (1 KiB) and what the read finds (the file grew to 24 MiB meanwhile, a secret at its end).
    late = specimen.make("github", "ghp_")
    with open(grower, "wb") as handle:
        handle.write((b"log line without secrets " * 40 + b"\n") * (24 * 1024))
        handle.write(f"GITHUB_TOKEN={late}\n".encode())
    real_walk = scan_module.iter_files

    def walk_that_saw_a_small_file(*args: object, **kwargs: object) -> object:
        for entry in real_walk(*args, **kwargs):  # type: ignore[arg-type]
            yield FileEntry(entry.path, 1024) if entry.path == str(grower) else entry

    monkeypatch.setattr(scan_module, "iter_files", walk_that_saw_a_small_file)
    result = _scan(root, max_file_bytes=4 * 1024 * 1024)
    assert any(f.path.endswith("deploy.env") for f in result.findings)
    assert not any(f.path.endswith("app.log") for f in result.findings), "read past max_file_bytes"
    (problem,) = [p for p in result.problems if p.kind == "truncated"]
    assert problem.path == str(grower) and str(4 * 1024 * 1024) in problem.detail
    assert result.stats.files_truncated == 1
