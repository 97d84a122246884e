"""Release packaging without PyInstaller: archive names and layout, SHA256SUMS, and the frozen-binary smoke
test's fixture tree. A fake dist/ stands in for a build.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from release_scripts import ROOT, build, fixture_tree, make_fake_dist, make_jobs, package

# No signing key from the environment reaches these tests.
pytestmark = pytest.mark.usefixtures("no_signing_credentials")

# ---------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(("os_name", "arch", "expected"), [
    ("windows", "x64", "SecretScanner-1.2.3-windows-x64.zip"),
    ("linux", "x64", "SecretScanner-1.2.3-linux-x64.tar.gz"),
    ("macos", "arm64", "SecretScanner-1.2.3-macos-arm64.tar.gz"),
])
def test_archive_names_follow_the_release_convention(os_name: str, arch: str, expected: str) -> None:
    assert package.Package("1.2.3", os_name, arch).archive_name == expected


@pytest.mark.parametrize(("machine", "expected"), [
    ("x86_64", "x64"), ("AMD64", "x64"), ("arm64", "arm64"), ("aarch64", "arm64"), ("riscv64", "riscv64"),
])
def test_machine_names_map_to_short_arch_names(machine: str, expected: str) -> None:
    assert package.normalize_arch(machine) == expected


# ---------------------------------------------------------------------------------------------- layout


def test_linux_archive_holds_the_agent_layout_job_tool_and_readme(tmp_path: Path) -> None:
    archive = build(tmp_path, "linux")
    assert archive.name == "SecretScanner-1.2.3-linux-x64.tar.gz"
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
    top = "SecretScanner-1.2.3-linux-x64"
    for expected in ("Jobs/bin/SecretScanner/SecretScanner",
                     "Jobs/bin/SecretScanner/_internal/secret_scanner/rules/github.toml",
                     "tools/secret-scanner-deploy/secret-scanner-deploy",
                     "job/secrets-scanner-linux.json", "INSTALL.md"):
        assert f"{top}/{expected}" in members, expected
    assert all(name == top or name.startswith(top + "/") for name in members)
    # Only this OS's job, and never inside Jobs/ (Last Known Good would revert a hand-dropped job file).
    assert not any(name.endswith(("-windows.json", "-macos.json")) for name in members)
    assert not any(name.startswith(f"{top}/Jobs/") and name.endswith(".json") for name in members)
    binary = members[f"{top}/Jobs/bin/SecretScanner/SecretScanner"]
    assert binary.mode == 0o755 and binary.uid == 0 and binary.uname == "root"
    assert members[f"{top}/INSTALL.md"].mode == 0o644


def test_windows_archive_is_a_zip_with_exe_names(tmp_path: Path) -> None:
    archive = build(tmp_path, "windows")
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        job = zf.read("SecretScanner-1.2.3-windows-x64/job/secrets-scanner-windows.json")
    assert "SecretScanner-1.2.3-windows-x64/Jobs/bin/SecretScanner/SecretScanner.exe" in names
    assert "SecretScanner-1.2.3-windows-x64/tools/secret-scanner-deploy/secret-scanner-deploy.exe" in names
    assert b'"secrets-scanner-windows"' in job


def test_archive_bytes_are_reproducible_with_source_date_epoch(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dist = make_fake_dist(tmp_path / "src", "")
    first = build(tmp_path, "linux", out=tmp_path / "a", dist=dist).read_bytes()
    second = build(tmp_path, "linux", out=tmp_path / "b", dist=dist).read_bytes()
    assert first == second


def test_missing_input_names_the_file(tmp_path: Path) -> None:
    pkg = package.Package("1.2.3", "linux", "x64")
    dist = make_fake_dist(tmp_path, "")
    (dist / "secret-scanner-deploy" / "secret-scanner-deploy").unlink()
    with pytest.raises(package.PackagingError, match="secret-scanner-deploy"):
        package.locate_inputs(pkg, dist, make_jobs(tmp_path), ROOT / "packaging" / "INSTALL.md")


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for the frozen binary")
def test_a_stale_build_with_another_version_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "SecretScanner"
    fake.write_text("#!/bin/sh\necho 'SecretScanner 0.0.9'\n")
    fake.chmod(0o755)
    with pytest.raises(package.PackagingError, match=r"0\.0\.9"):
        package.check_binary_version(fake, "1.2.3")
    package.check_binary_version(fake, "0.0.9")


# ---------------------------------------------------------------------------------------------- SHA256SUMS


def test_sha256sums_cover_every_archive_and_only_archives(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(tmp_path, "linux", out=out)
    build(tmp_path, "windows", out=out)
    (out / "notes.txt").write_text("not an archive")
    (out / "SecretScanner-1.2.3-linux-x64.tar.gz.asc").write_text("signature")
    lines = (out / "SHA256SUMS").read_text().splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == ["SecretScanner-1.2.3-linux-x64.tar.gz", "SecretScanner-1.2.3-windows-x64.zip"]
    for line in lines:
        digest, name = line.split("  ", 1)
        assert digest == hashlib.sha256((out / name).read_bytes()).hexdigest()


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not installed")
def test_sha256sums_pass_sha256sum_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(tmp_path, "linux", out=out)
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sums_only_mode_refuses_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert package.main(["--sums-only", "--out", str(tmp_path / "empty")]) == 1


# ---------------------------------------------------------------------------------------------- smoke fixture


def test_fixture_tree_records_each_planted_value(tmp_path: Path) -> None:
    tree = fixture_tree.make_tree(tmp_path)
    assert len(tree.values) == len(fixture_tree.PLANTS)
    for plant, value in zip(fixture_tree.PLANTS, tree.values, strict=True):
        assert value in (tmp_path / plant.relative_path).read_text()
        assert "<gen:" not in value and len(value) >= 20
    assert not any(v in (tmp_path / fixture_tree.CLEAN_FILE).read_text() for v in tree.values)
