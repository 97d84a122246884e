"""Named offline validators a rule can require (`validator = "..."`): structure and checksum checks.

Each validator takes the captured secret and says whether it is well-formed; a malformed match is dropped.
No validator touches the network.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import string
import zlib
from collections.abc import Callable

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_PEM = re.compile(
    r"-----BEGIN ([A-Z0-9 ]{1,40})-----\s*(.*?)\s*-----END ([A-Z0-9 ]{1,40})-----", re.DOTALL)
_PEM_HEADER = re.compile(r"^[A-Za-z-]+:[^\n]*$")
_OPENSSH_MAGIC = b"openssh-key-v1\x00"
_PUTTY = re.compile(r"PuTTY-User-Key-File-[23]: [a-z0-9-]+\s+Encryption: [a-z0-9-]+\s+Comment: .*?"
                    r"Public-Lines: \d+\s.*Private-Lines: \d+\s.*Private-(?:MAC|Hash): [0-9a-f]+", re.DOTALL)


def base62_crc32(body: str) -> str:
    """GitHub's and npm's token check: CRC32 of the random part as 6 base62 digits (specimens make it too)."""
    return _encode_base62(zlib.crc32(body.encode("ascii")))


def _encode_base62(number: int) -> str:
    digits = ""
    while number:
        number, rem = divmod(number, 62)
        digits = _BASE62[rem] + digits
    return digits.rjust(6, "0")


def _crc32_token(secret: str, prefixes: tuple[str, ...]) -> bool:
    for prefix in prefixes:
        if secret.startswith(prefix):
            rest = secret[len(prefix):]
            if len(rest) != 36 or not rest.isascii() or not rest.isalnum():
                return False
            return base62_crc32(rest[:30]) == rest[30:]
    return False


def is_github_token(secret: str) -> bool:
    """ghp_/gho_/ghu_/ghs_/ghr_ + 30 random base62 + 6 base62 digits of their CRC32."""
    return _crc32_token(secret, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"))


def is_npm_token(secret: str) -> bool:
    return _crc32_token(secret, ("npm_",))


def _b64decode(text: str, urlsafe: bool) -> bytes | None:
    cleaned = re.sub(r"\s+", "", text)
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


# A JWT header is a few dozen bytes of flat JSON; anything parsed from a scanned file is bounded (a crafted
# header nested 100,000 deep raised RecursionError and ended the run: issue #11).
_MAX_JWT_HEADER_CHARS = 4096
_MAX_JSON_DEPTH = 8


def is_jwt(secret: str) -> bool:
    """Three base64url parts; the header decodes to a JSON object naming an `alg`."""
    parts = secret.split(".")
    if len(parts) != 3 or len(parts[0]) > _MAX_JWT_HEADER_CHARS or not all(
            re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", p) for p in parts[:2]):
        return False
    header = _b64decode(parts[0].rstrip("="), urlsafe=True)
    if header is None or _json_depth(header) > _MAX_JSON_DEPTH:
        return False
    try:
        decoded = json.loads(header)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _json_depth(text: bytes) -> int:
    """An upper bound of the nesting depth (brackets inside strings count too: that only errs safe)."""
    depth = deepest = 0
    for byte in text:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def is_pem_private_key(secret: str) -> bool:
    """PEM armour with matching labels whose body decodes to a DER SEQUENCE, an OpenSSH key or a PuTTY key.

    JSON-escaped PEM (literal backslash-n inside a JSON string, as in GCP service-account files) is unescaped
    first. Encrypted PEM (Proc-Type headers) counts: it is still a private key, protected by a passphrase.
    """
    text = secret.replace("\\r", "").replace("\\n", "\n").replace("\\/", "/").replace("\r", "")
    if text.startswith("PuTTY-User-Key-File-"):
        return _PUTTY.match(text) is not None
    match = _PEM.search(text)
    if match is None or match.group(1) != match.group(3) or "PRIVATE KEY" not in match.group(1):
        return False
    lines = [line.strip() for line in match.group(2).split("\n")]
    body = "".join(line for line in lines if line and not _PEM_HEADER.match(line))
    der = _b64decode(body, urlsafe=False)
    if der is None or len(der) < 16:
        return False
    return der[0] == 0x30 or der.startswith(_OPENSSH_MAGIC) or "Proc-Type" in match.group(2)


def is_base64_userpass(secret: str) -> bool:
    """Base64 that decodes to printable `user:password` with both parts non-empty."""
    raw = _b64decode(secret, urlsafe=False)
    if raw is None:
        return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and password and decoded.isprintable())


def is_uuid(secret: str) -> bool:
    """A canonical 8-4-4-4-12 hex UUID (for rules whose secret is a UUID-shaped key)."""
    return re.fullmatch(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", secret) is not None


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "github_crc32": is_github_token,
    "npm_crc32": is_npm_token,
    "jwt": is_jwt,
    "pem_private_key": is_pem_private_key,
    "base64_userpass": is_base64_userpass,
    "uuid": is_uuid,
}


def validate(name: str, secret: str) -> bool:
    return VALIDATORS[name](secret)


# --- Validators: PyPI macaroons, Azure identifiable keys -------------------------------------------

_MACAROON_LOCATIONS = (b"pypi.org", b"test.pypi.org")
_MACAROON_MAX_BYTES = 4096
# The published service signatures (security-utilities IdentifiableMetadata): Storage, Cosmos DB, Batch, API
# Management, Machine Learning, Cache for Redis, Container Registry, Search, IoT, Functions, Service Bus, Event
# Hubs, Relay, Event Grid.
_AZURE_SIGNATURES = frozenset({"+ASt", "ACDb", "+ABa", "APIM", "+AMC", "AzCa", "+ACR", "AzSe", "AIoT", "AzFu",
                               "+ASb", "+AEh", "+ARm", "AZEG"})


def _read_varint(data: bytes, offset: int) -> tuple[int, int] | None:
    """A LEB128 unsigned varint (macaroon v2 field types and lengths); None when cut off or oversized."""
    value = 0
    for shift in range(0, 28, 7):
        if offset >= len(data):
            return None
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
    return None


def _read_macaroon_section(data: bytes, offset: int) -> tuple[list[tuple[int, bytes]], int] | None:
    """Fields up to the end-of-section marker (type 0): [(type, value)], offset after the marker."""
    fields: list[tuple[int, bytes]] = []
    while len(fields) < 16:
        kind = _read_varint(data, offset)
        if kind is None:
            return None
        field_type, offset = kind
        if field_type == 0:
            return fields, offset
        size = _read_varint(data, offset)
        if size is None or size[1] + size[0] > len(data):
            return None
        fields.append((field_type, data[size[1]:size[1] + size[0]]))
        offset = size[1] + size[0]
    return None


def is_pypi_macaroon(secret: str) -> bool:
    """`pypi-` + base64url of a version-2 binary macaroon (the format pymacaroons serialises): version byte 2,
    a header section whose location is pypi.org or test.pypi.org and whose identifier is not empty, caveat
    sections, an empty end-of-caveats section, then a 32-byte signature field and nothing after it."""
    if not secret.startswith("pypi-") or len(secret) > 4 * _MACAROON_MAX_BYTES // 3 + 8:
        return False
    body = secret[len("pypi-"):]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", body):
        return False
    data = _b64decode(body, urlsafe=True)
    if data is None or len(data) < 48 or data[0] != 2:
        return False
    header = _read_macaroon_section(data, 1)
    if header is None or dict(header[0]).get(1) not in _MACAROON_LOCATIONS or not dict(header[0]).get(2):
        return False
    offset = header[1]
    for _ in range(64):
        section = _read_macaroon_section(data, offset)
        if section is None:
            return False
        fields, offset = section
        if not fields:
            break
        if not any(kind == 2 and value for kind, value in fields):
            return False
    else:
        return False
    # Then the signature field (type 6, 32 bytes) and nothing after it.
    kind = _read_varint(data, offset)
    if kind is None or kind[0] != 6:
        return False
    size = _read_varint(data, kind[1])
    return size is not None and size[0] == 32 and size[1] + 32 == len(data)


def is_azure_identifiable_key(secret: str) -> bool:
    """Microsoft's identifiable key layout (microsoft/security-utilities, IdentifiableSecrets.cs): base64 of
    random bytes + a 3-byte service signature + a 4-byte Marvin32 checksum, so the 4-character signature sits
    right before the 6 checksum characters, and the bits that spill over constrain the checksum's first or last
    character (A-P, A-D, or one of AQgw). The signature must be a published one. The Marvin32 checksum itself is
    seeded per service and not recomputed."""
    if "-" in secret or "_" in secret:
        secret = secret.replace("-", "+").replace("_", "/")  # the URL-safe form (Azure Functions keys)
    trimmed = secret.rstrip("=")
    if len(secret) - len(trimmed) > 2 or not re.fullmatch(r"[A-Za-z0-9+/]{40,120}", trimmed):
        return False
    raw = _b64decode(trimmed, urlsafe=False)
    if raw is None:
        return False
    if trimmed[-10:-6] not in _AZURE_SIGNATURES:
        return False
    spill = ((len(raw) - 3 - 4) * 8) % 6
    checksum = trimmed[-6:]
    if spill == 2:
        return checksum[0] in "ABCDEFGHIJKLMNOP"
    if spill == 4:
        return checksum[0] in "ABCD"
    return checksum[-1] in "AQgw"


_CONCAT_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----(.*?)-----END ([A-Z0-9 ]{1,40})-----", re.DOTALL)
# Inside the string literals, escaped line ends and blanks separate the lines of the key.
_LITERAL_BREAKS = re.compile(r"\\[rn]|\s")


def is_concatenated_pem(secret: str) -> bool:
    """A PEM private key written as concatenated string literals (`"-----BEGIN ...-----\\n" + "MII..." + ...`):
    the text inside the literals, joined, must pass `pem_private_key`."""
    match = _CONCAT_PEM.search(secret)
    if match is None or match.group(1) != match.group(3):
        return False
    # Between the BEGIN and END markers, quotes alternate: inside a literal, code (+, newline), inside, ...
    pieces = re.split(r"[\"']", match.group(2))
    if len(pieces) < 3:
        return False
    body = _LITERAL_BREAKS.sub("", "".join(pieces[0::2]))
    if not re.fullmatch(r"[A-Za-z0-9+/=]{64,8000}", body):
        return False
    return is_pem_private_key(f"-----BEGIN {match.group(1)}-----\n{body}\n-----END {match.group(1)}-----")


def is_base64_pem_private_key(secret: str) -> bool:
    """Base64 of a whole PEM private key (`LS0tLS1CRUdJTi...`, as Kubernetes secrets, Helm values and CI
    variables hold them): it decodes to ASCII text that passes `pem_private_key`."""
    raw = _b64decode(secret, urlsafe=False)
    if raw is None:
        return False
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False
    return is_pem_private_key(text)


VALIDATORS.update({"pypi_macaroon": is_pypi_macaroon, "azure_identifiable_key": is_azure_identifiable_key})
VALIDATORS.update({"pem_concatenated": is_concatenated_pem, "pem_base64": is_base64_pem_private_key})
