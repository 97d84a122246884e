"""Specimen secrets made at run time, so that no live-format token or real private key is ever committed.

Rule examples, tests, `--self-test` and the benchmark corpus write `<gen:KIND>` or `<gen:KIND:ARG>` where a
secret goes; `expand` replaces each marker with a fresh value of that shape (checksums and structure valid).

Kinds: alnum/upper/lower/digits/hex/HEX/b64/b64url/base32/bech32/BECH32/password/ascii with a length (`<gen:hex:40>`);
`github:PREFIX` (ghp_, gho_, ghu_, ghs_, ghr_: 30 random + 6 CRC32 check characters), `github-fine`
(github_pat_...), `npm` (npm_ + 30 + CRC32), `jwt`, `uuid`, `pem:TYPE` (rsa, ec, dsa, pkcs8, openssh,
openssh-encrypted, pgp, encrypted-pkcs8, encrypted-rsa), `ppk` (`ppk:encrypted`: passphrase-protected),
`aws-key-id:PREFIX` (AKIA, ASIA, ...), `aws-secret`; `pem-escaped:TYPE` (a PEM key as it sits inside a JSON
string, newlines written as backslash-n), `pem-b64:TYPE` (base64 of a whole PEM key, as in kubeconfig
`client-key-data`), `basic-auth` (base64 of `user:password`, as in docker `auths` and npm `_auth`),
`unattend:ELEMENT` (a Windows unattend.xml "hidden" password: base64 of UTF-16LE password + ELEMENT, e.g.
`unattend:AdministratorPassword`).
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import textwrap
import uuid
from collections.abc import Callable

from secret_scanner.catalog.validators import base62_crc32

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_MARKER = re.compile(r"<gen:([a-zA-Z0-9-]+)(?::([^>]*))?>")
_CLASSES = {
    "alnum": string.ascii_letters + string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "digits": string.digits,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "b64": string.ascii_letters + string.digits + "+/",
    "b64url": string.ascii_letters + string.digits + "-_",
    "base32": string.ascii_uppercase + "234567",
    "ascii": string.ascii_letters + string.digits + "!#%&()*+,-./:;=?@[]^_{|}~",
    "bech32": "qpzry9x8gf2tvdw0s3jn54khce6mua7l", "BECH32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",  # age keys
}


def expand(text: str, rng: random.Random | None = None) -> str:
    """Replace every `<gen:...>` marker in `text` with a fresh specimen."""
    generator = rng or random.Random()
    return _MARKER.sub(lambda m: make(m.group(1), m.group(2), generator), text)


def make(kind: str, arg: str | None = None, rng: random.Random | None = None) -> str:
    generator = rng or random.Random()
    if kind in _CLASSES:
        return _random(generator, _CLASSES[kind], _length(arg, kind))
    maker = _MAKERS.get(kind)
    if maker is None:
        raise ValueError(f"unknown specimen kind {kind!r}")
    return maker(generator, arg)


def _length(arg: str | None, kind: str) -> int:
    if not arg or not arg.isdigit():
        raise ValueError(f"specimen kind {kind!r} needs a length, e.g. <gen:{kind}:32>")
    return int(arg)


def _random(rng: random.Random, alphabet: str, length: int) -> str:
    # Avoid runs that filters treat as placeholders (xxxx, 0000): real secrets rarely have them either.
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if not re.search(r"(.)\1\1\1", value):
            return value


def _github(rng: random.Random, prefix: str | None) -> str:
    body = _random(rng, BASE62, 30)
    return f"{prefix or 'ghp_'}{body}{base62_crc32(body)}"


def _github_fine(rng: random.Random, _: str | None) -> str:
    return f"github_pat_{_random(rng, BASE62, 22)}_{_random(rng, BASE62, 59)}"


def _npm(rng: random.Random, _: str | None) -> str:
    body = _random(rng, BASE62, 30)
    return f"npm_{body}{base62_crc32(body)}"


def _password(rng: random.Random, arg: str | None) -> str:
    length = _length(arg, "password")
    parts = [rng.choice(string.ascii_uppercase), rng.choice(string.ascii_lowercase),
             rng.choice(string.digits), rng.choice("!#%*+-.=?@^_~")]
    parts += [rng.choice(_CLASSES["alnum"] + "!#%*+-.=?@^_~") for _ in range(length - 4)]
    rng.shuffle(parts)
    return "".join(parts)


def _b64url_json(value: object) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(rng: random.Random, _: str | None) -> str:
    header = _b64url_json({"alg": "HS256", "typ": "JWT"})
    payload = _b64url_json({"sub": str(rng.randrange(10**8)), "iat": 1700000000 + rng.randrange(10**7),
                            "name": rng.choice(["alice", "build-bot", "svc-deploy"])})
    signature = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _der_integer(rng: random.Random, size: int) -> bytes:
    body = bytes([rng.randrange(1, 128)]) + rng.randbytes(size - 1)
    return b"\x02" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 128:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der_sequence(*items: bytes) -> bytes:
    body = b"".join(items)
    return b"\x30" + _der_length(len(body)) + body


def _pem(label: str, der: bytes, headers: str = "") -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN {label}-----\n{headers}{body}\n-----END {label}-----\n"


def _pem_key(rng: random.Random, arg: str | None) -> str:
    kind = arg or "rsa"
    version = b"\x02\x01\x00"
    if kind in ("rsa", "encrypted-rsa"):
        der = _der_sequence(version, *(_der_integer(rng, n) for n in (257, 3, 256, 129, 129, 128, 128, 128)))
        if kind == "encrypted-rsa":
            iv = rng.randbytes(16).hex().upper()
            headers = f"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{iv}\n\n"
            return _pem("RSA PRIVATE KEY", rng.randbytes(1200), headers)
        return _pem("RSA PRIVATE KEY", der)
    if kind == "ec":
        der = _der_sequence(b"\x02\x01\x01", b"\x04\x20" + rng.randbytes(32),
                            b"\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07",
                            b"\xa1\x44\x03\x42\x00\x04" + rng.randbytes(64))
        return _pem("EC PRIVATE KEY", der)
    if kind == "dsa":
        der = _der_sequence(version, *(_der_integer(rng, n) for n in (129, 21, 128, 128, 20)))
        return _pem("DSA PRIVATE KEY", der)
    if kind == "pkcs8":
        inner = _der_sequence(version, *(_der_integer(rng, n) for n in (257, 3, 256, 129, 129, 128, 128, 128)))
        algorithm = _der_sequence(b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", b"\x05\x00")
        der = _der_sequence(version, algorithm, b"\x04" + _der_length(len(inner)) + inner)
        return _pem("PRIVATE KEY", der)
    if kind == "encrypted-pkcs8":
        algorithm = _der_sequence(b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0d", _der_sequence())
        blob = rng.randbytes(1216)
        der = _der_sequence(algorithm, b"\x04" + _der_length(len(blob)) + blob)
        return _pem("ENCRYPTED PRIVATE KEY", der)
    if kind == "openssh":
        blob = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
        blob += b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rng.randbytes(32)
        blob += rng.randbytes(144)
        body = "\n".join(textwrap.wrap(base64.b64encode(blob).decode(), 70))
        return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
    if kind == "openssh-encrypted":
        blob = b"openssh-key-v1\x00\x00\x00\x00\x0aaes256-ctr\x00\x00\x00\x06bcrypt\x00\x00\x00\x18"
        blob += b"\x00\x00\x00\x10" + rng.randbytes(16) + b"\x00\x00\x00\x10\x00\x00\x00\x01"
        blob += rng.randbytes(200)
        body = "\n".join(textwrap.wrap(base64.b64encode(blob).decode(), 70))
        return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
    if kind == "pgp":
        # An old-format secret-key packet (tag 5) header, then random key material, then the CRC-24 line.
        packet = b"\x95\x03\xc6\x04" + rng.randbytes(966)
        body = "\n".join(textwrap.wrap(base64.b64encode(packet).decode(), 64))
        crc = base64.b64encode(rng.randbytes(3)).decode()
        label = "PGP PRIVATE KEY BLOCK"
        return f"-----BEGIN {label}-----\n\n{body}\n={crc}\n-----END {label}-----\n"
    raise ValueError(f"unknown pem kind {kind!r}")


def _ppk(rng: random.Random, arg: str | None) -> str:
    public = "\n".join(textwrap.wrap(base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + rng.randbytes(270)).decode(), 64))
    private = "\n".join(textwrap.wrap(base64.b64encode(rng.randbytes(660)).decode(), 64))
    encryption, derivation = "none", ""
    if arg == "encrypted":
        encryption = "aes256-cbc"
        derivation = ("Key-Derivation: Argon2id\nArgon2-Memory: 8192\nArgon2-Passes: 21\n"
                      f"Argon2-Parallelism: 1\nArgon2-Salt: {rng.randbytes(16).hex()}\n")
    return (
        f"PuTTY-User-Key-File-3: ssh-rsa\nEncryption: {encryption}\nComment: rsa-key-20240101\n"
        f"Public-Lines: {public.count(chr(10)) + 1}\n{public}\n{derivation}"
        f"Private-Lines: {private.count(chr(10)) + 1}\n{private}\n"
        f"Private-MAC: {rng.randbytes(32).hex()}\n"
    )


def _pem_escaped(rng: random.Random, arg: str | None) -> str:
    return _pem_key(rng, arg).replace("\n", "\\n")


def _pem_b64(rng: random.Random, arg: str | None) -> str:
    return base64.b64encode(_pem_key(rng, arg).encode("ascii")).decode()


def _basic_auth(rng: random.Random, _: str | None) -> str:
    user = rng.choice(["ci-bot", "deploy", "jenkins", "svc_registry"])
    return base64.b64encode(f"{user}:{_password(rng, '16')}".encode()).decode()


def _unattend(rng: random.Random, arg: str | None) -> str:
    return base64.b64encode((_password(rng, "14") + (arg or "Password")).encode("utf-16-le")).decode()


def _aws_key_id(rng: random.Random, prefix: str | None) -> str:
    return (prefix or "AKIA") + _random(rng, _CLASSES["base32"], 16)


def _aws_secret(rng: random.Random, _: str | None) -> str:
    return _random(rng, _CLASSES["b64"], 40)


def _uuid(rng: random.Random, _: str | None) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_MAKERS: dict[str, Callable[[random.Random, str | None], str]] = {
    "github": _github,
    "github-fine": _github_fine,
    "npm": _npm,
    "password": _password,
    "jwt": _jwt,
    "pem": _pem_key,
    "ppk": _ppk,
    "aws-key-id": _aws_key_id,
    "aws-secret": _aws_secret,
    "uuid": _uuid,
    "pem-escaped": _pem_escaped,
    "pem-b64": _pem_b64,
    "basic-auth": _basic_auth,
    "unattend": _unattend,
}


# Provider-token kinds (rule catalog): shapes whose structure a plain character class cannot give.
def _discord_bot(rng: random.Random, _: str | None) -> str:
    """`discord-bot`: base64(snowflake user id) . 6 timestamp characters . 38 HMAC characters."""
    user_id = str(rng.randrange(10**17, 10**19))
    head = base64.urlsafe_b64encode(user_id.encode()).rstrip(b"=").decode()
    return f"{head}.{_random(rng, _CLASSES['b64url'], 6)}.{_random(rng, _CLASSES['b64url'], 38)}"


def _aws_bedrock(rng: random.Random, _: str | None) -> str:
    """`aws-bedrock`: a long-term Bedrock API key: ABSK + base64 of "BedrockAPIKey-ID-at-ACCOUNT:SECRET"."""
    account = "".join(rng.choice(string.digits) for _ in range(12))
    body = f"BedrockAPIKey-{_random(rng, _CLASSES['lower'] + string.digits, 4)}-at-{account}:"
    body += base64.b64encode(rng.randbytes(45)).decode()
    return "ABSK" + base64.b64encode(body.encode()).decode()


_MAKERS.update({"discord-bot": _discord_bot, "aws-bedrock": _aws_bedrock})


# --- Specimen kinds: PyPI macaroons, Azure identifiable keys ---------------------------------------
def _macaroon_field(kind: int, value: bytes) -> bytes:
    # Field type and length are LEB128 varints; every length used here fits in one or two bytes.
    size = len(value)
    encoded = bytes([size]) if size < 128 else bytes([0x80 | (size & 0x7F), size >> 7])
    return bytes([kind]) + encoded + value


def _pypi(rng: random.Random, arg: str | None) -> str:
    """`pypi` (`pypi:test` for TestPyPI): pypi- + base64url of a v2 binary macaroon, as PyPI issues them."""
    location = b"test.pypi.org" if arg == "test" else b"pypi.org"
    identifier = str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()
    caveat = json.dumps([1, {"projects": [rng.choice(["acme-sdk", "infra-tools", "svc-client"])]}]).encode()
    raw = (b"\x02" + _macaroon_field(1, location) + _macaroon_field(2, identifier) + b"\x00"
           + _macaroon_field(2, caveat) + b"\x00" + b"\x00" + _macaroon_field(6, rng.randbytes(32)))
    return "pypi-" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _azure_identifiable(rng: random.Random, arg: str | None) -> str:
    """`azure-key:SIG:BYTES[:url]` (e.g. `azure-key:AzSe:39`): a BYTES-long identifiable key, base64 (base64url
    with `:url`), whose 4-character signature precedes the 6 checksum characters. The checksum characters are
    random within the layout's constraint (Marvin32 seeds are per service)."""
    parts = (arg or "+ASt").split(":")
    signature = parts[0]
    length = int(parts[1]) if len(parts) > 1 else 64
    url = parts[2:] == ["url"]
    trimmed = -(-length * 8 // 6)
    spill = ((length - 7) * 8) % 6
    alphabet = _CLASSES["b64url" if url else "b64"]
    first = "ABCDEFGHIJKLMNOP" if spill == 2 else "ABCD" if spill == 4 else alphabet
    last = "AQgw" if spill == 0 else alphabet
    checksum = rng.choice(first) + _random(rng, alphabet, 4) + rng.choice(last)
    text = _random(rng, alphabet, trimmed - 10) + signature + checksum
    return text + "=" * (-len(text) % 4)


def _pem_concat(rng: random.Random, arg: str | None) -> str:
    """`pem-concat:TYPE[:python]`: a PEM key as source code builds it from string literals, one line each:
    `"line\\n" +` (Java, C#, JavaScript, Go) or, with `:python`, adjacent literals inside parentheses."""
    kind, _, style = (arg or "rsa").partition(":")
    lines = _pem_key(rng, kind).rstrip("\n").split("\n")
    if style == "python":
        return "(\n" + "\n".join(f'    "{line}\\n"' for line in lines) + "\n)"
    return " +\n".join(f'"{line}\\n"' for line in lines)


_MAKERS.update({"pypi": _pypi, "azure-key": _azure_identifiable, "pem-concat": _pem_concat})
