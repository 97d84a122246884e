"""Release signing hooks without signing tools: the notices when credentials are missing, how signtool,
codesign and gpg are called, and that no credential is printed or put on a command line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from release_scripts import FakeRunner, build, sign

# No signing key from the environment reaches these tests.
pytestmark = pytest.mark.usefixtures("no_signing_credentials")

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
