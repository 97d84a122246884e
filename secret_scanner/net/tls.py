"""The one TLS policy for every peer we talk to: the agent's HTTPS API (Plugin Settings, the admin Jobs API)
and its MQTT broker. Every client SSL context in the package is built here.

The agent serves both with one self-signed certificate issued to "Localhost" and regenerates it on every
service restart, so it cannot be pinned. The rules:

- With a CA bundle: the certificate chain is always verified against it. The host name is checked too, except
  for loopback hosts: the agent's certificate names "Localhost" while the agent tells us to use 127.0.0.1, and
  a loopback peer cannot be impersonated from another machine.
- Without a CA bundle: verification is skipped, but only for loopback hosts (127.0.0.0/8, ::1, localhost).
  A scanner running as SYSTEM/root must never send findings to an unverified remote peer, so any other host
  raises TlsPolicyError.
- TLS 1.2 at least.
- Mutual TLS (the admin tools): the client certificate and key are loaded into the context when it is built,
  so a bad --cert/--key fails before anything is installed or sent.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.errors import TlsPolicyError, UsageError

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
# What follows "host 'x' is not a loopback address" when the scanner refuses a peer; the admin tools pass their own.
_SCANNER_REFUSAL = (" and no CA bundle was given: refusing to send findings to a peer whose certificate cannot be "
                    "verified. Give --ca-bundle FILE (or $SECRET_SCANNER_CA_BUNDLE) with the CA that issued the "
                    "agent's certificate, or use 127.0.0.1.")


@dataclass(frozen=True)
class ClientCertificate:
    """A PEM client certificate and its unencrypted key (None: the key is inside `cert`), for mutual TLS."""

    cert: Path
    key: Path | None = None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the name localhost; never resolves names (DNS could lie)."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def check_peer(host: str, ca_bundle: Path | None, what: str, refusal: str = _SCANNER_REFUSAL) -> None:
    """Raise TlsPolicyError when `host` would be contacted without the verification the policy requires."""
    if ca_bundle is None and not is_loopback(host):
        raise TlsPolicyError(f"{what} host {host!r} is not a loopback address{refusal}")


def checks_hostname(host: str, ca_bundle: Path | None) -> bool:
    """Whether the certificate must name `host`: only when verifying a non-loopback peer."""
    return ca_bundle is not None and not is_loopback(host)


def build_client_context(
    host: str,
    ca_bundle: Path | None,
    what: str,
    *,
    client: ClientCertificate | None = None,
    ca_flag: str = "CA bundle",
    refusal: str = _SCANNER_REFUSAL,
) -> ssl.SSLContext:
    """A client SSL context for `host` under the policy.

    TlsPolicyError for a refused peer or an unloadable CA bundle (both are configuration errors: exit 2);
    UsageError for a client certificate or key that cannot be loaded. `ca_flag` names the bundle's option in
    messages, `refusal` ends the refusal message with how to fix it.
    """
    check_peer(host, ca_bundle, what, refusal)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_bundle is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise TlsPolicyError(f"{ca_flag} {ca_bundle} cannot be loaded (not a readable PEM CA bundle): "
                                 f"{exc}") from exc
        context.check_hostname = checks_hostname(host, ca_bundle)
        context.verify_mode = ssl.CERT_REQUIRED
    if client is not None:
        _load_client_certificate(context, client)
    return context


def _load_client_certificate(context: ssl.SSLContext, client: ClientCertificate) -> None:
    try:
        context.load_cert_chain(str(client.cert), str(client.key) if client.key is not None else None)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(
            f"--cert {client.cert} / --key {client.key}: cannot load the client certificate and key "
            f"(PEM, unencrypted key): {exc}") from exc
