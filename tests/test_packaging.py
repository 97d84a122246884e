"""Release packaging without PyInstaller: archive names and layout, SHA256SUMS, signing hooks and their
notices, the Windows version resource, and the frozen-binary smoke test's fixture tree. A fake dist/ stands in
for a build.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


version_info = load("version_info", ROOT / "build" / "version_info.py")
sign = load("sign", ROOT / "packaging" / "sign.py")
package = load("package", ROOT / "packaging" / "package.py")
fixture_tree = load("fixture_tree", ROOT / "build" / "fixture_tree.py")


class FakeRunner:
    """Records the commands a signing hook would run, instead of running signtool/codesign/gpg."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bytes | None, list[str]]] = []

    def __call__(self, command: list[str], stdin: bytes | None, *,
                 secret_args: list[str] | tuple[str, ...] = ()) -> None:
        self.calls.append((list(command), stdin, list(secret_args)))


def make_fake_dist(tmp: Path, suffix: str) -> Path:
    dist = tmp / "dist"
    for name in ("SecretScanner", "secret-scanner-deploy"):
        folder = dist / name
        (folder / "_internal" / "secret_scanner" / "rules").mkdir(parents=True)
        exe = folder / f"{name}{suffix}"
        exe.write_bytes(b"\x7fELF fake " + name.encode())
        exe.chmod(0o755)
        (folder / "_internal" / "libpython-fake.so").write_bytes(b"lib" * 100)
        (folder / "_internal" / "secret_scanner" / "rules" / "github.toml").write_text("[[rules]]\n")
    return dist


def make_jobs(tmp: Path) -> Path:
    jobs = tmp / "jobs"
    jobs.mkdir()
    for os_name in ("windows", "linux", "macos"):
        (jobs / f"secrets-scanner-{os_name}.json").write_text(f'{{"id": "secrets-scanner-{os_name}"}}\n')
    return jobs


def build(tmp: Path, os_name: str, arch: str = "x64", version: str = "1.2.3", out: Path | None = None,
          dist: Path | None = None) -> Path:
    pkg = package.Package(version, os_name, arch)
    dist = dist or make_fake_dist(tmp / os_name, pkg.exe_suffix)
    jobs = tmp / "jobs" if (tmp / "jobs").is_dir() else make_jobs(tmp)
    inputs = package.locate_inputs(pkg, dist, jobs, ROOT / "packaging" / "INSTALL.md")
    result: Path = package.build_package(pkg, inputs, out or tmp / "out", verify_binary=False)
    return result


@pytest.fixture(autouse=True)
def no_signing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WINDOWS_SIGN_CERT_PFX", "WINDOWS_SIGN_CERT_PASSWORD", "WINDOWS_SIGN_CERT_THUMBPRINT",
                 "MACOS_SIGN_IDENTITY", "MACOS_NOTARY_PROFILE", "GPG_SIGNING_KEY_ID",
                 "GPG_SIGNING_PASSPHRASE", "SECRET_SCANNER_REQUIRE_SIGNING", "GITHUB_ACTIONS",
                 "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)


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


# ------------------------------------------------------------------------------------- signing notices


