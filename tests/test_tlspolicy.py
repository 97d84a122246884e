"""The TLS policy shared by HTTPS and MQTT: verify with a CA bundle, skip verification only on loopback."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from conftest import TlsMaterial

from secret_scanner.errors import TlsPolicyError
from secret_scanner.net.tls import build_client_context, check_peer, checks_hostname, is_loopback


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "Localhost"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.5",
        "192.168.1.1",
        "agent.example.com",
        "localhost.example.com",
        "128.0.0.1",
        "::2",
        "0.0.0.0",  # noqa: S104 - a string under test, not a bind
        "",
    ],
)
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_remote_host_without_ca_bundle_is_refused() -> None:
    with pytest.raises(TlsPolicyError, match="not a loopback address"):
        check_peer("agent.example.com", None, "--keeper-api-base")


def test_remote_host_with_ca_bundle_is_allowed_and_hostname_checked(tls_material: TlsMaterial) -> None:
    check_peer("agent.example.com", tls_material.ca_path, "broker.host")
    context = build_client_context("agent.example.com", tls_material.ca_path, "broker.host")
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_loopback_with_ca_bundle_verifies_the_chain_but_not_the_name(tls_material: TlsMaterial) -> None:
    # The agent's certificate names "Localhost" while we dial 127.0.0.1.
    context = build_client_context("127.0.0.1", tls_material.ca_path, "broker.host")
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is False
    assert not checks_hostname("127.0.0.1", tls_material.ca_path)


def test_loopback_without_ca_bundle_skips_verification() -> None:
    context = build_client_context("127.0.0.1", None, "broker.host")
    assert context.verify_mode == ssl.CERT_NONE
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_unloadable_ca_bundle_is_a_policy_error(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate\n", encoding="utf-8")
    with pytest.raises(TlsPolicyError, match="cannot be loaded"):
        build_client_context("127.0.0.1", bundle, "broker.host")
