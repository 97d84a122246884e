"""Where secret-scanner-deploy puts the binary: the install swap and its rollback, agent-root detection and
the known roots per OS, and the Admin API TLS context.
"""

from __future__ import annotations

import ssl
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from fakeagent import Pki

from secret_scanner.admin import agentroot, install
from secret_scanner.admin.agentroot import LINUX, MACOS, WINDOWS, detect_agent_root, known_roots
from secret_scanner.admin.install import install_binary

# --- install and agent roots --------------------------------------------------------------------------------


def test_install_binary_restores_the_old_folder_when_the_swap_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "new.txt").write_text("new")
    target = tmp_path / "Jobs" / "bin" / "SecretScanner"
    target.mkdir(parents=True)
    (target / "old.txt").write_text("old")
    real_rename = Path.rename

    def failing_rename(self: Path, dest: Path) -> Path:
        if self.name.startswith(".SecretScanner.new-"):
            raise PermissionError(13, "in use")
        return real_rename(self, dest)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(install.InstallError, match="retry when the run ends"):
        install_binary(source, target)
    assert (target / "old.txt").read_text() == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["SecretScanner"]


def test_detect_agent_root_takes_the_first_candidate_with_jobs(tmp_path: Path) -> None:
    docs_root, shipped_root, bare = tmp_path / "docs", tmp_path / "shipped", tmp_path / "bare"
    for root in (docs_root, shipped_root):
        (root / "Jobs").mkdir(parents=True)
    bare.mkdir()
    assert detect_agent_root([bare, shipped_root, docs_root]) == shipped_root
    assert detect_agent_root([bare]) is None


def test_known_roots_cover_docs_and_shipped_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRAMFILES", r"C:\Program Files")
    assert known_roots(LINUX) == (PurePosixPath("/opt/keeper/sbin"),
                                  PurePosixPath("/opt/KeeperPrivilegeManager"))
    assert known_roots(MACOS) == (PurePosixPath("/Library/Keeper/sbin"),
                                  PurePosixPath("/usr/local/KeeperPrivilegeManager"))
    windows = known_roots(WINDOWS)
    assert PureWindowsPath(r"C:\Program Files\Keeper Security\Endpoint Privilege Management") in windows
    assert PureWindowsPath(r"C:\Program Files\KeeperPrivilegeManager") in windows
    assert agentroot.command_path(PureWindowsPath(r"C:\K"), "SecretScanner", WINDOWS) == PureWindowsPath(
        r"C:\K\Jobs\bin\SecretScanner\SecretScanner.exe")


def test_tls_context_checks_host_names_only_off_loopback(pki: Pki) -> None:
    from secret_scanner.admin.agentapi import ApiTarget, build_tls_context

    remote = build_tls_context(ApiTarget("https://agent.example:6889", ca_bundle=pki.ca_pem))
    loopback = build_tls_context(ApiTarget("https://127.0.0.1:6889", ca_bundle=pki.ca_pem))
    unverified = build_tls_context(ApiTarget("https://[::1]:6889"))
    assert (remote.check_hostname, remote.verify_mode) == (True, ssl.CERT_REQUIRED)
    assert (loopback.check_hostname, loopback.verify_mode) == (False, ssl.CERT_REQUIRED)
    assert (unverified.check_hostname, unverified.verify_mode) == (False, ssl.CERT_NONE)