def test_unsigned_packaging_prints_a_notice_for_each_hook(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    build(tmp_path, "windows")
    build(tmp_path, "linux")
    err = capsys.readouterr().err
    assert "NOTICE: Windows Authenticode signing SKIPPED" in err and "WINDOWS_SIGN_CERT_PFX" in err
    assert "NOTICE: GPG signing SKIPPED" in err and "GPG_SIGNING_KEY_ID" in err


def test_macos_notice_names_the_missing_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = sign.sign_macos([tmp_path], env={})
    assert not outcome.signed
    assert "MACOS_SIGN_IDENTITY" in capsys.readouterr().err


def test_notice_is_a_warning_annotation_on_github_actions(capsys: pytest.CaptureFixture[str]) -> None:
    sign.sign_gpg([Path("x.tar.gz")], env={"GITHUB_ACTIONS": "true"})
    assert capsys.readouterr().err.startswith("::warning title=Unsigned artefact::NOTICE: GPG")


def test_required_signing_turns_the_notice_into_an_error() -> None:
    with pytest.raises(sign.SigningError, match="SECRET_SCANNER_REQUIRE_SIGNING"):
        sign.sign_windows([Path("a.exe")], env={"SECRET_SCANNER_REQUIRE_SIGNING": "1"})


def test_signtool_gets_the_pfx_password_but_the_echo_masks_it(tmp_path: Path) -> None:
    pfx = tmp_path / "cert.pfx"
    pfx.write_bytes(b"not really a pfx")
    password = "pfx-" + "pass-" + "word-for-test"
    runner = FakeRunner()
    env = {"WINDOWS_SIGN_CERT_PFX": str(pfx), "WINDOWS_SIGN_CERT_PASSWORD": password,
           "SIGNTOOL": "signtool.exe"}
    outcome = sign.sign_windows([tmp_path / "SecretScanner.exe"], env=env, run=runner)
    assert outcome.signed
    sign_call, verify_call = runner.calls
    assert sign_call[0][:2] == ["signtool.exe", "sign"] and ["/f", str(pfx)] == sign_call[0][8:10]
    assert password in sign_call[0] and sign_call[2] == [password]
    assert password not in verify_call[0] and verify_call[0][1:3] == ["verify", "/pa"]


def test_run_tool_never_prints_or_raises_with_a_credential(capfd: pytest.CaptureFixture[str]) -> None:
    secret = "hunter" + "2-credential"
    sign.run_tool([sys.executable, "-c", "pass", secret], None, secret_args=[secret])
    with pytest.raises(sign.SigningError) as raised:
        sign.run_tool([sys.executable, "-c", "import sys; sys.exit(3)", secret], None, secret_args=[secret])
    out, err = capfd.readouterr()
    assert secret not in out + err and sign.MASK in out
    assert secret not in str(raised.value) and "exit code 3" in str(raised.value)


def test_codesign_signs_nested_mach_o_first_then_notarises(tmp_path: Path) -> None:
    folder = tmp_path / "SecretScanner"
    (folder / "_internal" / "hyperscan").mkdir(parents=True)
    macho = bytes.fromhex("cffaedfe") + b"\0" * 16
    (folder / "SecretScanner").write_bytes(macho)
    (folder / "_internal" / "Python").write_bytes(macho)
    (folder / "_internal" / "hyperscan" / "_hs_ext.so").write_bytes(macho)
    (folder / "_internal" / "base_library.zip").write_bytes(b"PK\3\4")
    runner = FakeRunner()
    env = {"MACOS_SIGN_IDENTITY": "Developer ID Application: Test (TEAMID)", "MACOS_NOTARY_PROFILE": "notary"}
    assert sign.sign_macos([folder], env=env, run=runner).signed
    signed = [Path(c[0][-1]).name for c in runner.calls if c[0][:2] == ["codesign", "--force"]]
    assert signed == ["_hs_ext.so", "Python", "SecretScanner"]
    assert any(c[0][:3] == ["xcrun", "notarytool", "submit"] and "notary" in c[0] for c in runner.calls)


def test_gpg_passphrase_goes_on_stdin_not_argv(tmp_path: Path) -> None:
    runner = FakeRunner()
    passphrase = "gpg-" + "passphrase-for-test"
    archive = tmp_path / "a.tar.gz"
    sign.sign_gpg([archive], env={"GPG_SIGNING_KEY_ID": "ABCDEF", "GPG_SIGNING_PASSPHRASE": passphrase},
                  run=runner)
    command, stdin, _ = runner.calls[0]
    assert passphrase not in " ".join(command) and stdin == passphrase.encode()
    assert command[command.index("--output") + 1] == str(tmp_path / "a.tar.gz.asc")


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg not installed")
def test_real_gpg_detached_signature_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                    "Release Test <release@example.test>", "ed25519", "sign", "1d"],
                   check=True, capture_output=True, timeout=60)
    archive = tmp_path / "SecretScanner-1.2.3-linux-x64.tar.gz"
    archive.write_bytes(b"archive bytes")
    assert sign.sign_gpg([archive], env={"GPG_SIGNING_KEY_ID": "release@example.test"}).signed
    signature = tmp_path / "SecretScanner-1.2.3-linux-x64.tar.gz.asc"
    assert signature.read_text().startswith("-----BEGIN PGP SIGNATURE-----")
    archive.write_bytes(b"tampered bytes")
    tampered = subprocess.run(["gpg", "--batch", "--verify", str(signature), str(archive)],
                              capture_output=True, check=False)
    assert tampered.returncode != 0


