"""Credential containers (catalog/containers.py) recognised in a source: name, magic bytes, then the kind's check.

A container finding names the file and says what it is; its fingerprint is the keyed fingerprint of the
content's SHA-256 (the same file found twice, or in an archive and on disk, is one finding identity) and its
preview is the kind and size, never content. Every parse here is bounded: the caller hands in at most
CONTAINER_READ_BYTES, JSON nesting is capped, and a PKCS#12 file is only opened when its key-derivation
iteration counts are small enough that trying an empty password cannot stall the scan.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import warnings
from dataclasses import dataclass

from secret_scanner.catalog.containers import CONTAINER_KINDS, Check, ContainerKind
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.model import Confidence, Finding, Severity

CONTAINER_READ_BYTES = 8 * 1024 * 1024
_MAX_ITERATIONS = 1_000_000  # PKCS#12 KDF rounds we accept to try an empty password with (OpenSSL uses 2048)
_MAX_DER_NODES = 20_000
_MAX_DER_DEPTH = 16
_MAX_JSON_NODES = 500_000
_TFSTATE_SECRET_ATTRIBUTES = frozenset({
    "password", "master_password", "admin_password", "administrator_login_password", "root_password",
    "secret", "client_secret", "secret_key", "secret_access_key", "access_key", "private_key",
    "private_key_pem", "private_key_openssh", "token", "api_key", "api_token", "primary_access_key",
    "secondary_access_key", "primary_connection_string", "connection_string", "sas_token", "auth_token",
    "bootstrap_token", "kube_config_raw", "client_key", "client_certificate_password",
})
# Resources whose whole purpose is a secret value (their `result` attribute).
_TFSTATE_SECRET_TYPES = frozenset({"random_password"})
_RDG_PASSWORD = re.compile(rb"<password>\s*[^<\s]", re.IGNORECASE)
_MREMOTENG_PASSWORD = re.compile(rb"\bPassword=\"[^\"]+\"")
_OPENVPN_KEY = re.compile(rb"<key>\s*-----BEGIN[^<]{16,}</key>", re.IGNORECASE)
_TOKEN_CACHE = re.compile(rb"\"(?:RefreshToken|refreshToken|refresh_token|AccessToken|accessToken|secret)\""
                          rb"\s*:\s*[\"{]\s*[^\"}\s]")


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    detail: str  # appended to the kind's description: what the check saw (never a value)


def match_kind(path: str) -> ContainerKind | None:
    """The container kind a (display) path names, by file name and parent folder; None when none does."""
    parts = re.split(r"[/\\!]", path.lower())
    name = parts[-1]
    parent = parts[-2] if len(parts) > 1 else ""
    for kind in CONTAINER_KINDS:
        if any(fnmatch.fnmatchcase(name, glob) for glob in kind.names) and (
                not kind.parents or parent in kind.parents):
            return kind
    return None


def inspect(kind: ContainerKind, data: bytes, truncated: bool) -> Verdict | None:
    """Whether `data` (the file's first bytes) is this kind holding a credential; None when it is not."""
    if kind.magic and not data.startswith(kind.magic):
        return None
    check = kind.check
    if check is Check.NONE:
        return Verdict(kind.severity, "")
    if check is Check.KEYSTORE and not data.startswith(b"\x30"):
        return Verdict(kind.severity, "")
    if check in (Check.PKCS12, Check.KEYSTORE):
        return _inspect_pkcs12(kind, data, truncated)
    if check is Check.PPK:
        head = data[:512]
        if re.search(rb"^Encryption: none\r?$", head, re.MULTILINE):
            return Verdict(Severity.CRITICAL, "The key is not protected by a passphrase.")
        return Verdict(kind.severity, "The key is protected by a passphrase.")
    if check is Check.OPENVPN:
        return Verdict(kind.severity, "") if _OPENVPN_KEY.search(data) else None
    if check is Check.RDG:
        return Verdict(kind.severity, "") if _RDG_PASSWORD.search(data) else None
    if check is Check.MREMOTENG:
        count = len(_MREMOTENG_PASSWORD.findall(data))
        return Verdict(kind.severity, f"{count} connection(s) with a saved password.") if count else None
    if check is Check.TOKEN_CACHE:
        return Verdict(kind.severity, "") if _TOKEN_CACHE.search(data) else None
    if check is Check.TFSTATE:
        return None if truncated else _inspect_tfstate(kind, data)
    return None


def build_finding(kind: ContainerKind, verdict: Verdict, path: str, sha256_hex: str, size: int,
                  fingerprinter: Fingerprinter) -> Finding:
    description = kind.why + (" " + verdict.detail if verdict.detail else "")
    return Finding(
        rule_id=kind.rule_id, title=kind.title, severity=verdict.severity, confidence=Confidence.HIGH,
        path=path, line=1, column=1, fingerprint=fingerprinter.fingerprint("container:sha256:" + sha256_hex),
        redacted=f"{kind.title}, {size} bytes", length=max(1, size), description=description,
    )


# -- PKCS#12 ------------------------------------------------------------------------------------------------


def _inspect_pkcs12(kind: ContainerKind, data: bytes, truncated: bool) -> Verdict | None:
    if truncated:
        return Verdict(kind.severity, "Too large to check for an empty password.")
    rounds = _iteration_counts(data)
    if rounds is None:
        return None  # not DER: a file with the name but not the format
    if rounds and max(rounds) > _MAX_ITERATIONS:
        return Verdict(kind.severity, "Not checked for an empty password (unusual key-derivation cost).")
    opened = _open_with_empty_password(data)
    if opened is None:
        return Verdict(kind.severity, "It is password-protected.")
    if not opened:
        return None  # opens, but holds no private key: a certificate bundle, public by design
    return Verdict(Severity.CRITICAL, "It opens with an empty password: the private key is readable as is.")


def _open_with_empty_password(data: bytes) -> bool | None:
    """True: opens without a password and holds a key; False: opens, no key; None: needs a password."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    for password in (None, b""):
        try:
            # The file is anyone's: its certificate oddities are not ours to print (warnings go to stderr).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                key, _certificate, _others = pkcs12.load_key_and_certificates(data, password)
        except (ValueError, TypeError):
            continue
        return key is not None
    return None


def _iteration_counts(data: bytes) -> list[int] | None:
    """Every INTEGER that follows an OCTET STRING in one SEQUENCE (PBE, PBKDF2 and MacData iteration counts),
    walking the DER (and DER wrapped in OCTET STRINGs) within node and depth caps; None when not DER."""
    counts: list[int] = []
    budget = [_MAX_DER_NODES]
    try:
        if _walk_der(data, 0, counts, budget) is None:
            return None
    except _TooComplex:
        return [_MAX_ITERATIONS + 1]  # too many nodes to vet: treated like an unusual cost, not opened
    return counts


class _TooComplex(Exception):
    """The DER walk met more nodes than it may visit."""


def _walk_der(data: bytes, depth: int, counts: list[int], budget: list[int]) -> list[tuple[int, bytes]] | None:
    """The TLVs of `data` as (tag, content), recording iteration-like integers; None when `data` is not DER."""
    items: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooComplex
        if offset + 2 > len(data):
            return None
        tag, first = data[offset], data[offset + 1]
        offset += 2
        if first < 0x80:
            length = first
        elif 0x81 <= first <= 0x84 and offset + (first & 0x7F) <= len(data):
            width = first & 0x7F
            length = int.from_bytes(data[offset:offset + width], "big")
            offset += width
        else:
            return None  # indefinite (BER) or absurd lengths: not something we walk
        if offset + length > len(data):
            return None
        items.append((tag, data[offset:offset + length]))
        offset += length
    if depth >= _MAX_DER_DEPTH:
        return items
    for tag, content in items:
        if tag & 0x20:  # constructed: SEQUENCE, SET, context-specific
            children = _walk_der(content, depth + 1, counts, budget)
            if children is None:
                continue
            for (left, _), (right, value) in itertools.pairwise(children):
                if left == 0x04 and right == 0x02 and len(value) <= 8:
                    counts.append(int.from_bytes(value, "big"))
        elif tag == 0x04 and content[:1] == b"\x30":  # an OCTET STRING that wraps DER (PKCS#12 authSafe)
            _walk_der(content, depth + 1, counts, budget)
    return items


# -- Terraform state ------------------------------------------------------------------------------------


def _inspect_tfstate(kind: ContainerKind, data: bytes) -> Verdict | None:
    try:
        state = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(state, dict):
        return None
    sensitive_outputs = 0
    outputs = state.get("outputs")
    if isinstance(outputs, dict):
        sensitive_outputs = sum(1 for value in outputs.values()
                                if isinstance(value, dict) and value.get("sensitive") is True
                                and value.get("value") not in (None, ""))
    secret_attributes = _count_secret_attributes(state.get("resources"))
    if not sensitive_outputs and not secret_attributes:
        return None
    return Verdict(kind.severity, f"It holds {sensitive_outputs} sensitive output(s) and {secret_attributes} "
                                  "secret resource attribute(s).")


def _count_secret_attributes(resources: object) -> int:
    """Non-empty string attributes with a known secret name, walking iteratively within a node cap."""
    count = 0
    stack: list[object] = [resources]
    nodes = 0
    while stack and nodes < _MAX_JSON_NODES:
        node = stack.pop()
        nodes += 1
        if isinstance(node, dict):
            if node.get("type") in _TFSTATE_SECRET_TYPES:
                count += 1
            for key, value in node.items():
                if isinstance(value, str):
                    if value and key.lower() in _TFSTATE_SECRET_ATTRIBUTES:
                        count += 1
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return count
