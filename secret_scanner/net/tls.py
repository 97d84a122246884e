"""The one TLS policy for every peer we talk to (the agent's HTTPS API and its MQTT broker).

The agent serves both with one self-signed certificate issued to "Localhost" and regenerates it on every
service restart, so it cannot be pinned. The rules:

- With a CA bundle: the certificate chain is always verified against it. The host name is checked too, except
  for loopback hosts: the agent's certificate names "Localhost" while the agent tells us to use 127.0.0.1, and
  a loopback peer cannot be impersonated from another machine.
- Without a CA bundle: verification is skipped, but only for loopback hosts (127.0.0.0/8, ::1, localhost).
  A scanner running as SYSTEM/root must never send findings to an unverified remote peer, so any other host
  raises TlsPolicyError.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from secret_scanner.errors import TlsPolicyError

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the name localhost; never resolves names (DNS could lie)."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def check_peer(host: str, ca_bundle: Path | None, what: str) -> None:
    """Raise TlsPolicyError when `host` would be contacted without the verification the policy requires."""
    if ca_bundle is None and not is_loopback(host):
        raise TlsPolicyError(
            f"{what} host {host!r} is not a loopback address and no CA bundle was given: refusing to send "
            "findings to a peer whose certificate cannot be verified. Give --ca-bundle FILE (or "
            "$SECRET_SCANNER_CA_BUNDLE) with the CA that issued the agent's certificate, or use 127.0.0.1."
        )


def checks_hostname(host: str, ca_bundle: Path | None) -> bool:
    """Whether the certificate must name `host`: only when verifying a non-loopback peer."""
    return ca_bundle is not None and not is_loopback(host)


def build_client_context(host: str, ca_bundle: Path | None, what: str) -> ssl.SSLContext:
    """A client SSL context for `host` under the policy; TlsPolicyError also for an unloadable bundle."""
    check_peer(host, ca_bundle, what)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_bundle is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        context.load_verify_locations(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        raise TlsPolicyError(f"CA bundle {ca_bundle} cannot be loaded: {exc}") from exc
    context.check_hostname = checks_hostname(host, ca_bundle)
    context.verify_mode = ssl.CERT_REQUIRED
    return context