# ------------------------------------------------------------------------------------ version resource


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1.0", (0, 1, 0, 0)), ("1.2.3rc1", (1, 2, 3, 0)), ("2.0", (2, 0, 0, 0)), ("1.2.3.4", (1, 2, 3, 4)),
])
def test_version_tuple_takes_the_leading_numbers(version: str, expected: tuple[int, ...]) -> None:
    assert version_info.version_tuple(version) == expected


def test_version_tuple_rejects_what_windows_cannot_hold() -> None:
    with pytest.raises(ValueError, match="65535"):
        version_info.version_tuple("1.70000.0")
    with pytest.raises(ValueError, match="number"):
        version_info.version_tuple("dev")


def test_version_comes_from_the_package() -> None:
    from secret_scanner import __version__

    assert version_info.read_version() == __version__


def test_version_resource_text_is_the_structure_pyinstaller_evaluates() -> None:
    def record(kind: str) -> Any:
        return lambda *args, **kwargs: (kind, args, kwargs)

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    text = version_info.render_version_info("1.2.3", "SecretScanner", "Secrets scanner")
    kind, _, fields = eval(text, {"__builtins__": {}}, {n: record(n) for n in names})  # noqa: S307 - our own text
    assert kind == "VSVersionInfo"
    assert fields["ffi"][2]["filevers"] == (1, 2, 3, 0) and fields["ffi"][2]["prodvers"] == (1, 2, 3, 0)
    string_table = fields["kids"][0][1][0][0]
    strings = dict(entry[1] for entry in string_table[1][1])
    assert strings["ProductVersion"] == "1.2.3" and strings["OriginalFilename"] == "SecretScanner.exe"


@pytest.mark.skipif(sys.platform != "win32", reason="PyInstaller's version-resource code needs win32 modules")
def test_version_resource_text_loads_in_pyinstaller(tmp_path: Path) -> None:
    versioninfo: Any = pytest.importorskip("PyInstaller.utils.win32.versioninfo")
    path = version_info.write_version_info(tmp_path / "v.txt", "1.2.3", "SecretScanner", "Secrets scanner")
    loaded = versioninfo.load_version_info_from_text_file(str(path))
    assert loaded.ffi.fileVersionMS == (1 << 16) | 2 and loaded.ffi.fileVersionLS == 3 << 16
    text = str(loaded)
    assert "StringStruct('ProductVersion', '1.2.3')" in text
    assert "StringStruct('OriginalFilename', 'SecretScanner.exe')" in text


# ---------------------------------------------------------------------------------------------- smoke fixture


def test_fixture_tree_records_each_planted_value(tmp_path: Path) -> None:
    tree = fixture_tree.make_tree(tmp_path)
    assert len(tree.values) == len(fixture_tree.PLANTS)
    for plant, value in zip(fixture_tree.PLANTS, tree.values, strict=True):
        assert value in (tmp_path / plant.relative_path).read_text()
        assert "<gen:" not in value and len(value) >= 20
    assert not any(v in (tmp_path / fixture_tree.CLEAN_FILE).read_text() for v in tree.values)
